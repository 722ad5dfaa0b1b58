// Raw node-postgres in the ORM matrix, for comparison: see test/support/orm-matrix.ts.
import type pg from 'pg'
import { instrumentPool } from '../../src/pg/index.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

interface Book {
  author_id: number
  title: string
}

function cases(pool: pg.Pool): OrmCases {
  return {
    async loop() {
      const { rows: authors } = await pool.query<{ id: number }>('select id from author order by id')
      const out = []
      for (const a of authors) {
        const { rows } = await pool.query<Book>('select author_id, title from book where author_id = $1', [a.id]) // @site:loop
        out.push(...rows.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const { rows: authors } = await pool.query<{ id: number }>('select id from author')
      const results = await Promise.all(authors.map((a) => pool.query<Book>('select author_id, title from book where author_id = $1', [a.id]))) // @site:all
      return byAuthor(results.flatMap((r) => r.rows).map((b) => ({ author: b.author_id, title: b.title })))
    },
    async fix() {
      const { rows: authors } = await pool.query<{ id: number }>('select id from author')
      const { rows } = await pool.query<Book>('select author_id, title from book where author_id = any($1::int[])', [authors.map((a) => a.id)])
      return byAuthor(rows.map((b) => ({ author: b.author_id, title: b.title })))
    },
    async lines() {
      const first = await pool.query<{ name: string }>('select name from author where id = $1', [1]) // @site:lines1
      const second = await pool.query<{ name: string }>('select name from author where id = $1', [2]) // @site:lines2
      const third = await pool.query<{ name: string }>('select name from author where id = $1', [3]) // @site:lines3
      return [first.rows[0]!.name, second.rows[0]!.name, third.rows[0]!.name]
    },
    async tx() {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const { rows: authors } = await client.query<{ id: number }>('select id from author')
        const out = []
        for (const a of authors) {
          const { rows } = await client.query<Book>('select author_id, title from book where author_id = $1', [a.id]) // @site:tx
          out.push(...rows.map((b) => ({ author: a.id, title: b.title })))
        }
        await client.query('commit')
        return byAuthor(out)
      } finally {
        client.release()
      }
    },
  }
}

ormMatrix({
  name: 'pg',
  file: import.meta.url,
  hint: ['author_id = any($1::int[])'],
  async setup(odb, detector) {
    return { instrumented: cases(instrumentPool(odb.pool(), detector)), bare: cases(odb.pool()), close: async () => {} }
  },
})

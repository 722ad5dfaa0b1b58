// Knex (client 'pg') in the ORM matrix: see test/support/orm-matrix.ts.
import knex, { type Knex } from 'knex'
import { describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentKnex } from '../../src/orm/knex.js'
import { createOrmDatabase, type OrmDatabase } from '../support/orm-db.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

interface AuthorRow {
  id: number
  name: string
}
interface BookRow {
  id: number
  author_id: number
  title: string
}

function connect(odb: OrmDatabase): Knex {
  return knex({ client: 'pg', connection: odb.url, searchPath: [odb.schema], pool: { min: 0, max: 4 } })
}

function cases(db: Knex): OrmCases {
  return {
    async loop() {
      const authors = await db<AuthorRow>('author').orderBy('id')
      const out = []
      for (const a of authors) {
        const books = await db<BookRow>('book').where({ author_id: a.id }) // @site:loop
        out.push(...books.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const authors = await db<AuthorRow>('author')
      const lists = await Promise.all(authors.map((a) => db<BookRow>('book').where({ author_id: a.id }))) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.author_id, title: b.title })))
    },
    async fix() {
      const authors = await db<AuthorRow>('author')
      const books = await db<BookRow>('book').whereIn('author_id', authors.map((a) => a.id))
      return byAuthor(books.map((b) => ({ author: b.author_id, title: b.title })))
    },
    async lines() {
      const first = await db<AuthorRow>('author').where({ id: 1 }).first() // @site:lines1
      const second = await db<AuthorRow>('author').where({ id: 2 }).first() // @site:lines2
      const third = await db<AuthorRow>('author').where({ id: 3 }).first() // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return db.transaction(async (trx) => {
        const authors = await trx<AuthorRow>('author')
        const out = []
        for (const a of authors) {
          const books = await trx<BookRow>('book').where({ author_id: a.id }) // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

let all: Knex[] = []

ormMatrix({
  name: 'knex',
  file: import.meta.url,
  ownPool: true,
  hint: [".whereIn('author_id', ids)"],
  async setup(odb, detector) {
    const db = instrumentKnex(connect(odb), detector)
    const bare = connect(odb)
    all = [db, bare]
    return { handle: { odb }, instrumented: cases(db), bare: cases(bare), close: async () => void (await Promise.all(all.map((k) => k.destroy()))) }
  },
  more: {
    async "Knex's connection setup (select version(), set search_path) never reaches a scope"({ odb }, detector) {
      // A fresh pool: its first connection is made inside the scope.
      const db = instrumentKnex(connect(odb), detector)
      try {
        const { queries } = await detector.capture(() => db('author').where({ id: 1 }).first())
        expect(queries.map((q) => q.sql)).toEqual(['select * from "author" where "id" = ? limit ?'])
      } finally {
        await db.destroy()
      }
    },
  },
})

describe('a query builder returned unawaited from a scope', () => {
  test('detector.run and capture run a thenable (a Knex builder) inside the scope', async () => {
    const odb = await createOrmDatabase('knexthen')
    const detector = createDetector({ mode: 'silent' })
    const db = instrumentKnex(connect(odb), detector)
    try {
      const { queries } = await detector.capture(() => db('author').where({ id: 1 }).first())
      expect(queries).toHaveLength(1)
      let seen = -1
      const silent = createDetector({ reporters: [(r) => void (seen = r.queryCount)] })
      instrumentKnex(db, silent)
      await silent.run('thenable', () => db('author').where({ id: 2 }).first())
      expect(seen).toBe(1)
    } finally {
      await db.destroy()
      await odb.drop()
    }
  })
})

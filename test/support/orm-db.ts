// A fresh schema with `author` (20 rows) and `book` (3 per author) on the shared test server, for
// the ORM matrix (test/db/orm-*.test.ts): small data, one schema per test file.
import pg from 'pg'
import { inject } from 'vitest'
import { onSchema } from './schema-path.js'

export const AUTHORS = 20
export const BOOKS_PER_AUTHOR = 3

export interface OrmDatabase {
  readonly url: string
  readonly schema: string
  /** pg `options` that make a connection use the schema. */
  readonly options: string
  /** A new pg Pool on the schema (ended by `drop`). */
  pool(config?: pg.PoolConfig): pg.Pool
  drop(): Promise<void>
}

let counter = 0

export async function createOrmDatabase(prefix: string): Promise<OrmDatabase> {
  const url = inject('databaseUrl')
  const schema = `orm_${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`create schema ${schema}`)
    await admin.query(`set search_path to ${schema}`)
    await admin.query('create table author (id serial primary key, name text not null)')
    await admin.query('create table book (id serial primary key, author_id integer not null references author(id), title text not null)')
    await admin.query('create index book_author_id on book (author_id)')
    await admin.query(`insert into author (name) select 'author ' || i from generate_series(1, ${AUTHORS}) i`)
    await admin.query(
      `insert into book (author_id, title) select a, 'book ' || a || '.' || b from generate_series(1, ${AUTHORS}) a, generate_series(1, ${BOOKS_PER_AUTHOR}) b order by a, b`,
    )
  } finally {
    await admin.end()
  }
  const options = `-c search_path=${schema}`
  const pools: pg.Pool[] = []
  return {
    url,
    schema,
    options,
    pool(config = {}) {
      const p = onSchema(new pg.Pool({ connectionString: url, options, max: 4, ...config }), schema)
      pools.push(p)
      return p
    },
    async drop() {
      await Promise.allSettled(pools.map((p) => p.end()))
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`drop schema ${schema} cascade`)
      } finally {
        await c.end()
      }
    },
  }
}

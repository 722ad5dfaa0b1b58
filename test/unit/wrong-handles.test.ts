// The wrong handle gets a TypeError that says what was passed and what to call instead: a Client
// to instrumentPool would record nothing, a Pool to instrumentClient would miss every client its
// connect() hands out, and a dialect for another database would be misread.
import { Kysely, MssqlDialect, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'

const detector = createDetector({ mode: 'silent' })

describe('the wrong handle is a TypeError naming it and the right call', () => {
  test('instrumentPool(new pg.Client())', () => {
    const client = new pg.Client({ connectionString: 'postgres://u:secret@127.0.0.1:1/db' })
    expect(() => instrumentPool(client as never, detector)).toThrow(TypeError)
    expect(() => instrumentPool(client as never, detector)).toThrow(/instrumentPool needs a pg Pool, got a pg Client: call instrumentClient\(client, detector\)/)
  })

  test('instrumentClient(new pg.Pool())', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://u:secret@127.0.0.1:1/db' })
    try {
      expect(() => instrumentClient(pool, detector)).toThrow(TypeError)
      expect(() => instrumentClient(pool, detector)).toThrow(/instrumentClient needs a pg Client, got a pg Pool: call instrumentPool\(pool, detector\)/)
    } finally {
      await pool.end()
    }
  })

  test.each([
    ['SqliteDialect', () => new SqliteDialect({ database: {} as never })],
    ['MysqlDialect', () => new MysqlDialect({ pool: {} as never })],
    ['MssqlDialect', () => new MssqlDialect({ tarn: {} as never, tedious: {} as never })],
  ])('instrumentDialect(new %s(...))', (name, make) => {
    const dialect = make()
    expect(() => instrumentDialect(dialect, detector)).toThrow(TypeError)
    expect(() => instrumentDialect(dialect, detector)).toThrow(
      new RegExp(`instrumentDialect supports PostgreSQL dialects only, got a ${name}: instrument a Kysely instance on PostgreSQL instead, instrumentDialect\\(new PostgresDialect`),
    )
  })

  test('the right handles are still accepted (a PoolClient too)', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://u:secret@127.0.0.1:1/db' })
    const client = new pg.Client({ connectionString: 'postgres://u:secret@127.0.0.1:1/db' })
    try {
      expect(instrumentPool(pool, detector)).toBe(pool)
      expect(instrumentClient(client, detector)).toBe(client)
      const dialect = new PostgresDialect({ pool: new pg.Pool() })
      const db = new Kysely({ dialect: instrumentDialect(dialect, detector) })
      await db.destroy()
    } finally {
      await pool.end()
    }
  })
})

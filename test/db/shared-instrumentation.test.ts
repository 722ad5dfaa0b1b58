// One pool (or dialect) and several detectors: a test suite that makes a detector per test over a
// pool made once, or an app with a detector per subsystem. Each query goes to the detector whose
// scope is open, and nothing is counted twice.
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase
let pool: pg.Pool

beforeAll(async () => {
  db = await createTestDatabase({ people: 4 })
  pool = db.pool({ max: 2 })
})

afterAll(async () => {
  await db.drop()
})

const loop = async (p: pg.Pool, n: number) => {
  for (let id = 1; id <= n; id++) await p.query('select * from pet where owner_id = $1', [id])
}

describe('several detectors on one pool', () => {
  test('a detector per test over a shared pool: each sees its own scopes only', async () => {
    const first = createDetector({ mode: 'silent' })
    instrumentPool(pool, first)
    const a = await first.capture(() => loop(pool, 2))
    const second = createDetector({ mode: 'silent' })
    expect(instrumentPool(pool, second)).toBe(pool)
    const b = await second.capture(() => loop(pool, 3))
    const c = await first.capture(() => loop(pool, 4))
    expect([a, b, c].map((r) => [r.queries.length, r.findings[0]?.count])).toEqual([
      [2, 2],
      [3, 3],
      [4, 4],
    ])
  })

  test('callbacks and checked-out clients keep to the caller detector', async () => {
    const one = createDetector({ mode: 'silent' })
    const two = createDetector({ mode: 'silent' })
    instrumentPool(pool, one)
    instrumentPool(pool, two)
    const viaCallbacks = (p: pg.Pool, n: number) =>
      new Promise<void>((resolve, reject) => {
        const next = (id: number): void => {
          if (id > n) return resolve()
          p.query('select * from toy where pet_id = $1', [id], (err: Error | undefined) => (err ? reject(err) : next(id + 1)))
        }
        next(1)
      })
    const [r1, r2] = await Promise.all([one.capture(() => viaCallbacks(pool, 3)), two.capture(() => viaCallbacks(pool, 5))])
    expect(r1.queries).toHaveLength(3)
    expect(r2.queries).toHaveLength(5)
    const r3 = await two.capture(async () => {
      const client = await pool.connect()
      try {
        for (const id of [1, 2]) await client.query('select 1 where $1::int > 0', [id])
      } finally {
        client.release()
      }
    })
    expect(r3.queries).toHaveLength(2)
  })

  test('a dialect instrumented for a second detector reports to it too', async () => {
    const first = createDetector({ mode: 'silent' })
    const second = createDetector({ mode: 'silent' })
    const dialect = instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), first)
    expect(instrumentDialect(dialect, second)).toBe(dialect)
    const kdb = new Kysely<PetShopDB>({ dialect })
    try {
      const byFirst = await first.capture(() => kdb.selectFrom('person').selectAll().execute())
      const bySecond = await second.capture(async () => {
        for (const id of [1, 2]) await kdb.selectFrom('pet').selectAll().where('owner_id', '=', id).execute()
      })
      expect(byFirst.queries).toHaveLength(1)
      expect(bySecond.queries).toHaveLength(2)
      expect(bySecond.findings[0]?.count).toBe(2)
    } finally {
      await kdb.destroy()
    }
  })
})

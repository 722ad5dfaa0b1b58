// Attribution under contention: more scopes than connections, so pg-pool queues connect requests
// and serves them in whichever request's async context released a client.
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type CaptureReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import type { PetShopDB } from '../../examples/support/schema.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 20 })
})

afterAll(async () => {
  await db.drop()
})

const SCOPES = 20

// Scope i runs i + 2 queries, so a query landing in the wrong scope changes some count.
function expectOwnQueries(reports: CaptureReport<number>[]): void {
  reports.forEach((report, i) => {
    expect(report.result).toBe(i)
    expect(report.queries).toHaveLength(i + 2)
    expect(new Set(report.queries.map((q) => q.scopeId)).size).toBe(1)
    const [finding, ...rest] = report.findings
    expect(rest).toEqual([])
    expect(finding?.count).toBe(i + 2)
    expect(finding?.scope.id).toBe(report.queries[0]!.scopeId)
  })
  const ids = reports.map((r) => r.queries[0]!.scopeId)
  expect(new Set(ids).size).toBe(SCOPES)
}

describe('20 concurrent scopes on a pool of 2', () => {
  test('pool.query: nothing lost, nothing misattributed', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const reports = await Promise.all(
      Array.from({ length: SCOPES }, (_, i) =>
        detector.capture(async () => {
          for (let q = 0; q < i + 2; q++) await pool.query('select $1::int as n, pg_sleep(0)', [q])
          return i
        }),
      ),
    )
    expectOwnQueries(reports)
  })

  test('pool.query with callbacks: nothing lost, nothing misattributed', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const step = (q: number) =>
      new Promise<void>((resolve, reject) => {
        pool.query('select $1::int as n', [q], (err: Error | undefined) => (err ? reject(err) : resolve()))
      })
    const reports = await Promise.all(
      Array.from({ length: SCOPES }, (_, i) =>
        detector.capture(async () => {
          for (let q = 0; q < i + 2; q++) await step(q)
          return i
        }),
      ),
    )
    expectOwnQueries(reports)
  })

  test('a callback chain that issues its next query from the callback stays in its scope', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const chain = (left: number, done: (err?: Error) => void): void => {
      if (left === 0) return done()
      pool.query('select $1::int as n', [left], (err: Error | undefined) => (err ? done(err) : chain(left - 1, done)))
    }
    const reports = await Promise.all(
      Array.from({ length: SCOPES }, (_, i) =>
        detector.capture(
          () =>
            // Started from a tick, as the later steps start from pg's callbacks: every step is then
            // sent on one call path (a chain of two started from the executor would be two paths).
            new Promise<number>((resolve, reject) => process.nextTick(chain, i + 2, (err?: Error) => (err ? reject(err) : resolve(i)))),
        ),
      ),
    )
    expectOwnQueries(reports)
  })

  test('checked-out clients (pool.connect): nothing lost, nothing misattributed', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const reports = await Promise.all(
      Array.from({ length: SCOPES }, (_, i) =>
        detector.capture(async () => {
          const client = await pool.connect()
          try {
            for (let q = 0; q < i + 2; q++) await client.query('select $1::int as n', [q])
          } finally {
            client.release()
          }
          return i
        }),
      ),
    )
    expectOwnQueries(reports)
  })

  test('Kysely on the same pool: nothing lost, nothing misattributed, nothing counted twice', async () => {
    const detector = createDetector({ mode: 'silent' })
    // Both layers instrumented on purpose: each statement must still count once.
    const pool: pg.Pool = instrumentPool(db.pool({ max: 2 }), detector)
    const kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
    try {
      const reports = await Promise.all(
        Array.from({ length: SCOPES }, (_, i) =>
          detector.capture(async () => {
            for (let q = 0; q < i + 2; q++) await kdb.selectFrom('pet').select('id').where('owner_id', '=', q + 1).execute()
            return i
          }),
        ),
      )
      expectOwnQueries(reports)
      const trx = await detector.capture(() =>
        kdb.transaction().execute(async (t) => {
          await t.selectFrom('person').select('id').where('id', '=', 1).execute()
        }),
      )
      expect(trx.queries.map((q) => q.kind)).toEqual(['transaction', 'select', 'transaction'])
    } finally {
      await kdb.destroy()
    }
  })
})

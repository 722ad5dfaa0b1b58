// Bounded memory: a scope keeps exact counts past its record cap, the fingerprint cache never
// grows past its capacity, and once a scope has ended n1guard keeps nothing the application
// handed it (parameter arrays, result rows) nor what it handed to reporters, even while the pool
// that ran the queries lives on with connections opened inside the scope.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector, type ScopeReport } from '../../src/index.js'
import {
  clearFingerprintCache,
  FINGERPRINT_CACHE_CAPACITY,
  fingerprint,
  fingerprintCacheSize,
  MAX_CACHED_SQL_LENGTH,
} from '../../src/fingerprint/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 8 })
})

afterAll(async () => {
  await db.drop()
})

/**
 * Collects garbage until every WeakRef is cleared or a few full collections have run. A WeakRef
 * target survives until the job that last touched it ends, hence a turn of the event loop each time.
 */
async function collected(refs: readonly WeakRef<object>[]): Promise<boolean[]> {
  for (let i = 0; i < 4 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  return refs.map((r) => r.deref() === undefined)
}

describe('a scope past its record cap', () => {
  test('keeps exact counts in findings and reports how many records it dropped', async () => {
    const reports: ScopeReport[] = []
    const detector = createDetector({ mode: 'warn', maxRecords: 25, reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const loop = async () => {
      for (let i = 0; i < 90; i++) await pool.query('select * from pet where owner_id = $1 and id > $2', [(i % 8) + 1, i])
    }
    const report = await detector.capture(loop)
    expect(report.queries).toHaveLength(25)
    expect((report as unknown as { truncated: number }).truncated).toBe(65)
    expect(Object.keys(report)).toEqual(['result', 'queries', 'findings'])
    expect(report.findings.map((f) => [f.kind, f.count, f.distinctParams])).toEqual([['n-plus-one', 90, 90]])

    await detector.run('over the cap', loop)
    expect(reports.map((r) => [r.queryCount, r.findings.map((f) => f.count)])).toEqual([[90, [90]]])
  })
})

describe('the fingerprint cache', () => {
  test('never holds more than its capacity, and never caches huge statements', () => {
    clearFingerprintCache()
    let max = 0
    for (let i = 0; i < FINGERPRINT_CACHE_CAPACITY * 3; i++) {
      fingerprint(`select * from t${i} where id = 1`)
      max = Math.max(max, fingerprintCacheSize())
    }
    expect(max).toBeLessThanOrEqual(FINGERPRINT_CACHE_CAPACITY)
    expect(max).toBeGreaterThanOrEqual(FINGERPRINT_CACHE_CAPACITY / 2)
    const before = fingerprintCacheSize()
    fingerprint(`select '${'x'.repeat(MAX_CACHED_SQL_LENGTH)}'`)
    expect(fingerprintCacheSize()).toBe(before)
  })
})

describe('while a scope is open', () => {
  // What a long loop keeps alive: 32 results of a shape for the analysis, plus the statements not
  // yet added to the aggregate (a batch of at most 32, and of at most 4,096 rows and bound values).
  test('it keeps at most 32 result arrays of a shape and one batch of statements, however long the loop', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    await pool.query('select 1') // opens the connection outside the scope (see below)
    const rows: WeakRef<object>[] = []
    const params: WeakRef<object>[] = []
    const scope = detector.startScope('long job')
    try {
      await scope.run(async () => {
        for (let i = 0; i < 200; i++) {
          const values = [(i % 8) + 1, i]
          const result = await pool.query('select id, owner_id from pet where owner_id = $1 and id > $2 - 1000', values)
          rows.push(new WeakRef(result.rows))
          params.push(new WeakRef(values))
        }
      })
      await collected([...rows, ...params])
      expect(rows.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(32 + 32)
      // The first execution's values (kept until a second one makes them worth reading) and the batch.
      expect(params.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1 + 32)
    } finally {
      scope.end()
      await pool.end()
    }
    expect((await collected(rows)).every(Boolean)).toBe(true)
  })

  test('a loop over big results holds back no more than 4,096 rows of them', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    await pool.query('select 1')
    const rows: WeakRef<object>[] = []
    const scope = detector.startScope('export job')
    try {
      await scope.run(async () => {
        for (let i = 0; i < 120; i++) {
          const result = await pool.query('select g, $1::int as page from generate_series(1, 1000) g', [i])
          rows.push(new WeakRef(result.rows))
        }
      })
      await collected(rows)
      // 32 results kept for the analysis, and a batch of at most four 1,000-row results (4 × 1,001
      // rows and values fit in 4,096): a batch of 32 would keep 32 more.
      expect(rows.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(32 + 4)
    } finally {
      scope.end()
      await pool.end()
    }
    expect((await collected(rows)).every(Boolean)).toBe(true)
  })
})

describe('nothing is kept after a scope ends', () => {
  type Opener = (detector: Detector, fn: () => Promise<void>) => Promise<unknown>
  const openers: Array<[string, Opener]> = [
    ['detector.run', (d, fn) => d.run('GET /owners', fn)],
    ['detector.capture', (d, fn) => d.capture(fn).then(() => undefined)],
    ['detector.assertNoNPlusOne', (d, fn) => d.assertNoNPlusOne(fn).catch(() => undefined)],
    [
      'startScope / end',
      async (d, fn) => {
        const scope = d.startScope('job')
        await scope.run(fn)
        scope.end()
      },
    ],
    ['a scope nested in capture', (d, fn) => d.capture(() => d.run('inner', fn)).then(() => undefined)],
  ]

  test.each(openers)('%s: parameter arrays, result rows and what reporters got are collectable', async (_, open) => {
    const refs: WeakRef<object>[] = []
    const detector = createDetector({
      mode: 'warn',
      reporters: [
        (report) => {
          refs.push(new WeakRef(report), new WeakRef(report.findings as object), new WeakRef(report.scope))
        },
      ],
    })
    // Default pool settings (idle timer on), and every connection opened inside the scope: pg's
    // sockets and timers then carry the scope's async context for as long as the pool lives.
    const pool: pg.Pool = instrumentPool(db.pool({ max: 2 }), detector)
    const kysely = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), detector) })
    try {
      await open(detector, async () => {
        // pg-pool itself keeps the result of the first pool.query on a new connection for as long
        // as the connection lives (its idle error listener closes over that call's callback), with
        // or without n1guard: that first query opens the connection, inside the scope, untracked.
        await pool.query('select 1')
        const owners = await pool.query('select id from person order by id')
        refs.push(new WeakRef(owners.rows))
        for (const { id } of owners.rows as Array<{ id: number }>) {
          const params = [id]
          const pets = await pool.query('select * from pet where owner_id = $1', params)
          refs.push(new WeakRef(params), new WeakRef(pets.rows))
        }
        await Promise.all(
          [1, 2, 3].map(async (id) => {
            const rows = await kysely.selectFrom('toy').selectAll().where('pet_id', '=', id).execute()
            refs.push(new WeakRef(rows))
          }),
        )
      })
      expect(refs.length).toBeGreaterThanOrEqual(1 + 8 * 2 + 3)
      const cleared = await collected(refs)
      expect(cleared.map((ok, i) => (ok ? 'collected' : `kept #${i}`)).filter((s) => s !== 'collected')).toEqual([])
    } finally {
      await kysely.destroy()
      await pool.end()
    }
  })
})

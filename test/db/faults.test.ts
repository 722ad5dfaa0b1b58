// Faults: a reporter that throws, a query that fails in the middle of an N+1 loop, and the database
// going away and coming back under a running application. In each, the application sees exactly
// what it would see without n1guard, n1guard keeps working, and nothing is reported twice.
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, onScopeEnd, type Detector, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { startEmbeddedPostgres, type EmbeddedServer } from '../../examples/support/postgres.js'
import { seedPetShop } from '../../examples/support/seed.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { errorView, resultView, settle, type Outcome } from '../support/outcome.js'
import { stderrOf } from '../support/stderr.js'

describe('on the shared test database', () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await createTestDatabase({ people: 6 })
  })

  afterAll(async () => {
    await db.drop()
  })

  async function petsOneByOne(pool: pg.Pool): Promise<unknown> {
    const out = []
    for (const id of [1, 2, 3, 4]) out.push(resultView(await pool.query('select * from pet where owner_id = $1 order by id', [id])))
    return out
  }

  test('a reporter that throws: said once on stderr, later reporters still run, results unchanged', async () => {
    const seen: ScopeReport[] = []
    function brokenReporterA(): void {
      throw new Error('reporter A failed')
    }
    const brokenReporterB = {
      report(): void {
        // Not even an Error.
        throw 'reporter B failed'
      },
    }
    const detector = createDetector({ reporters: [brokenReporterA, brokenReporterB, (r) => seen.push(r)] })
    const watched = instrumentPool(db.pool({ max: 1 }), detector)
    const bare = db.pool({ max: 1 })
    const expected = await petsOneByOne(bare)

    const { value, stderr } = await stderrOf(async () => [
      await detector.run('first', () => petsOneByOne(watched)),
      await detector.run('second', () => petsOneByOne(watched)),
      await detector.run('third', () => petsOneByOne(watched)),
    ])
    expect(value).toStrictEqual([expected, expected, expected])
    expect(seen.map((r) => [r.scope.name, r.findings.map((f) => f.count)])).toEqual([
      ['first', [4]],
      ['second', [4]],
      ['third', [4]],
    ])
    expect(stderr.match(/reporter A failed/g)).toHaveLength(1)
    expect(stderr.match(/reporter B failed/g)).toHaveLength(1)
    expect(stderr).toContain('running reporter brokenReporterA')
    expect(stderr.match(/n1guard: internal error/g)).toHaveLength(2)
  })

  describe.each(['pg', 'Kysely'] as const)('a query that fails in the middle of an N+1 loop (%s)', (via) => {
    // Owner ids 1..6, with a value PostgreSQL cannot read as an integer at position `failAt`.
    function rig(detector: Detector | undefined): { lookup: (id: unknown) => Promise<unknown>; close: () => Promise<void> } {
      if (via === 'pg') {
        const pool = db.pool({ max: 1 })
        if (detector !== undefined) instrumentPool(pool, detector)
        return { lookup: async (id) => (await pool.query('select id from pet where owner_id = $1 order by id', [id])).rows, close: () => pool.end() }
      }
      const dialect = new PostgresDialect({ pool: db.pool({ max: 1 }) })
      const k = new Kysely<PetShopDB>({ dialect: detector === undefined ? dialect : instrumentDialect(dialect, detector) })
      return {
        lookup: (id) => k.selectFrom('pet').select('id').where('owner_id', '=', id as number).orderBy('id').execute(),
        close: () => k.destroy(),
      }
    }
    const ids = [1, 2, 3, 'four', 5, 6]

    async function loopUntilError(lookup: (id: unknown) => Promise<unknown>): Promise<unknown> {
      const rows = []
      for (const id of ids) rows.push(await lookup(id))
      return rows
    }

    async function loopPastErrors(lookup: (id: unknown) => Promise<unknown>): Promise<Outcome[]> {
      const out: Outcome[] = []
      for (const id of ids) out.push(await settle(() => lookup(id)))
      return out
    }

    test('the error reaches the caller unchanged (the same object), and the finding counts every query issued', async () => {
      const bare = rig(undefined)
      const expected = await settle(() => loopUntilError(bare.lookup))
      await bare.close()
      expect(expected.ok).toBe(false)

      const reports: ScopeReport[] = []
      for (const mode of ['warn', 'throw'] as const) {
        const detector = createDetector({ mode, reporters: [(r) => reports.push(r)] })
        const watched = rig(detector)
        let thrown: unknown
        const rejected = await detector
          .run(`loop, ${mode}`, () =>
            loopUntilError(watched.lookup).catch((error: unknown) => {
              thrown = error
              throw error
            }),
          )
          .then(
            () => undefined,
            (error: unknown) => error,
          )
        await watched.close()
        expect(rejected).toBe(thrown)
        expect(errorView(rejected)).toStrictEqual((expected as { error: unknown }).error)
      }
      // Four queries ran (the fourth failed) with four distinct parameters; in 'throw' mode the
      // application's own error wins and the finding still reaches the reporters.
      expect(reports.map((r) => [r.scope.name, r.queryCount, r.findings.map((f) => [f.kind, f.count, f.distinctParams])])).toEqual([
        ['loop, warn', 4, [['n-plus-one', 4, 4]]],
        ['loop, throw', 4, [['n-plus-one', 4, 4]]],
      ])
    })

    test('a loop that carries on past the error: every outcome unchanged, the failed query recorded with its error', async () => {
      const bare = rig(undefined)
      const expected = await loopPastErrors(bare.lookup)
      await bare.close()
      const detector = createDetector({ mode: 'silent' })
      const watched = rig(detector)
      const report = await detector.capture(() => loopPastErrors(watched.lookup))
      await watched.close()
      expect(report.result).toStrictEqual(expected)
      expect(report.findings.map((f) => [f.kind, f.count, f.distinctParams])).toEqual([['n-plus-one', 6, 6]])
      expect(report.queries.map((q) => q.error?.code)).toEqual([undefined, undefined, undefined, '22P02', undefined, undefined])
    })
  })
})

describe('the database restarted in the middle of a run', () => {
  let server: EmbeddedServer

  beforeAll(async () => {
    // A server of our own, even when DATABASE_URL is set: this test stops it.
    server = await startEmbeddedPostgres()
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      await seedPetShop(admin, { people: 6 })
    } finally {
      await admin.end()
    }
  }, 120_000)

  afterAll(async () => {
    await server?.stop()
  })

  test('queries fail exactly as on a bare pool; afterwards n1guard finds a new N+1 with exact counts; nothing is reported twice', async () => {
    const reports: ScopeReport[] = []
    const ended: string[] = []
    const stop = onScopeEnd((e) => ended.push(e.scope.id))
    const detector = createDetector({ reporters: [(r) => reports.push(r)] })
    const poolErrors = { bare: [] as unknown[], watched: [] as unknown[] }
    const bare = new pg.Pool({ connectionString: server.url, max: 3 })
    const watched = instrumentPool(new pg.Pool({ connectionString: server.url, max: 3 }), detector)
    bare.on('error', (e) => poolErrors.bare.push(errorView(e)))
    watched.on('error', (e) => poolErrors.watched.push(errorView(e)))
    const kBare = new Kysely<PetShopDB>({ dialect: new PostgresDialect({ pool: bare }) })
    const kWatched = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: watched }), detector) })
    // The same application code runs on each pool: bare outside any scope, watched inside one.
    const onBoth = async (name: string, work: (pool: pg.Pool, k: Kysely<PetShopDB>) => Promise<unknown>) => {
      const [b, w] = await Promise.all([settle(() => work(bare, kBare)), settle(() => detector.run(name, () => work(watched, kWatched)))])
      return { bare: b, watched: w }
    }
    const nPlusOne = async (pool: pg.Pool, owners: number[]) => {
      const rows = []
      for (const id of owners) rows.push(resultView(await pool.query('select id, name from pet where owner_id = $1 order by id', [id])))
      return rows
    }

    try {
      const before = await onBoth('before', (p) => nPlusOne(p, [1, 2, 3]))
      expect(before.watched).toStrictEqual(before.bare)
      // Three open connections per pool: two will be busy when the server stops, one idle.
      await Promise.all([bare, watched].flatMap((p) => [1, 2, 3].map(() => p.query('select pg_backend_pid()'))))

      // Two statements in flight on each pool when the server goes down, one through pool.query and
      // one on a checked-out client; their start is observed in pg_stat_activity, not waited for.
      const inFlight = onBoth('in flight', (p) =>
        Promise.all([
          settle(() => p.query('select pg_sleep(60)')),
          settle(async () => {
            const client = await p.connect()
            client.on('error', () => undefined)
            try {
              return await client.query('select pg_sleep(60), 2 as two')
            } finally {
              client.release(true)
            }
          }),
        ]),
      )
      const watcher = new pg.Client({ connectionString: server.url })
      watcher.on('error', () => undefined)
      await watcher.connect()
      for (;;) {
        const { rows } = await watcher.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(60)%' and state = 'active'")
        if (rows[0]!.n === 4) break
      }
      await server.pause()
      // Its connection is gone with the server; pg < 8.3 never settles end() on a dead connection.
      void watcher.end().catch(() => undefined)
      const flight = await inFlight
      expect(flight.bare.ok).toBe(true)
      expect(flight.watched).toStrictEqual(flight.bare)
      const flightErrors = (flight.bare as { value: Outcome[] }).value
      expect(flightErrors.map((o) => o.ok)).toEqual([false, false])

      // While it is down: every call form fails the same way.
      const outage = await onBoth('outage', async (p, k) => [
        await settle(() => p.query('select 1')),
        await settle(() => new Promise((resolve, reject) => p.query('select $1::int', [1], (e, r) => (e ? reject(e) : resolve(resultView(r)))))),
        await settle(() => p.connect()),
        await settle(() => k.selectFrom('person').selectAll().execute()),
      ])
      expect(outage.watched).toStrictEqual(outage.bare)
      const outageErrors = (outage.bare as { value: Outcome[] }).value
      expect(outageErrors.map((o) => (o.ok ? 'ok' : o.error.props.code))).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'])

      await server.restart()

      // Back up: the same answers, and a new N+1 found with its exact count.
      const after = await onBoth('after', async (p, k) => [await nPlusOne(p, [4, 5, 6, 1, 2]), await k.selectFrom('person').select('id').orderBy('id').execute()])
      expect(after.bare.ok).toBe(true)
      expect(after.watched).toStrictEqual(after.bare)
      // The idle connection's error reaches the pool's 'error' listeners the same way.
      expect(poolErrors.bare.length).toBeGreaterThanOrEqual(1)
      expect(poolErrors.watched).toStrictEqual(poolErrors.bare)

      const byName = (name: string) => reports.filter((r) => r.scope.name === name)
      expect(byName('before').map((r) => r.findings.map((f) => [f.kind, f.count]))).toEqual([[['n-plus-one', 3]]])
      expect(byName('after').map((r) => r.findings.map((f) => [f.kind, f.count, f.distinctParams]))).toEqual([[['n-plus-one', 5, 5]]])
      expect(byName('in flight').map((r) => r.queryCount)).toEqual([2])
      expect(byName('outage')).toHaveLength(1)
      // Each scope reported once, each finding once.
      expect(reports.map((r) => r.scope.name)).toEqual(['before', 'in flight', 'outage', 'after'])
      expect(new Set(ended).size).toBe(ended.length)
      const findingIds = reports.flatMap((r) => r.findings.map((f) => `${r.scope.id}/${f.id}`))
      expect(new Set(findingIds).size).toBe(findingIds.length)
    } finally {
      stop()
      await Promise.allSettled([kBare.destroy(), kWatched.destroy()])
    }
  })
})

// Attribution under load: 1,000 scopes at once over a pool of 2 connections, in every pg and
// Kysely style, with and without transactions. pg-pool queues 998 of them and serves each in
// whichever request's async context released a client, so a query read in the wrong context lands
// in the wrong scope. Every query carries its scope's number as a parameter (captureParams on), and
// every scope runs its own number of queries: a query in the wrong scope, a lost query or a finding
// that crosses scopes changes a number below.
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createDetector, type Finding, type QueryRecord, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 10 })
})

afterAll(async () => {
  await db.drop()
})

const SCOPES = 1000
const LOOP = 'select $1::int as scope, $2::int as n, id from pet where owner_id = $3'

type Style = 'pool.query, callbacks' | 'pool.query, promises' | 'pool.connect, promises' | 'pool.connect, callbacks' | 'Kysely'
const STYLES: readonly Style[] = ['pool.query, callbacks', 'pool.query, promises', 'pool.connect, promises', 'pool.connect, callbacks', 'Kysely']

interface Plan {
  readonly i: number
  readonly style: Style
  /** Loop iterations: 3 to 9, so a query in the wrong scope changes two scopes' counts. */
  readonly loop: number
  readonly transaction: boolean
}

function planOf(i: number): Plan {
  const style = STYLES[i % STYLES.length]!
  const transaction = style.startsWith('pool.query') ? false : Math.floor(i / STYLES.length) % 2 === 1
  return { i, style, loop: 3 + (i % 7), transaction }
}

type Row = { scope: number; n: number; id: number }
type Cb<T> = (error: Error | undefined, value: T) => void

/** Runs `steps` callbacks one after another, each issued from the previous one's callback. */
function chain(steps: number, step: (n: number, next: Cb<Row[]>) => void, done: Cb<Row[]>): void {
  const rows: Row[] = []
  const go = (n: number): void => {
    if (n === steps) return done(undefined, rows)
    step(n, (error, got) => (error ? done(error, rows) : (rows.push(...got), go(n + 1))))
  }
  go(0)
}

function promised<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))))
}

const owner = (n: number): number => (n % 10) + 1

test(`${SCOPES} concurrent scopes on a pool of 2: every query in its own scope, none lost, no finding crosses scopes`, async () => {
  const reports = new Map<string, ScopeReport>()
  const detector = createDetector({ captureParams: true, reporters: [(r) => void reports.set(r.scope.name!, r)] })
  // Past the warm-up, as in production: scopes opened by run() sample their call sites.
  for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
  const pool: pg.Pool = instrumentPool(db.pool({ max: 2 }), detector)
  // Both layers instrumented on purpose: Kysely's statements must still count once.
  const kysely = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })

  async function work(plan: Plan): Promise<Row[]> {
    const { i, loop, transaction } = plan
    switch (plan.style) {
      case 'pool.query, callbacks':
        return promised((done) => chain(loop, (n, next) => pool.query(LOOP, [i, n, owner(n)], (e, r) => next(e, r?.rows)), done))
      case 'pool.query, promises': {
        const rows: Row[] = []
        for (let n = 0; n < loop; n++) rows.push(...(await pool.query<Row>(LOOP, [i, n, owner(n)])).rows)
        return rows
      }
      case 'pool.connect, promises': {
        const client = await pool.connect()
        try {
          if (transaction) await client.query('begin')
          const rows: Row[] = []
          for (let n = 0; n < loop; n++) rows.push(...(await client.query<Row>(LOOP, [i, n, owner(n)])).rows)
          if (transaction) await client.query('commit')
          return rows
        } finally {
          client.release()
        }
      }
      case 'pool.connect, callbacks':
        return promised((done) =>
          pool.connect((error, client, release) => {
            if (error || client === undefined) return done(error ?? new Error('no client'), [])
            const finish: Cb<Row[]> = (e, rows) => {
              release()
              done(e, rows)
            }
            const loopThen = (after: Cb<Row[]>) => chain(loop, (n, next) => client.query(LOOP, [i, n, owner(n)], (e, r) => next(e, r?.rows)), after)
            if (!transaction) return loopThen(finish)
            client.query('begin', (e) => {
              if (e) return finish(e, [])
              loopThen((e2, rows) => (e2 ? finish(e2, rows) : client.query('commit', (e3) => finish(e3, rows))))
            })
          }),
        )
      case 'Kysely': {
        const body = async (k: Kysely<PetShopDB>) => {
          const rows: Row[] = []
          for (let n = 0; n < loop; n++) {
            rows.push(
              ...(await k
                .selectFrom('pet')
                .select([sql<number>`${i}::int`.as('scope'), sql<number>`${n}::int`.as('n'), 'id'])
                .where('owner_id', '=', owner(n))
                .execute()),
            )
          }
          return rows
        }
        return transaction ? kysely.transaction().execute(body) : body(kysely)
      }
    }
  }

  interface Outcome {
    readonly plan: Plan
    readonly rows: Row[]
    readonly scopeId: string
    /** capture() scopes: every record. */
    readonly records?: QueryRecord[]
    readonly findings: readonly Finding[]
  }

  async function scope(plan: Plan): Promise<Outcome> {
    // Half the scopes are capture() scopes (exact, with records), half run() scopes that report.
    if (plan.i % 2 === 0) {
      const report = await detector.capture(async () => ({ rows: await work(plan), scopeId: detector.currentScope()!.id }))
      return { plan, ...report.result, records: report.queries, findings: report.findings }
    }
    const result = await detector.run(`scope ${plan.i}`, async () => ({ rows: await work(plan), scopeId: detector.currentScope()!.id }))
    return { plan, ...result, findings: reports.get(`scope ${plan.i}`)?.findings ?? [] }
  }

  try {
    const outcomes = await Promise.all(Array.from({ length: SCOPES }, (_, i) => scope(planOf(i))))

    let statements = 0
    let expectedStatements = 0
    for (const { plan, rows, scopeId, records, findings } of outcomes) {
      const label = `scope ${plan.i} (${plan.style}${plan.transaction ? ', in a transaction' : ''})`
      const control = plan.transaction ? 2 : 0
      // The application got its own rows back.
      expect(new Set(rows.map((r) => r.scope)), label).toEqual(new Set([plan.i]))
      expect(rows.length, label).toBe(plan.loop * 2) // two pets per owner
      // Every query of the scope, and only those, in the scope.
      if (records !== undefined) {
        const loopRecords = records.filter((r) => r.kind !== 'transaction')
        expect(records.length, label).toBe(plan.loop + control)
        expect(new Set(records.map((r) => r.scopeId)), label).toEqual(new Set([scopeId]))
        expect(loopRecords.map((r) => r.params?.[0]), label).toEqual(Array(plan.loop).fill(plan.i))
        statements += records.length
      } else {
        const report = reports.get(`scope ${plan.i}`)
        expect(report?.queryCount, label).toBe(plan.loop + control)
        expect(report?.scope.id, label).toBe(scopeId)
        statements += report!.queryCount
      }
      expectedStatements += plan.loop + control
      // One N+1 per scope, with the scope's own count, naming the scope, sampled from it alone.
      expect(findings.map((f) => [f.kind, f.count, f.distinctParams, f.scope.id]), label).toEqual([
        ['n-plus-one', plan.loop, plan.loop, scopeId],
      ])
      // Up to 5 parameter sets, all the scope's own (a sampled scope's first run has no call site).
      const samples = findings[0]!.sampleParams?.map((sample) => sample[0]) ?? []
      expect(samples.length, label).toBeGreaterThanOrEqual(Math.min(plan.loop, 5) - 1)
      expect(new Set(samples), label).toEqual(new Set([plan.i]))
    }
    expect(new Set(outcomes.map((o) => o.scopeId)).size).toBe(SCOPES)
    expect([...reports.keys()].filter((name) => name.startsWith('scope ')).length).toBe(SCOPES / 2)
    expect(statements).toBe(expectedStatements)
  } finally {
    await kysely.destroy()
  }
})

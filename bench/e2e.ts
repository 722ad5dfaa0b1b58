// End to end on a real PostgreSQL: primary-key selects through raw pg and through Kysely, bare vs
// AsyncLocalStorage alone vs n1guard vs OpenTelemetry's pg instrumentation, side by side.
import { AsyncLocalStorage } from 'node:async_hooks'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { createDetector, type Detector } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { instrumentPool } from 'n1guard/pg'
import { alternate, fmtSummary, ratio, summarize, table, type RoundsResult, type Summary } from './lib/stats.js'
import type { OtelHandle } from './lib/otel.js'

interface ItemDB {
  item: { id: number; payload: string }
}

export interface E2EOptions {
  readonly url: string
  readonly pg: typeof pg
  readonly otel: OtelHandle
  /** Queries per variant per round. */
  readonly queries: number
  readonly rounds: number
}

export interface E2ERow {
  readonly driver: 'pg' | 'kysely'
  readonly workers: number
  readonly pattern: 'once per scope' | 'all repeating'
  readonly bareUs: number
  readonly vsBare: Summary
  readonly vsScope: Summary
  readonly otelVsBare: Summary
  readonly findings: number
}

const ROWS = 20_000

async function seed(pool: pg.Pool): Promise<void> {
  await pool.query('drop table if exists item')
  await pool.query('create table item (id int primary key, payload text not null)')
  await pool.query(`insert into item select i, md5(i::text) from generate_series(1, ${ROWS}) i`)
  await pool.query('analyze item')
}

type QueryFn = (id: number) => Promise<unknown>

// Runs `total` queries over `workers` concurrent loops. `wrap` is how each unit of work is scoped:
// once per query (a request per query) or once around a worker's whole loop (every query repeats).
async function drive(total: number, workers: number, perQuery: boolean, query: QueryFn, wrap: (fn: () => Promise<unknown>) => Promise<unknown>): Promise<number> {
  const each = Math.floor(total / workers)
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const base = w * each
      if (perQuery) {
        for (let i = 0; i < each; i++) await wrap(() => query(((base + i) % ROWS) + 1))
      } else {
        await wrap(async () => {
          for (let i = 0; i < each; i++) await query(((base + i) % ROWS) + 1)
        })
      }
    }),
  )
  return each * workers
}

export async function e2e(options: E2EOptions): Promise<{ rows: E2ERow[]; markdown: string; raw: Record<string, RoundsResult> }> {
  const { pg: pgModule, url, otel } = options
  const setup = new pgModule.Pool({ connectionString: url, max: 1 })
  await seed(setup)
  await setup.end()

  const rows: E2ERow[] = []
  const raw: Record<string, RoundsResult> = {}
  for (const driver of ['pg', 'kysely'] as const) {
    for (const workers of [1, 10]) {
      for (const pattern of ['once per scope', 'all repeating'] as const) {
        const perQuery = pattern === 'once per scope'
        let findings = 0
        const detector: Detector = createDetector({ reporters: [(r) => void (findings += r.findings.length)] })
        // Past the warm-up, so the steady state is measured (docs/how-it-works.md).
        for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
        const als = new AsyncLocalStorage<object>()
        const bare = new pgModule.Pool({ connectionString: url, max: workers })
        const watchedPool = new pgModule.Pool({ connectionString: url, max: workers })
        // An idle connection closed by the server (at shutdown) must not crash the run.
        for (const p of [bare, watchedPool]) p.on('error', () => undefined)
        const kBare = new Kysely<ItemDB>({ dialect: new PostgresDialect({ pool: bare }) })
        const kWatched = new Kysely<ItemDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: watchedPool }), detector) })
        if (driver === 'pg') instrumentPool(watchedPool, detector)
        const sql = 'select id, payload from item where id = $1'
        const plain: QueryFn =
          driver === 'pg' ? (id) => bare.query(sql, [id]) : (id) => kBare.selectFrom('item').select(['id', 'payload']).where('id', '=', id).execute()
        const watched: QueryFn =
          driver === 'pg'
            ? (id) => watchedPool.query(sql, [id])
            : (id) => kWatched.selectFrom('item').select(['id', 'payload']).where('id', '=', id).execute()
        const n = options.queries
        const result = await alternate(
          {
            bare: () => drive(n, workers, perQuery, plain, (fn) => fn()),
            'scope-only': () => drive(n, workers, perQuery, plain, (fn) => als.run({}, fn)),
            n1guard: () => drive(n, workers, perQuery, watched, (fn) => detector.run('bench', fn)),
            otel: async () => {
              otel.enable()
              try {
                return await drive(n, workers, perQuery, plain, (fn) => fn())
              } finally {
                otel.disable()
              }
            },
          },
          options.rounds,
        )
        // Kysely's destroy() skips a pool it never used: end the pools themselves.
        await Promise.allSettled([bare.end(), watchedPool.end()])
        const key = `${driver}, ${workers} worker${workers === 1 ? '' : 's'}, ${pattern}`
        raw[key] = result
        rows.push({
          driver,
          workers,
          pattern,
          bareUs: summarize(result.perOp.bare!).median / 1000,
          vsBare: ratio(result, 'n1guard', 'bare'),
          vsScope: ratio(result, 'n1guard', 'scope-only'),
          otelVsBare: ratio(result, 'otel', 'bare'),
          findings,
        })
        process.stderr.write(`  e2e ${key}: n1guard/scope-only ${fmtSummary(rows[rows.length - 1]!.vsScope)}\n`)
      }
    }
  }
  const markdown = table(
    ['driver', 'workers', 'pattern', 'bare µs/query', 'n1guard / scope-only', 'n1guard / bare', 'OTel pg / bare'],
    rows.map((r) => [
      r.driver,
      String(r.workers),
      r.pattern,
      r.bareUs.toFixed(1),
      fmtSummary(r.vsScope),
      fmtSummary(r.vsBare),
      fmtSummary(r.otelVsBare),
    ]),
  )
  return { rows, markdown, raw }
}

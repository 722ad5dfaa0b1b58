// What a server pays, in CPU time, on a real PostgreSQL: n1guard's own CPU per query and per scope
// as a share of the CPU the driver itself (pg, or Kysely over pg) spends per query in this process.
//
// CPU time, not wall clock: the machines this is built on are shared (load 10–20 on 2 cores), and
// wall time there measures the neighbours. `process.cpuUsage()` is this process's user + system
// time (every thread: JS, GC helpers, libuv); PostgreSQL runs in its own process and is not in it.
// Variants alternate unit by unit in one process (a scope, or one query of an open scope; the order
// rotates each unit): bare, the same work inside `AsyncLocalStorage.run` alone (on Node 20 async
// hooks tax every promise, a floor n1guard cannot go below), and n1guard. n1guard's own CPU is n1guard − scope-only in the same round;
// the share is that over bare's CPU per query in the same round. Rounds continue until the median
// share is known to ±0.5 percentage points (the notch 1.58·IQR/√n) or the round limit is reached.
import { AsyncLocalStorage } from 'node:async_hooks'
import { performance } from 'node:perf_hooks'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { createDetector, fingerprint, type Detector } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { instrumentClient, instrumentPool } from 'n1guard/pg'
import { table } from './lib/stats.js'

interface ItemDB {
  item: { id: number; payload: string; score: number }
}

export interface CpuOptions {
  /**
   * pg only: also measure the smallest recorder (`BENCH_CPU_FLOOR=1`), a pool.query wrapper in the
   * scope-only variant's AsyncLocalStorage that reads the scope, fingerprints the text (cached),
   * reads the clock twice and keeps the rows, through pg-pool's callback form: no call site, no
   * analysis, no advisor. What any recorder pays at the least on this machine, for scale. With it,
   * a fifth variant opens n1guard's scopes as the n1guard variant does over the uninstrumented
   * pool: what the scopes alone cost, without recording a query.
   */
  readonly floor?: boolean
  readonly url: string
  readonly pg: typeof pg
  /** Queries per variant per round. */
  readonly queries: number
  readonly minRounds: number
  readonly maxRounds: number
  /** Stop once the median share's notch half-width is at most this many percentage points. */
  readonly precision?: number
  /** Only these patterns (default: all). */
  readonly patterns?: readonly Pattern[]
  readonly drivers?: readonly ('pg' | 'kysely' | 'pg-client' | 'pg-client-cb')[]
  /** A pg Client class for the pools (a double, for experiments without a server). */
  readonly Client?: unknown
  /**
   * Another build of n1guard (its root, pg and Kysely modules) measured as a fourth variant in the
   * same rounds (`BENCH_CPU_AGAINST=<dist folder>`). Biased: a second copy of the same build comes
   * out 4–15 µs per query worse (docs/performance.md), so it is an experiment, not a result.
   * `BENCH_CPU_OPTIONS='<json>'` puts this build itself here, its detector made with those options
   * (one copy of the code, so without that bias): what a feature costs.
   */
  readonly against?: {
    readonly createDetector: typeof createDetector
    readonly instrumentPool: typeof instrumentPool
    readonly instrumentDialect: typeof instrumentDialect
  }
}

/**
 * `single query via startScope`: the scope is opened with `startScope()`, entered with `run()` and
 * closed with `end()` once the query is done, as the Express and Fastify middleware do for a
 * request; `single query` uses `detector.run`, whose promise settles after the scope has ended.
 */
export type Pattern = 'request-like' | 'single query' | 'single query via startScope' | 'all repeating'
const PATTERNS: readonly Pattern[] = ['request-like', 'single query', 'single query via startScope', 'all repeating']

export interface Quartiles {
  readonly median: number
  readonly q1: number
  readonly q3: number
}

export interface CpuRow {
  readonly driver: 'pg' | 'kysely' | 'pg-client' | 'pg-client-cb'
  readonly pattern: Pattern
  readonly queriesPerScope: number
  readonly rounds: number
  /** The driver's own CPU per query (bare), µs. */
  readonly bareUs: Quartiles
  /** AsyncLocalStorage alone over bare, µs per query. */
  readonly alsUs: Quartiles
  /** n1guard over AsyncLocalStorage alone, µs per query. */
  readonly ownUs: Quartiles
  /** ownUs / bareUs, per round, in percent. */
  readonly sharePct: Quartiles
  /** n1guard CPU / scope-only CPU, per round. */
  readonly vsScope: Quartiles
  /** n1guard / scope-only wall clock, per round (noisy on a shared machine). */
  readonly wallVsScope: Quartiles
  readonly findings: number
  /** With `against`: this build's own CPU minus the other build's, µs per query, per round. */
  readonly changeUs?: Quartiles
  /** With `against`: the other build's own CPU per query, µs. */
  readonly againstUs?: Quartiles
  /** With `floor`: the smallest recorder's CPU over scope-only, µs per query. */
  readonly floorUs?: Quartiles
  /** With `floor`: n1guard's scopes over the uninstrumented pool, CPU over scope-only, µs per query. */
  readonly scopesUs?: Quartiles
}

const ROWS = 20_000

export function quartiles(values: readonly number[]): Quartiles {
  const s = [...values].sort((a, b) => a - b)
  const at = (p: number) => {
    const i = (s.length - 1) * p
    const lo = Math.floor(i)
    const hi = Math.ceil(i)
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo)
  }
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) }
}

async function seed(pool: pg.Pool): Promise<void> {
  await pool.query('drop table if exists item')
  await pool.query('create table item (id int primary key, payload text not null, score int not null)')
  await pool.query(`insert into item select i, md5(i::text), i % 97 from generate_series(1, ${ROWS}) i`)
  await pool.query('analyze item')
}

type Query = (id: number) => Promise<unknown>

/** The smallest recorder's scope (options.floor): what it keeps of the last query. */
interface FloorScope {
  n: number
  last?: string
  rows?: unknown
  ms?: number
}

interface Driver {
  /** Three different cheap statements (a request-like scope runs each once). */
  readonly shapes: readonly [Query, Query, Query]
}

// pg's three statements through `query`: pool.query, or (opt-in, BENCH_CPU_DRIVERS=pg-client or
// pg-client-cb) client.query on a client checked out for the whole run, with promises as TypeORM
// queries, or with callbacks as Knex, MikroORM and Sequelize do.
function pgDriver(query: (text: string, values: unknown[]) => Promise<unknown>): Driver {
  return {
    shapes: [
      (id) => query('select id, payload from item where id = $1', [id]),
      (id) => query('select score from item where id = $1', [id]),
      (id) => query('select id from item where id = $1 and score >= $2', [id, 0]),
    ],
  }
}

function kyselyDriver(db: Kysely<ItemDB>): Driver {
  return {
    shapes: [
      (id) => db.selectFrom('item').select(['id', 'payload']).where('id', '=', id).execute(),
      (id) => db.selectFrom('item').select('score').where('id', '=', id).execute(),
      (id) => db.selectFrom('item').select('id').where('id', '=', id).where('score', '>=', 0).execute(),
    ],
  }
}

// One unit of work, the step at which variants alternate: a scope of the pattern, or for 'all
// repeating' one query in the variant's long-lived scope. Returns the number of queries run.
type Unit = (i: number) => Promise<number>

function units(pattern: Pattern, d: Driver, wrap: (fn: () => Promise<unknown>) => Promise<unknown>, after?: () => void): Unit {
  const [a, b, c] = d.shapes
  if (pattern !== 'request-like') {
    return async (i) => {
      await wrap(() => a((i % ROWS) + 1))
      after?.()
      return 1
    }
  }
  return async (i) => {
    const id = (i % ROWS) + 1
    await wrap(async () => {
      await a(id)
      await b(id)
      await c(id)
    })
    return 3
  }
}

export async function cpuBench(options: CpuOptions): Promise<{ rows: CpuRow[]; markdown: string }> {
  const { pg: pgModule, url } = options
  const precision = options.precision ?? 0.5
  if (options.Client === undefined) {
    const setup = new pgModule.Pool({ connectionString: url, max: 1 })
    await seed(setup)
    await setup.end()
  }

  const rows: CpuRow[] = []
  // One detector and one AsyncLocalStorage for every row: each enabled AsyncLocalStorage costs every
  // promise of the process a little (Node 20 propagates each store at every promise), so making
  // them per row would tax the later rows' bare variant with the earlier rows' instances.
  let findings = 0
  const detector: Detector = createDetector({ reporters: [(r) => void (findings += r.findings.length)] })
  // Past the warm-up, so the steady state is measured (docs/how-it-works.md).
  for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
  const als = new AsyncLocalStorage<object>()
  const other = options.against
  const otherDetector = other?.createDetector({ reporters: [() => undefined] })
  if (otherDetector !== undefined) for (let i = 0; i < 1000; i++) otherDetector.startScope('warm-up').end()
  for (const driver of options.drivers ?? (['pg', 'kysely'] as const)) {
    for (const pattern of options.patterns ?? PATTERNS) {
      findings = 0
      // One pool of one connection for all three variants: the driver's CPU per query differs by a
      // few µs from one connection to another (how many reads a response takes), which would
      // otherwise land on n1guard's figure. Kysely: two Kysely instances over the pool (each driver
      // keeps its own connection object for the pool's one pg client; only the instrumented
      // dialect's is wrapped). pg: the instrumented pool and its client get their own methods put
      // back for the bare units and n1guard's for the n1guard units (`use`, outside the timing).
      const pool = new pgModule.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 0, ...(options.Client === undefined ? {} : { Client: options.Client as never }) })
      pool.on('error', () => undefined)
      let bare: Driver
      let watched: Driver
      let watchedOther: Driver | undefined
      // Which variant's methods the pool and its client carry (pg), by variant name.
      let use: (variant: string) => void = () => undefined
      let held: pg.PoolClient | undefined
      if (driver === 'pg-client' || driver === 'pg-client-cb') {
        if (other !== undefined) throw new TypeError(`BENCH_CPU_AGAINST does not cover the ${driver} driver`)
        const client = (held = await pool.connect())
        const plain = client.query
        instrumentClient(client, detector)
        const mine = client.query
        use = (v) => {
          client.query = v === 'n1guard' ? mine : plain
        }
        // pg-client-cb: the callback form, as Knex, MikroORM and Sequelize query.
        bare = pgDriver(
          driver === 'pg-client'
            ? (text, values) => client.query(text, values)
            : (text, values) => new Promise((resolve, reject) => client.query(text, values, (error: Error | undefined, result: unknown) => (error ? reject(error) : resolve(result)))),
        )
        watched = bare
      } else if (driver === 'pg') {
        type Methods = { poolQuery: typeof pool.query; poolConnect: typeof pool.connect; clientQuery: pg.PoolClient['query'] }
        const client = await pool.connect()
        client.release()
        const plain: Methods = { poolQuery: pool.query, poolConnect: pool.connect, clientQuery: client.query }
        const put = (m: Methods) => {
          pool.query = m.poolQuery
          pool.connect = m.poolConnect
          client.query = m.clientQuery
        }
        const wrap = async (instrument: typeof instrumentPool, d: Detector): Promise<Methods> => {
          // Forget an earlier build's wrapping (both builds share the process-wide marker), wrap, and
          // check the client out once so it is wrapped too.
          const marked = (globalThis as Record<symbol, { instrumented: WeakMap<object, unknown> } | undefined>)[Symbol.for('n1guard.process-state')]?.instrumented
          marked?.delete(pool)
          marked?.delete(client)
          put(plain)
          instrument(pool, d)
          ;(await pool.connect()).release()
          return { poolQuery: pool.query, poolConnect: pool.connect, clientQuery: client.query }
        }
        // The other build first, this one last: the process-wide marker then names this build's
        // wrapping, so only the other build's wrappers take the path for a client wrapped elsewhere.
        const theirs = other === undefined ? undefined : await wrap(other.instrumentPool, otherDetector!)
        const mine = await wrap(instrumentPool, detector)
        // The smallest recorder (options.floor): pool.query through pg-pool's callback form, in a
        // promise of its own as pg-pool makes one without a callback, so it adds no promise.
        const plainQuery = plain.poolQuery as unknown as (this: pg.Pool, text: string, values: unknown[], cb: (e: Error | undefined, r: pg.QueryResult) => void) => void
        const floor: Methods = {
          ...plain,
          poolQuery: function (this: pg.Pool, text: string, values: unknown[]) {
            const scope = als.getStore() as FloorScope | undefined
            if (scope === undefined) return (plain.poolQuery as (text: string, values: unknown[]) => unknown).call(this, text, values)
            scope.last = fingerprint(text).id
            scope.n++
            const t0 = performance.now()
            return new Promise((resolve, reject) =>
              plainQuery.call(this, text, values, (error, result) => {
                scope.ms = performance.now() - t0
                if (error) return reject(error)
                scope.rows = result.rows
                resolve(result)
              }),
            )
          } as unknown as Methods['poolQuery'],
        }
        use = (v) => put(v === 'n1guard' ? mine : v === 'against' ? theirs! : v === 'floor' ? floor : plain)
        bare = pgDriver((text, values) => pool.query(text, values))
        watched = bare
        watchedOther = other === undefined ? undefined : bare
      } else {
        bare = kyselyDriver(new Kysely<ItemDB>({ dialect: new PostgresDialect({ pool }) }))
        watched = kyselyDriver(new Kysely<ItemDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) }))
        if (other !== undefined) watchedOther = kyselyDriver(new Kysely<ItemDB>({ dialect: other.instrumentDialect(new PostgresDialect({ pool }), otherDetector!) }))
      }
      // 'all repeating': each variant's scope stays open for the round (one N+1 of every query
      // the round runs), entered per query with scope.run(), as AsyncLocalStorage alone is.
      let openScope: ReturnType<Detector['startScope']> | undefined
      let otherScope: ReturnType<Detector['startScope']> | undefined
      let store: object = {}
      let floorStore: FloorScope = { n: 0 }
      let handle: ReturnType<Detector['startScope']> | undefined
      let otherHandle: ReturnType<Detector['startScope']> | undefined
      const repeating = pattern === 'all repeating'
      const variants: Record<string, Unit> = {
        bare: units(pattern, bare, (fn) => fn()),
        'scope-only': units(pattern, bare, repeating ? (fn) => als.run(store, fn) : (fn) => als.run({}, fn)),
        n1guard:
          pattern === 'single query via startScope'
            ? units(pattern, watched, (fn) => (handle = detector.startScope('bench')).run(fn), () => handle!.end())
            : units(pattern, watched, repeating ? (fn) => openScope!.run(fn) : (fn) => detector.run('bench', fn)),
      }
      if (watchedOther !== undefined) {
        variants.against =
          pattern === 'single query via startScope'
            ? units(pattern, watchedOther, (fn) => (otherHandle = otherDetector!.startScope('bench')).run(fn), () => otherHandle!.end())
            : units(pattern, watchedOther, repeating ? (fn) => otherScope!.run(fn) : (fn) => otherDetector!.run('bench', fn))
      }
      if (options.floor === true && driver === 'pg') {
        variants.floor = units(pattern, bare, repeating ? (fn) => als.run(floorStore, fn) : (fn) => als.run({ n: 0 } satisfies FloorScope, fn))
        // `use` puts the plain methods back for any name it does not know: nothing is recorded.
        variants['n1guard scopes'] =
          pattern === 'single query via startScope'
            ? units(pattern, bare, (fn) => (handle = detector.startScope('bench')).run(fn), () => handle!.end())
            : units(pattern, bare, repeating ? (fn) => openScope!.run(fn) : (fn) => detector.run('bench', fn))
      }
      const names = Object.keys(variants)
      const V = names.length
      const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
      const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
      const share: number[] = []
      let round = 0
      const warmup = 2
      for (;;) {
        if (repeating) {
          openScope = detector.startScope('bench')
          otherScope = otherDetector?.startScope('bench')
          store = {}
          floorStore = { n: 0 }
        }
        // Variants alternate unit by unit (a scope, or a query), the order rotating each unit, so
        // a neighbour's burst or a frequency change lands on all three alike.
        const c = names.map(() => 0)
        const t = names.map(() => 0)
        const q = names.map(() => 0)
        const steps = pattern === 'request-like' ? Math.floor(options.queries / 3) : options.queries
        for (let u = 0; u < steps; u++) {
          for (let k = 0; k < V; k++) {
            const v = (u + k + round) % V
            use(names[v]!)
            const c0 = process.cpuUsage()
            const t0 = performance.now()
            const n = await variants[names[v]!]!(round * steps + u)
            const t1 = performance.now()
            const c1 = process.cpuUsage(c0)
            c[v]! += c1.user + c1.system
            t[v]! += t1 - t0
            q[v]! += n
          }
        }
        if (repeating) {
          openScope!.end()
          otherScope?.end()
        }
        if (round >= warmup) {
          names.forEach((name, v) => {
            cpu[name]!.push(c[v]! / q[v]!)
            wall[name]!.push((t[v]! * 1000) / q[v]!)
          })
          const i = round - warmup
          share.push(((cpu.n1guard![i]! - cpu['scope-only']![i]!) / cpu.bare![i]!) * 100)
        }
        round++
        const n = share.length
        if (n >= options.minRounds) {
          const qs = quartiles(share)
          if ((1.58 * (qs.q3 - qs.q1)) / Math.sqrt(n) <= precision || n >= options.maxRounds) break
        }
      }
      held?.release()
      await pool.end().catch(() => undefined)
      const per = (xs: number[], ys: number[], f: (x: number, y: number) => number) => quartiles(xs.map((x, i) => f(x, ys[i]!)))
      const row: CpuRow = {
        driver,
        pattern,
        queriesPerScope: pattern === 'request-like' ? 3 : repeating ? options.queries : 1,
        rounds: share.length,
        bareUs: quartiles(cpu.bare!),
        alsUs: per(cpu['scope-only']!, cpu.bare!, (x, y) => x - y),
        ownUs: per(cpu.n1guard!, cpu['scope-only']!, (x, y) => x - y),
        sharePct: quartiles(share),
        vsScope: per(cpu.n1guard!, cpu['scope-only']!, (x, y) => x / y),
        wallVsScope: per(wall.n1guard!, wall['scope-only']!, (x, y) => x / y),
        findings,
        ...(other === undefined
          ? {}
          : {
              changeUs: per(cpu.n1guard!, cpu.against!, (x, y) => x - y),
              againstUs: per(cpu.against!, cpu['scope-only']!, (x, y) => x - y),
            }),
        ...(cpu.floor === undefined ? {} : { floorUs: per(cpu.floor, cpu['scope-only']!, (x, y) => x - y) }),
        ...(cpu['n1guard scopes'] === undefined ? {} : { scopesUs: per(cpu['n1guard scopes'], cpu['scope-only']!, (x, y) => x - y) }),
      }
      rows.push(row)
      process.stderr.write(
        `  cpu ${driver}, ${pattern}: own ${q(row.ownUs, 2)} µs/query, ${q(row.sharePct, 1)} % of bare ${row.bareUs.median.toFixed(1)} µs; ` +
          `n1guard/scope-only CPU ${q(row.vsScope, 3)}, wall ${q(row.wallVsScope, 3)}; ${row.rounds} rounds` +
          (row.changeUs === undefined ? '' : `; other build own ${q(row.againstUs!, 2)} µs/query, change ${q(row.changeUs, 2)} µs/query`) +
          (row.floorUs === undefined ? '' : `; smallest recorder ${q(row.floorUs, 2)} µs/query`) +
          (row.scopesUs === undefined ? '' : `; n1guard's scopes alone ${q(row.scopesUs, 2)} µs/query`) +
          '\n',
      )
    }
  }
  const target = (r: CpuRow) => (r.pattern === 'all repeating' ? '≤ 5 %' : r.pattern === 'request-like' ? '≤ 3 %' : '≤ 1.03 (wall clock, over scope-only)')
  const markdown = table(
    [
      'driver',
      'scope',
      'driver CPU µs/query (bare)',
      'AsyncLocalStorage alone, µs/query',
      'n1guard own CPU µs/query',
      'n1guard own µs/scope',
      'own / driver',
      'n1guard / scope-only CPU',
      'n1guard / scope-only wall clock',
      'rounds',
      'target',
      ...(other === undefined ? [] : ['other build own CPU µs/query', 'this build − other, µs/query']),
      ...(options.floor === true ? ['smallest recorder, µs/query (pg)', "n1guard's scopes alone, µs/query (pg)"] : []),
    ],
    rows.map((r) => [
      r.driver,
      r.pattern === 'all repeating' ? `all repeating (${r.queriesPerScope} queries)` : r.pattern === 'request-like' ? 'request-like (3 shapes)' : r.pattern === 'single query' ? 'single query (detector.run)' : 'single query (startScope, run, end)',
      r.bareUs.median.toFixed(1),
      q(r.alsUs, 2),
      q(r.ownUs, 2),
      r.pattern === 'all repeating' ? '—' : (r.ownUs.median * r.queriesPerScope).toFixed(2),
      `${q(r.sharePct, 1)} %`,
      q(r.vsScope, 3),
      q(r.wallVsScope, 3),
      String(r.rounds),
      target(r),
      ...(r.changeUs === undefined ? [] : [q(r.againstUs!, 2), q(r.changeUs, 2)]),
      ...(options.floor === true ? [r.floorUs === undefined ? '—' : q(r.floorUs, 2), r.scopesUs === undefined ? '—' : q(r.scopesUs, 2)] : []),
    ]),
  )
  return { rows, markdown }
}

function q(x: Quartiles, digits: number): string {
  return `${x.median.toFixed(digits)} (${x.q1.toFixed(digits)}–${x.q3.toFixed(digits)})`
}

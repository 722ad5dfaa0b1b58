// Instructions and cache misses per query on a real PostgreSQL, counted by Valgrind's cachegrind:
// its miss counts repeat to within about 10 % where CPU time on a shared 2-core machine swings by
// 30 % from one run to the next; its instruction counts move by up to 5 % of a query as V8 settles
// in different states (docs/performance.md, "A counting meter").
//
//   npm run bench -- instructions     # needs valgrind (Debian: apt-get install valgrind); ~10 min
//
// Each variant runs in its own process under cachegrind, twice: with SMALL and with LARGE queries
// after the same warm-up, and the difference over LARGE - SMALL queries is what one query costs in
// the steady state (start-up, module loading and warm-up cancel out). V8 runs with
// `--single-threaded --predictable`, so compilation and GC happen at the same points in every run.
// The workload is the cpu suite's request-like scope over pg: three different statements, each
// once, inside a scope; pool.query, max one connection.
//
// Variants: `scope-only` (AsyncLocalStorage.run, uninstrumented pool: the floor), `n1guard`
// (detector.run, instrumentPool), and `smallest wrapper` (a pool.query wrapper that reads the
// scope, fingerprints the text and times the promise: what a minimal recorder costs, for scale).
import { spawn } from 'node:child_process'
import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { createDetector, fingerprint } from 'n1guard'
import { instrumentPool } from 'n1guard/pg'

const VARIANTS = ['scope-only', 'n1guard', 'smallest wrapper'] as const
type Variant = (typeof VARIANTS)[number]
const SMALL = 600
const LARGE = 4_200
const WARM_UP_SCOPES = 1_500
const TEXTS = [
  'select id, payload from item where id = $1',
  'select count(*) from item where score = $1',
  'select payload from item where id = $1 and score >= 0',
]

/** One variant's cost per query (LARGE - SMALL, divided by the queries between them). */
export interface InstructionRow {
  readonly variant: Variant
  readonly instructions: number
  readonly i1Misses: number
  readonly dataRefs: number
  readonly d1Misses: number
  readonly llMisses: number
}

// The child: runs `queries` queries of the workload (after the warm-up) in `variant`, then exits.
async function child(variant: Variant, queries: number, url: string): Promise<void> {
  const Pg = createRequire(import.meta.url)('pg') as typeof pg
  const pool = new Pg.Pool({ connectionString: url, max: 1 })
  const als = new AsyncLocalStorage<{ n: number; rows?: unknown; ms?: number; last?: string }>()
  const detector = createDetector({ reporters: [() => undefined] })
  if (variant === 'n1guard') instrumentPool(pool, detector)
  if (variant === 'smallest wrapper') {
    const original = pool.query.bind(pool) as (text: string, values: unknown[]) => Promise<pg.QueryResult>
    ;(pool as { query: unknown }).query = (text: string, values: unknown[]) => {
      const scope = als.getStore()
      if (scope === undefined) return original(text, values)
      scope.n++
      scope.last = fingerprint(text).id
      const t0 = performance.now()
      return original(text, values).then((r) => {
        scope.rows = r.rows
        scope.ms = performance.now() - t0
        return r
      })
    }
  }
  const unit = async (i: number) => {
    for (const text of TEXTS) await pool.query(text, [(i % 1000) + 1])
  }
  const run = variant === 'n1guard' ? (i: number) => detector.run('bench', () => unit(i)) : (i: number) => als.run({ n: 0 }, unit, i)
  for (let i = 0; i < WARM_UP_SCOPES; i++) await run(i)
  // Past the detector's warm-up scopes (which take a stack for every query), in every variant.
  for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
  for (let i = 0; i < queries / TEXTS.length; i++) await run(i)
  await pool.end()
}

type Counts = Record<'Ir' | 'I1mr' | 'Dr' | 'Dw' | 'D1mr' | 'D1mw' | 'DLmr' | 'DLmw' | 'ILmr', number>

// Runs the child under cachegrind and reads its totals from the summary on stderr.
function counted(variant: Variant, queries: number, url: string): Promise<Counts> {
  const self = fileURLToPath(import.meta.url)
  const args = [
    '--tool=cachegrind',
    '--cache-sim=yes',
    // A 1 MiB last level: about one core's L2 on the machines this runs on.
    '--LL=1048576,16,64',
    '--cachegrind-out-file=/dev/null',
    process.execPath,
    '--single-threaded',
    '--predictable',
    '--import',
    'tsx',
    self,
    '--child',
    variant,
    String(queries),
  ]
  return new Promise((resolve, reject) => {
    const p = spawn('valgrind', args, { env: { ...process.env, BENCH_INSTRUCTIONS_URL: url }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (d: Buffer) => (err += d.toString()))
    p.on('error', (e) => reject(new Error(`valgrind could not start (${e.message}); install it (Debian: apt-get install valgrind)`)))
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`cachegrind run of ${variant} failed (${code}):\n${err.slice(-2000)}`))
      // cachegrind prints `1,234,567`; a missing figure is NaN, which shows in the table.
      const value = (digits: string | undefined) => Number(digits?.replace(/,/g, '') ?? NaN)
      const num = (label: string) => value(new RegExp(`${label}:\\s+([\\d,]+)`).exec(err)?.[1])
      const pair = (label: string) => {
        const m = new RegExp(`${label}:\\s+[\\d,]+\\s+\\(\\s*([\\d,]+) rd\\s+\\+\\s+([\\d,]+) wr`).exec(err)
        return [value(m?.[1]), value(m?.[2])] as const
      }
      const [Dr, Dw] = pair('D   refs')
      const [D1mr, D1mw] = pair('D1  misses')
      const [DLmr, DLmw] = pair('LLd misses')
      resolve({ Ir: num('I   refs'), I1mr: num('I1  misses'), ILmr: num('LLi misses'), Dr, Dw, D1mr, D1mw, DLmr, DLmw })
    })
  })
}

/** Counts every variant (two runs at a time) and returns a markdown table. */
export async function instructionsBench(options: { readonly url: string; readonly pg: typeof pg }): Promise<{ rows: InstructionRow[]; markdown: string }> {
  const setup = new options.pg.Pool({ connectionString: options.url, max: 1 })
  // Made afresh: another suite on the same DATABASE_URL may have left an `item` of another shape.
  await setup.query('drop table if exists item')
  await setup.query('create table item (id int primary key, payload text not null, score int not null)')
  await setup.query('insert into item select i, md5(i::text), i % 97 from generate_series(1, 1000) i')
  await setup.end()
  const rows: InstructionRow[] = []
  for (const variant of VARIANTS) {
    process.stderr.write(`  cachegrind: ${variant} ...\n`)
    const [a, b] = await Promise.all([counted(variant, SMALL, options.url), counted(variant, LARGE, options.url)])
    const per = (f: (c: Counts) => number) => (f(b) - f(a)) / (LARGE - SMALL)
    rows.push({
      variant,
      instructions: per((c) => c.Ir),
      i1Misses: per((c) => c.I1mr),
      dataRefs: per((c) => c.Dr + c.Dw),
      d1Misses: per((c) => c.D1mr + c.D1mw),
      llMisses: per((c) => c.ILmr + c.DLmr + c.DLmw),
    })
  }
  const floor = rows[0]!
  const f = (x: number) => Math.round(x).toLocaleString('en')
  const plus = (x: number, y: number) => (x - y >= 0 ? '+' : '−') + f(Math.abs(x - y))
  const lines = [
    '| variant (request-like, pg) | instructions / query | L1i misses | data refs | L1d misses | LL misses (1 MiB) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      r === floor
        ? `| ${r.variant} | ${f(r.instructions)} | ${f(r.i1Misses)} | ${f(r.dataRefs)} | ${f(r.d1Misses)} | ${f(r.llMisses)} |`
        : `| ${r.variant} (over scope-only) | ${plus(r.instructions, floor.instructions)} | ${plus(r.i1Misses, floor.i1Misses)} | ${plus(r.dataRefs, floor.dataRefs)} | ${plus(r.d1Misses, floor.d1Misses)} | ${plus(r.llMisses, floor.llMisses)} |`,
    ),
  ]
  return { rows, markdown: lines.join('\n') }
}

if (process.argv[2] === '--child') {
  const url = process.env.BENCH_INSTRUCTIONS_URL
  if (url === undefined) throw new Error('BENCH_INSTRUCTIONS_URL is not set')
  await child(process.argv[3] as Variant, Number(process.argv[4]), url)
}

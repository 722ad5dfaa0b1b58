// `npm run bench`: every benchmark, side by side, as ratios and per-operation costs.
//   npm run bench                 # all suites, full size (about 10 minutes on 2 cores)
//   npm run bench -- --quick      # small sizes, to check the harness
//   npm run bench -- hot e2e      # some suites (hot, stack, fingerprint, memory, graphql, cpu, cold, e2e)
//   npm run bench -- --write      # also update docs/performance.md between its markers
//   npm run bench -- cpu --write  # CPU per query on PostgreSQL only, into its own section
//   npm run bench -- cold --write # CPU per query, caches cold, against a driver double, into its own section
//   npm run bench -- instructions # instructions and cache misses per query under Valgrind (opt-in: never part of "all")
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'
// OpenTelemetry's pg hook must be in place before anything loads pg.
import { setUpOtel } from './lib/otel.js'

const otel = setUpOtel()
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const write = args.includes('--write')
const chosen = args.filter((a) => !a.startsWith('--'))
const want = (name: string) => chosen.length === 0 || chosen.includes(name)
// Suites that need a tool beyond npm (Valgrind) run only when named.
const named = (name: string) => chosen.includes(name)

const sections: string[] = []

// BENCH_CPU_AGAINST=<another build's dist folder>: the cpu and cold rows measure it too, side by side.
// BENCH_CPU_OPTIONS='<detector options as JSON>' instead: this build again, its detector made with
// these options ('{"advisor":false}': what the advisor costs per query, in the same rounds).
async function againstBuild() {
  const options = process.env.BENCH_CPU_OPTIONS
  if (options !== undefined && options !== '') {
    const extra = JSON.parse(options) as object
    const [root, pgMod, kyselyMod] = await Promise.all([import('n1guard'), import('n1guard/pg'), import('n1guard/kysely')])
    log(`  also measuring this build with ${options}`)
    return {
      createDetector: ((o?: object) => root.createDetector({ ...o, ...extra })) as typeof root.createDetector,
      instrumentPool: pgMod.instrumentPool,
      instrumentDialect: kyselyMod.instrumentDialect,
    }
  }
  const dir = process.env.BENCH_CPU_AGAINST
  if (dir === undefined || dir === '') return undefined
  const { pathToFileURL } = await import('node:url')
  const at = (file: string) => import(pathToFileURL(`${dir.replace(/\/$/, '')}/${file}`).href)
  const [root, pgMod, kyselyMod] = await Promise.all([at('index.js'), at('pg/index.js'), at('kysely/index.js')])
  log(`  also measuring the build in ${dir}`)
  return { createDetector: root.createDetector, instrumentPool: pgMod.instrumentPool, instrumentDialect: kyselyMod.instrumentDialect }
}
const log = (s: string) => process.stderr.write(`${s}\n`)

// A suite on a real PostgreSQL (DATABASE_URL, or an embedded server stopped afterwards).
async function onPostgres(suite: (url: string, pg: typeof import('pg')) => Promise<void>): Promise<void> {
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg')
  const { startPostgres } = await import('../examples/support/postgres.js')
  const server = await startPostgres()
  try {
    await suite(server.url, pg)
  } finally {
    await server.stop()
  }
}

if (want('hot')) {
  log('hot path (driver stub) ...')
  const { hotPath } = await import('./hot-path.js')
  const r = await hotPath(quick ? { ops: 20_000, rounds: 3 } : { ops: 300_000, rounds: 9 })
  sections.push(`### Own cost per query (driver stub, no database)\n\n${r.markdown}`)
}
if (want('stack')) {
  log('call-site stacks ...')
  const { stackBench } = await import('./stack.js')
  const r = await stackBench(quick ? { ops: 20_000, rounds: 3 } : { ops: 100_000, rounds: 7 })
  sections.push(`### Cost of one captured call stack\n\n${r.markdown}`)
}
if (want('fingerprint')) {
  log('fingerprint ...')
  const { fingerprintBench } = await import('./fingerprint.js')
  const r = await fingerprintBench({ rounds: quick ? 2 : 7 })
  sections.push(`### Fingerprint\n\n${r.markdown}`)
}
if (want('memory')) {
  log('memory ...')
  const { memoryBench } = await import('./memory.js')
  const r = await memoryBench(quick ? { queries: 50_000, scopes: 5_000 } : {})
  sections.push(`### Memory and growth\n\n${r.markdown}`)
}
if (want('graphql')) {
  log('graphql resolvers ...')
  const { graphqlBench } = await import('./graphql.js')
  const r = await graphqlBench(quick ? { operations: 200, rounds: 3 } : { operations: 2_000, rounds: 7 })
  sections.push(`### GraphQL resolvers (n1guard/graphql, no database)\n\n${r.markdown}`)
}
if (want('cpu')) {
  log('CPU per query on PostgreSQL (bare / AsyncLocalStorage alone / n1guard) ...')
  const { cpuBench } = await import('./cpu.js')
  await onPostgres(async (url, pg) => {
    const queries = Number(process.env.BENCH_CPU_QUERIES ?? (quick ? 600 : 1_500))
    // BENCH_CPU_DRIVERS=pg,kysely (opt-in: pg-client / pg-client-cb, client.query on a checked-out client with promises / callbacks) and BENCH_CPU_PATTERNS='request-like,single query,single query via startScope,all repeating' pick rows.
    const list = (v: string | undefined) => (v === undefined || v === '' ? undefined : v.split(','))
    const r = await cpuBench({
      url,
      pg,
      queries,
      against: await againstBuild(),
      // BENCH_CPU_FLOOR=1: pg rows also measure the smallest recorder (see CpuOptions.floor).
      floor: process.env.BENCH_CPU_FLOOR === '1',
      drivers: list(process.env.BENCH_CPU_DRIVERS) as ('pg' | 'kysely' | 'pg-client' | 'pg-client-cb')[] | undefined,
      patterns: list(process.env.BENCH_CPU_PATTERNS) as import('./cpu.js').Pattern[] | undefined,
      minRounds: quick ? 3 : 15, maxRounds: quick ? 3 : Number(process.env.BENCH_CPU_ROUNDS ?? 61) })
    sections.push(
      `### CPU per query on PostgreSQL (what a server pays; ${queries.toLocaleString('en')} queries per variant and round, median (IQR) of the rounds)\n\n${r.markdown}\n\n` +
        `Findings reported by n1guard in the all-repeating rows: ${r.rows.filter((x) => x.pattern === 'all repeating').every((x) => x.findings > 0) ? 'yes, in every one' : 'MISSING'}.`,
    )
  })
}
if (want('cold')) {
  const thrashKb = Number(process.env.BENCH_THRASH_KB ?? 8192)
  log(`CPU per query against a driver double that evicts the caches (${thrashKb} KB per query) ...`)
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg')
  const { cpuBench } = await import('./cpu.js')
  const { pgDouble } = await import('./lib/pg-double.js')
  const queries = Number(process.env.BENCH_CPU_QUERIES ?? (quick ? 600 : 3_000))
  const list = (v: string | undefined) => (v === undefined || v === '' ? undefined : v.split(','))
  const r = await cpuBench({
    url: 'postgres://double/double',
    pg,
    Client: pgDouble(thrashKb),
    queries,
    against: await againstBuild(),
    drivers: list(process.env.BENCH_CPU_DRIVERS) as ('pg' | 'kysely' | 'pg-client' | 'pg-client-cb')[] | undefined,
    patterns: list(process.env.BENCH_CPU_PATTERNS) as import('./cpu.js').Pattern[] | undefined,
    minRounds: quick ? 3 : 15,
    maxRounds: quick ? 3 : Number(process.env.BENCH_CPU_ROUNDS ?? 61),
  })
  sections.push(
    `### CPU per query, caches cold, no database (a pg Client double that writes ${thrashKb.toLocaleString('en')} KB between request and response; ${queries.toLocaleString('en')} queries per variant and round, median (IQR) of the rounds)\n\n${r.markdown}`,
  )
}
if (named('instructions')) {
  log('instructions and cache misses per query on PostgreSQL, under cachegrind ...')
  const { instructionsBench } = await import('./instructions.js')
  await onPostgres(async (url, pg) => {
    const r = await instructionsBench({ url, pg })
    sections.push(`### Instructions and cache misses per query (cachegrind, steady state)\n\n${r.markdown}`)
  })
}
if (want('e2e')) {
  log('end to end on PostgreSQL ...')
  const { e2e } = await import('./e2e.js')
  await onPostgres(async (url, pg) => {
    const r = await e2e({ url, pg, otel, queries: quick ? 2_000 : 20_000, rounds: quick ? 2 : 5 })
    const spans = otel.exported()
    sections.push(
      `### End to end on PostgreSQL (${quick ? 2_000 : 20_000} primary-key selects per variant and round)\n\n${r.markdown}\n\n` +
        `Findings reported by n1guard in the all-repeating runs: ${r.rows.filter((x) => x.pattern === 'all repeating').every((x) => x.findings > 0) ? 'yes, in every one' : 'MISSING'}; ` +
        `spans exported by OpenTelemetry: ${spans.toLocaleString('en')}.`,
    )
  })
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const shown = args.filter((a) => a !== '--write')
const command =
  Number(process.versions.node.split('.')[0]) === 20
    ? `npm run bench${shown.length > 0 ? ` -- ${shown.join(' ')}` : ''}`
    : `npm run build && node --expose-gc --import tsx bench/run.ts${shown.length > 0 ? ` ${shown.join(' ')}` : ''}\` with that Node as \`node`
const output = [`Measured ${new Date().toISOString().slice(0, 10)} on ${machine} with \`${command}\`.`, ...sections].join('\n\n')
process.stdout.write(`${output}\n`)
if (write) {
  // Node 20 (the supported minimum) fills the main results; another major gets a section of its own.
  const major = Number(process.versions.node.split('.')[0])
  // `cpu`, `cold` and `instructions` alone have a section of their own, so each can be rerun without the other suites.
  const own = chosen.length === 1 && (chosen[0] === 'cpu' || chosen[0] === 'cold' || chosen[0] === 'instructions') ? chosen[0] : undefined
  const tag = own !== undefined ? (major === 20 ? own : `${own}-node${major}`) : major === 20 ? 'bench' : `bench-node${major}`
  const path = new URL('../docs/performance.md', import.meta.url)
  let doc = readFileSync(path, 'utf8')
  if (!doc.includes(`<!-- ${tag}:start -->`)) {
    const after = doc.indexOf('<!-- bench:end -->') + '<!-- bench:end -->'.length
    doc = `${doc.slice(0, after)}\n\n### On Node ${major}\n\n<!-- ${tag}:start -->\n<!-- ${tag}:end -->${doc.slice(after)}`
  }
  const start = doc.indexOf(`<!-- ${tag}:start -->`)
  const end = doc.indexOf(`<!-- ${tag}:end -->`)
  if (start < 0 || end < 0) throw new Error('docs/performance.md has no bench markers')
  writeFileSync(path, `${doc.slice(0, start)}<!-- ${tag}:start -->\n${output}\n${doc.slice(end)}`)
  log('docs/performance.md updated')
}

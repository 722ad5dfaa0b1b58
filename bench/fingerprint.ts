// fingerprint(): cached and uncached throughput on Kysely-compiled SQL, against libpg-query's
// fingerprintSync (PostgreSQL's own parser compiled to WebAssembly), and growth with length.
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, DummyDriver, sql } from 'kysely'
import { fingerprint } from 'n1guard'
import { fmtSummary, summarize, table, type Summary } from './lib/stats.js'

interface DB {
  person: { id: number; name: string; email: string | null; team_id: number }
  pet: { id: number; owner_id: number; name: string; species: string }
  toy: { id: number; pet_id: number; name: string }
}

const cold = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

/** Real Kysely-compiled statements: joins, IN-lists of 1..500, multi-row inserts, 10 KB statements. */
export function kyselyCorpus(): string[] {
  const out: string[] = []
  out.push(cold.selectFrom('person').selectAll().where('id', '=', 1).compile().sql)
  out.push(
    cold
      .selectFrom('person')
      .innerJoin('pet', 'pet.owner_id', 'person.id')
      .leftJoin('toy', 'toy.pet_id', 'pet.id')
      .select(['person.id', 'person.name', 'pet.name as pet', 'toy.name as toy'])
      .where('person.team_id', '=', 3)
      .where((eb) => eb.or([eb('pet.species', '=', 'cat'), eb('toy.name', 'like', '%ball%')]))
      .orderBy('person.id')
      .limit(50)
      .offset(100)
      .compile().sql,
  )
  for (const n of [1, 2, 5, 10, 50, 100, 500]) {
    out.push(cold.selectFrom('pet').selectAll().where('owner_id', 'in', Array.from({ length: n }, (_, i) => i)).compile().sql)
  }
  for (const n of [1, 10, 100]) {
    out.push(
      cold
        .insertInto('toy')
        .values(Array.from({ length: n }, (_, i) => ({ id: i, pet_id: i, name: `t${i}` })))
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: (eb) => eb.ref('excluded.name') }))
        .returning(['id'])
        .compile().sql,
    )
  }
  out.push(cold.updateTable('pet').set({ name: 'x', species: 'y' }).where('id', '=', 1).compile().sql)
  out.push(cold.deleteFrom('toy').where('pet_id', 'in', [1, 2, 3]).compile().sql)
  out.push(sql`select * from person where name = ${'a'} and email ilike ${'%b%'} -- trailing comment`.compile(cold).sql)
  // ~10 KB statements: a wide select and a long insert.
  const cols = Array.from({ length: 300 }, (_, i) => `"col_${i}"`).join(', ')
  out.push(`select ${cols} from "wide_table" where "id" = $1`)
  out.push(cold.insertInto('toy').values(Array.from({ length: 400 }, (_, i) => ({ id: i, pet_id: i, name: `t${i}` }))).compile().sql)
  return out
}

function perCall(run: () => void, iterations: number): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  return Number(process.hrtime.bigint() - t0) / iterations
}

export interface FingerprintResult {
  readonly cachedNs: Summary
  readonly uncachedUs: Summary
  readonly libpgUs: Summary
  readonly speedup: Summary
  readonly growth: number
  readonly markdown: string
}

export async function fingerprintBench(options: { rounds?: number } = {}): Promise<FingerprintResult> {
  const rounds = options.rounds ?? 5
  const corpus = kyselyCorpus()
  const { loadModule, fingerprintSync } = (await import('libpg-query')) as {
    loadModule: () => Promise<void>
    fingerprintSync: (q: string) => string
  }
  await loadModule()
  // Uncached: a fresh statement every call (a comment varies, which the tokenizer strips).
  let salt = 0
  const fresh = corpus.map((q) => () => `${q} /* ${salt++} */`)
  const cached: number[] = []
  const uncached: number[] = []
  const libpg: number[] = []
  for (let r = 0; r < rounds + 1; r++) {
    const c = perCall(() => {
      for (const q of corpus) fingerprint(q)
    }, 20_000) / corpus.length
    const u = perCall(() => {
      for (const f of fresh) fingerprint(f())
    }, 200) / corpus.length
    const l = perCall(() => {
      for (const f of fresh) fingerprintSync(f())
    }, 20) / corpus.length
    if (r > 0) {
      cached.push(c)
      uncached.push(u / 1000)
      libpg.push(l / 1000)
    }
  }
  const speedup = summarize(libpg.map((l, i) => l / uncached[i]!))
  // Linear growth: time per character of a 1 MB statement against a 1 KB one.
  const unit = "select * from pet where owner_id = $1 and name = 'x' or species in ($2, $3) and id > -5 /* c */ "
  const make = (bytes: number) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes)
  const kb = make(1024)
  const mb = make(1024 * 1024)
  const tKb = Math.min(...Array.from({ length: 5 }, () => perCall(() => fingerprint(`${kb} ${salt++}`), 2000)))
  const tMb = Math.min(...Array.from({ length: 3 }, () => perCall(() => fingerprint(`${mb} ${salt++}`), 3)))
  const growth = tMb / tKb
  const markdown = table(
    ['measure', 'result (median, min–max)', 'target'],
    [
      ['cached lookup (same statement again)', fmtSummary(summarize(cached), 1, ' ns'), '≤ 100 ns'],
      ['uncached, n1guard (Kysely corpus, per statement)', fmtSummary(summarize(uncached), 2, ' µs'), ''],
      ['uncached, libpg-query fingerprintSync (same corpus)', fmtSummary(summarize(libpg), 2, ' µs'), ''],
      ['libpg-query time / n1guard time', fmtSummary(speedup, 1, '×'), '≥ 5×'],
      ['1 MB statement / 1 KB statement time', `${growth.toFixed(0)}× (${(tMb / 1e6).toFixed(1)} ms vs ${(tKb / 1e3).toFixed(1)} µs)`, '≤ 1000×'],
    ],
  )
  return { cachedNs: summarize(cached), uncachedUs: summarize(uncached), libpgUs: summarize(libpg), speedup, growth, markdown }
}

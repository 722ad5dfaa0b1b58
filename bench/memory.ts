// Memory and growth: one scope that runs a million queries, a hundred thousand scopes in a row,
// and analyze() on 10 to 100,000 records. Needs node --expose-gc.
import { analyze, type AnalyzedQuery } from '../src/analyze/index.js'
import { createDetector } from 'n1guard'
import { instrumentClient } from 'n1guard/pg'
import { table } from './lib/stats.js'

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run with node --expose-gc')
  collect()
  collect()
}

function heapMb(): number {
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

// A driver stub that answers at once with a fresh small result, like a real driver would.
function stub() {
  return {
    query(_text: string, values?: unknown[]) {
      return Promise.resolve({ rows: [{ id: values?.[0] ?? 0, name: 'x' }], rowCount: 1, command: 'SELECT' })
    },
  }
}

const SHAPES = [
  'select * from pet where owner_id = $1',
  'select * from toy where pet_id = $1',
  'select id, name from person where id = $1',
  'update person set name = $2 where id = $1',
]

export interface MemoryResult {
  readonly oneScopeMb: number
  readonly manyScopesMb: number
  readonly analyzeUsPerRecord: Array<[number, number]>
  readonly markdown: string
}

export async function memoryBench(options: { queries?: number; scopes?: number } = {}): Promise<MemoryResult> {
  const queries = options.queries ?? 1_000_000
  const scopes = options.scopes ?? 100_000
  const detector = createDetector({ reporters: [() => undefined] })
  const client = instrumentClient(stub(), detector)

  // 1. One scope, a million queries: what it retains while still open.
  let retained = 0
  const before = heapMb()
  await detector.run('one long job', async () => {
    for (let i = 0; i < queries; i++) await client.query(SHAPES[i % SHAPES.length]!, [i, `name ${i}`])
    retained = heapMb() - before
  })

  // 2. A hundred thousand scopes in a row: the heap must come back to where it was.
  for (let i = 0; i < 2000; i++) await detector.run('warm', () => client.query(SHAPES[0]!, [i]))
  const start = heapMb()
  for (let s = 0; s < scopes; s++) {
    await detector.run(`GET /items/${s % 50}`, async () => {
      await client.query(SHAPES[0]!, [s])
      await client.query(SHAPES[1]!, [s])
      await client.query(SHAPES[1]!, [s + 1])
    })
  }
  const growth = heapMb() - start

  // 3. analyze() on plain records: time per record must not grow with the count.
  const perRecord: Array<[number, number]> = []
  for (const n of [10, 1000, 100_000]) {
    const records: AnalyzedQuery[] = Array.from({ length: n }, (_, i) => ({
      fingerprint: `fp${i % 7}`,
      shape: SHAPES[i % 4]!,
      kind: 'select',
      tables: ['pet'],
      filters: [{ column: 'owner_id', operator: '=', param: 1 }],
      siteKey: `app.ts:${i % 7}:1`,
      paramKey: i,
      issuedAt: i,
      startedAt: i,
      endedAt: i + 0.5,
      adapter: 'pg',
      rowCount: 1,
      values: [i],
      rows: [{ id: i }],
    }))
    const reps = Math.max(1, Math.floor(200_000 / n))
    const t0 = process.hrtime.bigint()
    for (let r = 0; r < reps; r++) analyze(records, { threshold: 2 })
    perRecord.push([n, Number(process.hrtime.bigint() - t0) / reps / n / 1000])
  }
  const markdown = table(
    ['measure', 'result', 'target'],
    [
      [`heap retained by one open scope after ${queries.toLocaleString('en')} queries`, `${retained.toFixed(1)} MB`, '< 32 MB'],
      [`heap after ${scopes.toLocaleString('en')} sequential scopes (after GC), against the start`, `${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MB`, 'within 5 MB'],
      ...perRecord.map(([n, us]): [string, string, string] => [`analyze() on ${n.toLocaleString('en')} records`, `${us.toFixed(3)} µs per record`, 'linear or better']),
    ],
  )
  return { oneScopeMb: retained, manyScopesMb: growth, analyzeUsPerRecord: perRecord, markdown }
}

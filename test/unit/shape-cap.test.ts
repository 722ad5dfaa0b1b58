// One scope running SQL built from data (every statement a new shape) grew without bound (1.46 GB
// for a million shapes). A scope tracks its first MAX_SHAPES_PER_SCOPE shapes; queries of further
// shapes are counted (query count, budget) and said once in the report, and the shapes it tracks
// are still checked. A driver stub, so the test measures n1guard alone.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, test } from 'vitest'
import { MAX_SHAPES_PER_SCOPE, ScopeAggregate } from '../../src/analyze/index.js'
import { createDetector, type ScopeReport } from '../../src/index.js'
import { instrumentClient } from '../../src/pg/index.js'
import { consoleReporter } from '../../src/report/console-reporter.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function stubClient() {
  const result = { rows: [{ id: 1 }], rowCount: 1, command: 'SELECT' }
  return { query: (_text: string, _values?: unknown[]) => Promise.resolve(result) }
}

function heap(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

test('past the cap of distinct shapes: memory stays flat, the rest is counted and said once, tracked shapes are still checked', async () => {
  const reports: ScopeReport[] = []
  let printed = ''
  const detector = createDetector({
    reporters: [(r) => void reports.push(r), consoleReporter({ colors: false, stream: { write: (s: string) => (printed += s) } })],
  })
  const client = instrumentClient(stubClient(), detector)
  const distinct = 50_000
  let grown = 0
  await detector.run('nightly export', async () => {
    for (const id of [1, 2, 3, 4, 5]) {
      await client.query('select * from pet where owner_id = $1', [id])
      if (id !== 3) continue
      // Between the loop's third and fourth rows: a shape tracked before the cap is still counted
      // and checked after it.
      const before = heap()
      for (let i = 0; i < distinct; i++) await client.query(`select c_${i} from t_${i} where id = $1`, [i])
      grown = heap() - before
    }
  })
  expect(grown / 2 ** 20).toBeLessThan(30)
  const [report] = reports
  expect(report!.queryCount).toBe(distinct + 5)
  expect(report!.untrackedQueries).toBe(distinct - (MAX_SHAPES_PER_SCOPE - 1))
  expect(report!.findings.map((f) => [f.kind, f.count])).toEqual([['n-plus-one', 5]])
  expect(printed.match(/distinct SQL shapes/g)).toHaveLength(1)
  expect(printed).toContain(`${(distinct - (MAX_SHAPES_PER_SCOPE - 1)).toLocaleString('en')} queries of further shapes were counted`)
})

test('a query budget still counts every query, tracked or not', async () => {
  const detector = createDetector({ mode: 'silent', maxQueries: MAX_SHAPES_PER_SCOPE + 10 })
  const client = instrumentClient(stubClient(), detector)
  const { findings } = await detector.capture(async () => {
    for (let i = 0; i < MAX_SHAPES_PER_SCOPE + 20; i++) await client.query(`select c_${i} from budget_${i}`)
  })
  expect(findings.filter((f) => f.kind === 'query-budget').map((f) => f.count)).toEqual([MAX_SHAPES_PER_SCOPE + 20])
})

test('shapes found by a scan, then by a Map once a scope runs more than a few, keep their counts and the order they were first issued in', async () => {
  const detector = createDetector({ mode: 'silent' })
  const client = instrumentClient(stubClient(), detector)
  const shapes = 12
  const { findings } = await detector.capture(async () => {
    for (const id of [1, 2, 3, 4, 5]) {
      for (let k = 0; k < shapes; k++) await client.query(`select * from t_${k} where id = $1`, [id])
    }
  })
  // One loop running twelve shapes per row: one finding whose pattern lists them all, in order.
  expect(findings).toHaveLength(1)
  expect(findings[0]!.pattern!.map((m) => [m.sql, m.count])).toEqual(Array.from({ length: shapes }, (_, k) => [`select * from t_${k} where id = ?`, 5]))
})

test('a shape keeps its issue count when the scope moves its shapes from the scan to the Map', () => {
  const agg = new ScopeAggregate()
  const shapes = Array.from({ length: 12 }, (_, k) => `shape ${k}`)
  for (let round = 1; round <= 3; round++) {
    expect(shapes.map((s) => agg.issued(s))).toEqual(shapes.map(() => round))
  }
})

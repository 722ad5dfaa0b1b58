// Reporters share nothing they can corrupt: one that empties report.findings, changes a count,
// renames the scope or rewrites a call site leaves every later reporter, the onScopeEnd hook and
// the enclosing scope's findings exactly as they were.
import type pg from 'pg'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { createDetector, onScopeEnd, type Finding, type ScopeReport } from '../../src/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase
let raw: pg.Pool

beforeAll(async () => {
  db = await createTestDatabase({ people: 4 })
  raw = db.pool({ max: 1 })
})

afterAll(async () => {
  await raw.end()
  await db.drop()
})

/** A plain deep copy, to compare against later. */
function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

test('a reporter that mutates what it is given changes nothing for the others', async () => {
  const vandal = (report: ScopeReport): void => {
    const findings = report.findings as Finding[]
    const f = findings[0] as { count: number; callSite?: { line: number }; scope: { name?: string }; stack?: unknown[] } | undefined
    // Every write a careless or hostile reporter might try; each may throw (frozen) or be ignored.
    const attempts: Array<() => void> = [
      () => (f!.count = 999),
      () => (f!.callSite!.line = -1),
      () => (f!.scope.name = 'vandalised'),
      () => f!.stack?.splice(0),
      () => ((report as { scope: { name?: string } }).scope.name = 'vandalised'),
      () => ((report as { findings: unknown }).findings = []),
      () => findings.splice(0),
      () => findings.push({} as Finding),
    ]
    for (const attempt of attempts) {
      try {
        attempt()
      } catch {
        // frozen: fine
      }
    }
  }
  const later: ScopeReport[] = []
  const laterCopies: ScopeReport[] = []
  const hooked: Array<readonly Finding[]> = []
  const detector = createDetector({
    reporters: [
      vandal,
      (r) => {
        later.push(r)
        laterCopies.push(snapshot({ scope: r.scope, findings: r.findings, queryCount: r.queryCount }) as ScopeReport)
      },
    ],
  })
  const pool = instrumentPool(db.pool({ max: 1 }), detector)
  const stop = onScopeEnd((e) => hooked.push(snapshot(e.findings)))
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  let innerBefore: Finding[] = []
  let outerFindings: readonly Finding[] = []
  try {
    const outer = detector.startScope('outer')
    await outer.run(async () => {
      await detector.run('inner', async () => {
        for (const id of [1, 2, 3, 4]) await pool.query('select * from pet where owner_id = $1', [id])
      })
    })
    outerFindings = outer.end()
    innerBefore = snapshot(later[0]!.findings as Finding[])
  } finally {
    stop()
    vi.restoreAllMocks()
    await pool.end()
  }
  // The reporter after the vandal saw the real data, then and now.
  expect(laterCopies.map((r) => [r.scope.name, r.findings.map((f) => [f.count, f.scope.name])])).toEqual([
    ['inner', [[4, 'inner']]],
    ['outer', []],
  ])
  expect(snapshot(later[0]!.findings)).toEqual(innerBefore)
  expect(innerBefore[0]!.callSite!.line).toBeGreaterThan(0)
  expect(later[0]!.scope.name).toBe('inner')
  // onScopeEnd and the enclosing scope (which holds its child's findings, ended after the
  // vandal ran) are untouched too.
  expect(hooked[0]!.map((f) => f.count)).toEqual([4])
  expect(outerFindings.map((f) => [f.count, f.scope.name, f.callSite?.line])).toEqual([[4, 'inner', innerBefore[0]!.callSite!.line]])
})

test('findings from capture() stay the caller\'s own: sortable, and no reporter shares them', async () => {
  const detector = createDetector({ reporters: [] })
  const pool = instrumentPool(db.pool({ max: 1 }), detector)
  try {
    const report = await detector.capture(async () => {
      for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1', [id])
      for (const id of [1, 2]) await pool.query('select * from toy where pet_id = $1', [id])
    })
    expect(() => report.findings.sort((a, b) => a.count - b.count)).not.toThrow()
    expect(report.findings.map((f) => f.count)).toEqual([2, 3])
  } finally {
    await pool.end()
  }
})

test('a report is frozen when reporters share it; a lone reporter may change its own report, never the findings others hold', async () => {
  const shared: ScopeReport[] = []
  const lone: ScopeReport[] = []
  const twoReporters = createDetector({ reporters: [(r) => void shared.push(r), () => undefined] })
  const oneReporter = createDetector({
    reporters: [
      (r) => {
        lone.push(r)
        // Its own object: writable. The findings in it are n1guard's, frozen.
        ;(r as { queryCount: number }).queryCount = -1
        expect(() => (r.findings as Finding[]).splice(0)).toThrow(TypeError)
      },
    ],
  })
  const hooked: Array<readonly Finding[]> = []
  const stop = onScopeEnd((e) => hooked.push(e.findings))
  const pools = [instrumentPool(db.pool({ max: 1 }), twoReporters), instrumentPool(db.pool({ max: 1 }), oneReporter)]
  try {
    await twoReporters.run('shared', async () => {
      for (const id of [1, 2, 3]) await pools[0]!.query('select * from pet where owner_id = $1', [id])
    })
    const outer = oneReporter.startScope('outer')
    await outer.run(() =>
      oneReporter.run('lone', async () => {
        for (const id of [1, 2, 3]) await pools[1]!.query('select * from pet where owner_id = $1', [id])
      }),
    )
    const outerFindings = outer.end()
    expect(Object.isFrozen(shared[0])).toBe(true)
    expect(Object.isFrozen(shared[0]!.findings)).toBe(true)
    expect(shared[0]!.findings.map((f) => f.count)).toEqual([3])
    expect(Object.isFrozen(lone[0])).toBe(false)
    expect(lone[0]!.queryCount).toBe(-1)
    expect(Object.isFrozen(lone[0]!.findings[0])).toBe(true)
    // The hook and the enclosing scope still see the three queries' finding.
    expect(hooked.filter((f) => f.length > 0).map((f) => f.map((x) => x.count))).toEqual([[3], [3]])
    expect(outerFindings.map((f) => [f.count, f.scope.name])).toEqual([[3, 'lone']])
  } finally {
    stop()
    await Promise.all(pools.map((p) => p.end()))
  }
})

// The end-of-run summary: distinct findings by id, ranked by queries, tests listed once each.
import { describe, expect, test } from 'vitest'
import { buildSummary, formatSummary, type Sighting } from '../../src/vitest/summary.js'
import type { TestFinding } from '../../src/vitest/meta.js'

function finding(id: string, count: number, scope: string, kind: TestFinding['kind'] = 'n-plus-one'): TestFinding {
  return {
    id,
    kind,
    sql: `select * from t${id} where x = ?`,
    fingerprint: `fp${id}`,
    count,
    distinctParams: kind === 'n-plus-one' ? count : 1,
    parallel: false,
    totalDurationMs: 1,
    table: `t${id}`,
    callSite: { file: `src/${id}.ts`, line: 10, column: 3, function: `load${id}` },
    hint: `batch t${id}`,
    scope: { id: `s-${scope}`, name: scope },
  }
}

describe('buildSummary', () => {
  test('one entry per finding id, ranked by total queries, tests merged and sorted', () => {
    const sightings: Sighting[] = [
      { test: 'b.test.ts > two', file: 'b.test.ts', finding: finding('a', 3, 'GET /a') },
      { test: 'a.test.ts > one', file: 'a.test.ts', finding: finding('b', 20, 'GET /b') },
      { test: 'a.test.ts > one', file: 'a.test.ts', finding: finding('a', 4, 'GET /a') },
      { test: 'a.test.ts > one', file: 'a.test.ts', finding: finding('a', 5, 'job') },
      { test: 'c.test.ts > three', file: 'c.test.ts', finding: finding('c', 2, 'GET /c', 'duplicate') },
    ]
    const summary = buildSummary(sightings)
    expect(summary.testsWithFindings).toBe(3)
    expect(summary.findings.map((f) => [f.id, f.totalCount, f.occurrences, f.maxCount])).toEqual([
      ['b', 20, 1, 20],
      ['a', 12, 3, 5],
      ['c', 2, 1, 2],
    ])
    expect(summary.findings[1]!.tests).toEqual([
      { name: 'a.test.ts > one', file: 'a.test.ts', count: 9, scopes: ['GET /a', 'job'] },
      { name: 'b.test.ts > two', file: 'b.test.ts', count: 3, scopes: ['GET /a'] },
    ])
    const text = formatSummary(summary).join('\n')
    expect(text).toContain('n1guard: 3 distinct findings in 3 tests, most queries first')
    expect(text).toContain('  2. N+1 query: 12 queries in 3 scopes on ta (id a)')
    expect(text).toContain('     at src/a.ts:10:3 (loada)')
    expect(text).toContain('     tests: a.test.ts > one (9× in GET /a, job); b.test.ts > two (3× in GET /a)')
    expect(text).toContain('  3. duplicate query: 2 queries in 1 scope on tc (id c)')
  })

  test('an empty run says so in one line', () => {
    expect(formatSummary(buildSummary([]))).toEqual(['n1guard: no N+1 or duplicate queries in this run'])
  })
})

describe('options', () => {
  test('the reporter and guardTests check their options', async () => {
    const { default: N1guardReporter } = await import('../../src/vitest/reporter.js')
    const { guardTests } = await import('../../src/vitest/guard.js')
    expect(() => new N1guardReporter({ json: 3 } as never)).toThrow(/`json` must be a file path, got 3/)
    expect(() => new N1guardReporter({ print: 'yes' } as never)).toThrow(/`print` must be a boolean, got "yes"/)
    expect(() => guardTests({ failOn: 'always' } as never)).toThrow(/`failOn` must be 'n-plus-one', 'any' or 'never', got "always"/)
    expect(() => guardTests({ scopeTimeoutMs: -1 })).toThrow(/`scopeTimeoutMs` must be a number >= 0, got -1/)
    expect(() => guardTests({ scopePerTest: 1 } as never)).toThrow(/`scopePerTest` must be a boolean, got 1/)
    expect(() => guardTests({ failon: 'any' } as never)).toThrow(/unknown option "failon"/)
  })
})

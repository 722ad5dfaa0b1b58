// The end-of-run summary: every distinct finding once (by finding id), ranked by the queries it
// cost, with the tests that hit it. Pure: the reporter feeds it what the workers left in task meta.
import { printable } from '../core/printable.js'
import { formatCallSite } from '../report/format-finding.js'
import type { CallSite } from '../core/types.js'
import type { TestFinding } from './meta.js'

/** A test in which a finding was seen. */
export interface SummaryTest {
  /** `file > describe > test`, or `file (outside a test)` for hooks. */
  readonly name: string
  readonly file: string
  /** Executions of the statement in this test (summed over its scopes). */
  readonly count: number
  /** Names (or ids) of the scopes it happened in: routes, jobs, `capture`… */
  readonly scopes: readonly string[]
}

/** One distinct finding of the run. */
export interface SummaryFinding {
  readonly id: string
  readonly kind: TestFinding['kind']
  readonly sql: string
  readonly fingerprint: string
  readonly table?: string
  readonly callSite?: CallSite
  readonly hint: string
  /** Executions summed over every scope it was found in: what the ranking uses. */
  readonly totalCount: number
  /** Scopes it was found in. */
  readonly occurrences: number
  /** The most executions in one scope. */
  readonly maxCount: number
  readonly tests: readonly SummaryTest[]
}

/** What `n1guard/vitest/reporter` prints and writes as JSON. */
export interface Summary {
  readonly version: 1
  /** Tests (or files, for hooks) with at least one finding. */
  readonly testsWithFindings: number
  readonly findings: readonly SummaryFinding[]
}

/** A finding as seen in one test, for `buildSummary`. */
export interface Sighting {
  readonly test: string
  readonly file: string
  readonly finding: TestFinding
}

/** Groups sightings by finding id and ranks them: most queries first, then most tests. */
export function buildSummary(sightings: readonly Sighting[]): Summary {
  const byId = new Map<string, { first: TestFinding; total: number; occurrences: number; max: number; tests: Map<string, { file: string; count: number; scopes: Set<string> }> }>()
  for (const { test, file, finding } of sightings) {
    let entry = byId.get(finding.id)
    if (entry === undefined) {
      entry = { first: finding, total: 0, occurrences: 0, max: 0, tests: new Map() }
      byId.set(finding.id, entry)
    }
    entry.total += finding.count
    entry.occurrences++
    entry.max = Math.max(entry.max, finding.count)
    const t = entry.tests.get(test) ?? { file, count: 0, scopes: new Set<string>() }
    t.count += finding.count
    t.scopes.add(finding.scope.name ?? finding.scope.id)
    entry.tests.set(test, t)
  }
  const findings: SummaryFinding[] = [...byId.values()].map((e) => ({
    id: e.first.id,
    kind: e.first.kind,
    sql: e.first.sql,
    fingerprint: e.first.fingerprint,
    ...(e.first.table === undefined ? {} : { table: e.first.table }),
    ...(e.first.callSite === undefined ? {} : { callSite: e.first.callSite }),
    hint: e.first.hint,
    totalCount: e.total,
    occurrences: e.occurrences,
    maxCount: e.max,
    tests: [...e.tests.entries()]
      .map(([name, t]) => ({ name, file: t.file, count: t.count, scopes: [...t.scopes] }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }))
  findings.sort((a, b) => b.totalCount - a.totalCount || b.tests.length - a.tests.length || a.sql.localeCompare(b.sql))
  return { version: 1, testsWithFindings: new Set(sightings.map((s) => s.test)).size, findings }
}

/** The summary as lines for the terminal. */
export function formatSummary(summary: Summary): string[] {
  if (summary.findings.length === 0) return ['n1guard: no N+1 or duplicate queries in this run']
  const n = summary.findings.length
  const lines = [
    `n1guard: ${n} distinct finding${n === 1 ? '' : 's'} in ${summary.testsWithFindings} test${summary.testsWithFindings === 1 ? '' : 's'}, most queries first`,
  ]
  summary.findings.forEach((f, i) => {
    const what = f.kind === 'n-plus-one' ? 'N+1 query' : 'duplicate query'
    lines.push(
      `${String(i + 1).padStart(3)}. ${what}: ${f.totalCount} queries in ${f.occurrences} scope${f.occurrences === 1 ? '' : 's'}${f.table === undefined ? '' : ` on ${f.table}`} (id ${f.id})`,
      `     ${f.sql}`,
      `     at ${formatCallSite(f.callSite)}`,
      `     fix: ${f.hint}`,
      `     tests: ${f.tests.map((t) => `${t.name} (${t.count}× in ${t.scopes.join(', ')})`).join('; ')}`,
    )
  })
  // Test names, scope names and SQL come from outside: no control character reaches the terminal.
  return lines.map(printable)
}

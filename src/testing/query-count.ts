import { describeValue } from '../core/options.js'
import { printable } from '../core/printable.js'
import type { CallSite, QueryRecord, StatementKindName } from '../core/types.js'
import { sqlInfo } from '../fingerprint/index.js'

/**
 * Statements run, by class. Transaction control (BEGIN, COMMIT, SAVEPOINT…) never counts.
 *
 * @example
 * { total: 5, select: 4, insert: 1, update: 0, delete: 0, merge: 0, utility: 0 }
 */
export interface QueryCounts {
  /** Every statement but transaction control. */
  readonly total: number
  readonly select: number
  readonly insert: number
  readonly update: number
  readonly delete: number
  readonly merge: number
  /** Anything else: SET, DDL, CALL… */
  readonly utility: number
}

/**
 * A bound on a count: a number means exactly that many; `{ max }` at most, `{ exact }` exactly,
 * `{ min }` at least (combine `min` and `max` for a range).
 *
 * @example
 * assertQueryCount(fn, { select: 2, insert: { max: 1 } })
 */
export type CountRule = number | { readonly exact?: number; readonly max?: number; readonly min?: number }

/**
 * What `assertQueryCount` and `toRunQueries` check. `exact` / `max` bound the total; `select`,
 * `insert`, `update`, `delete` bound one class (a number there means exactly that many).
 *
 * @example
 * { max: 3 }                     // at most 3 statements
 * { exact: 2, insert: 0 }        // exactly 2, none of them an INSERT
 * { select: { max: 2 }, update: 1 }
 */
export interface QueryCountExpectation {
  /** Exactly this many statements (transaction control excluded). @default no bound */
  readonly exact?: number
  /** At most this many statements (transaction control excluded). @default no bound */
  readonly max?: number
  /** SELECT statements. @default no bound */
  readonly select?: CountRule
  /** INSERT statements. @default no bound */
  readonly insert?: CountRule
  /** UPDATE statements. @default no bound */
  readonly update?: CountRule
  /** DELETE statements. @default no bound */
  readonly delete?: CountRule
}

/**
 * One SQL shape from one call site, and how often it ran.
 *
 * @example
 * { sql: 'select * from "pet" where "owner_id" = ?', count: 4, callSite: { file: 'src/people.ts', line: 12, column: 5 } }
 */
export interface QueryGroup {
  readonly sql: string
  readonly count: number
  readonly callSite?: CallSite
}

export const EXPECTATION_KEYS = ['exact', 'max', 'select', 'insert', 'update', 'delete'] as const
const KINDS = ['select', 'insert', 'update', 'delete'] as const

function checkCount(value: unknown, name: string, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`n1guard: ${what}: \`${name}\` must be an integer >= 0, got ${describeValue(value)}`)
  }
}

/** Validates an expectation; throws a TypeError naming the bad value. */
export function checkExpectation(o: Record<string, unknown>, what: string): QueryCountExpectation {
  if (!EXPECTATION_KEYS.some((k) => o[k] !== undefined)) {
    throw new TypeError(`n1guard: ${what} needs at least one of ${EXPECTATION_KEYS.join(', ')}`)
  }
  if (o.exact !== undefined && o.max !== undefined) throw new TypeError(`n1guard: ${what}: give \`exact\` or \`max\`, not both`)
  if (o.exact !== undefined) checkCount(o.exact, 'exact', what)
  if (o.max !== undefined) checkCount(o.max, 'max', what)
  for (const kind of KINDS) {
    const rule = o[kind]
    if (rule === undefined || typeof rule === 'number') {
      if (rule !== undefined) checkCount(rule, kind, what)
      continue
    }
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      throw new TypeError(`n1guard: ${what}: \`${kind}\` must be a number or { exact?, max?, min? }, got ${describeValue(rule)}`)
    }
    const r = rule as Record<string, unknown>
    const keys = Object.keys(r)
    const bad = keys.find((k) => k !== 'exact' && k !== 'max' && k !== 'min')
    if (bad !== undefined) throw new TypeError(`n1guard: ${what}: unknown key ${JSON.stringify(bad)} in \`${kind}\` (known: exact, max, min)`)
    if (keys.length === 0) throw new TypeError(`n1guard: ${what}: \`${kind}\` is an empty object`)
    if (r.exact !== undefined && (r.max !== undefined || r.min !== undefined)) {
      throw new TypeError(`n1guard: ${what}: \`${kind}\` takes \`exact\`, or \`min\` and/or \`max\`, not both`)
    }
    for (const k of keys) checkCount(r[k], `${kind}.${k}`, what)
  }
  return o as QueryCountExpectation
}

/** Counts statements by class; transaction control never counts. */
export function countQueries(queries: readonly QueryRecord[]): QueryCounts {
  const c: Record<StatementKindName | 'total', number> = { total: 0, select: 0, insert: 0, update: 0, delete: 0, merge: 0, utility: 0, transaction: 0 }
  for (const q of queries) {
    if (q.kind === 'transaction' || q.housekeeping === true) continue
    c.total++
    c[q.kind]++
  }
  const { transaction: _t, ...counts } = c
  return counts
}

function describeRule(rule: CountRule): string {
  if (typeof rule === 'number') return `exactly ${rule}`
  if (rule.exact !== undefined) return `exactly ${rule.exact}`
  if (rule.min !== undefined && rule.max !== undefined) return `between ${rule.min} and ${rule.max}`
  return rule.max !== undefined ? `at most ${rule.max}` : `at least ${rule.min}`
}

function holds(rule: CountRule, n: number): boolean {
  if (typeof rule === 'number') return n === rule
  if (rule.exact !== undefined) return n === rule.exact
  return (rule.max === undefined || n <= rule.max) && (rule.min === undefined || n >= rule.min)
}

/** The rules `counts` breaks, as readable lines (empty when every rule holds). */
export function brokenRules(counts: QueryCounts, expected: QueryCountExpectation): string[] {
  const out: string[] = []
  const total: CountRule | undefined = expected.exact !== undefined ? expected.exact : expected.max !== undefined ? { max: expected.max } : undefined
  if (total !== undefined && !holds(total, counts.total)) out.push(`expected ${describeRule(total)} queries, ran ${counts.total}`)
  for (const kind of KINDS) {
    const rule = expected[kind]
    if (rule !== undefined && !holds(rule, counts[kind])) out.push(`expected ${describeRule(rule)} ${kind.toUpperCase()} statements, ran ${counts[kind]}`)
  }
  return out
}

/** `select 5, insert 1` style summary of the non-zero classes. */
export function formatCounts(counts: QueryCounts): string {
  const parts = (['select', 'insert', 'update', 'delete', 'merge', 'utility'] as const).filter((k) => counts[k] > 0).map((k) => `${k} ${counts[k]}`)
  return `${counts.total} ${counts.total === 1 ? 'query' : 'queries'}${parts.length === 0 ? '' : ` (${parts.join(', ')})`}`
}

function siteKey(site: CallSite | undefined): string {
  return site === undefined ? '' : `${site.file}:${site.line}`
}

/** `file:line (function)` for a message. */
export function where(site: CallSite | undefined): string {
  if (site === undefined) return 'an unknown call site'
  return printable(`${site.file}:${site.line}${site.function === undefined ? '' : ` (${site.function})`}`)
}

/** Statements grouped by SQL shape and call site, most frequent first; transaction control left out. */
export function groupQueries(queries: readonly QueryRecord[]): QueryGroup[] {
  const groups = new Map<string, { sql: string; count: number; callSite?: CallSite; first: number }>()
  queries.forEach((q, i) => {
    if (q.kind === 'transaction' || q.housekeeping === true) return
    const key = `${q.fingerprint}\u0000${siteKey(q.callSite)}`
    const g = groups.get(key)
    if (g !== undefined) g.count++
    else groups.set(key, { sql: q.sql, count: 1, first: i, ...(q.callSite === undefined ? {} : { callSite: q.callSite }) })
  })
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || a.first - b.first)
    .map(({ first: _f, ...g }) => g)
}

/** The groups as message lines: `  4 × select … \n      at file:line (fn)`. */
export function formatGroups(groups: readonly QueryGroup[]): string[] {
  const lines: string[] = []
  for (const g of groups) lines.push(`  ${g.count} × ${printable(g.sql)}`, `      at ${where(g.callSite)}`)
  return lines
}

/** The table a statement is counted under: its main table, or `(no table)`. */
export function mainTable(query: QueryRecord): string {
  try {
    return sqlInfo(query.sql).tables[0] ?? '(no table)'
  } catch {
    return '(no table)'
  }
}

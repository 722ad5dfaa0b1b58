import { resolveAdvisorOptions, type AdvisorOptions, type ResolvedAdvisorOptions } from './advisor-options.js'
import type { CallSite, Finding, Reporter, ScopeInfo, Severity } from './types.js'

/** What the detector does when a scope ends with findings. */
export type DetectorMode = 'warn' | 'throw' | 'silent'

/** What an ignore rule is shown: the finding about to be reported. */
export interface IgnoreSubject {
  readonly sql: string
  readonly fingerprint: string
  readonly table?: string
  readonly callSite?: CallSite
  readonly kind: Finding['kind']
}

/**
 * A rule that silences findings:
 * - a string: the SQL shape contains it (case-insensitive), e.g. `'from "audit_log"'`;
 * - a RegExp: tested against the SQL shape;
 * - an object: every field given must match (`table` exactly, case-insensitive; `file` as a
 *   substring of the call site path or a RegExp; `function` exactly or a RegExp; `sql` as above);
 * - a function: return true to ignore.
 *
 * @example
 * createDetector({ ignore: [/pg_catalog/, { table: 'feature_flag' }, { file: 'src/legacy/' }] })
 */
export type IgnoreRule =
  | string
  | RegExp
  | {
      readonly sql?: string | RegExp
      readonly table?: string
      readonly file?: string | RegExp
      readonly function?: string | RegExp
    }
  | ((subject: IgnoreSubject) => boolean)

/**
 * Options of `createDetector`. Every option is checked when given: a bad value throws a
 * `TypeError` that names it.
 *
 * @example
 * const detector = createDetector({ threshold: 3, mode: process.env.CI ? 'throw' : 'warn' })
 */
export interface DetectorOptions {
  /**
   * Executions of one SQL shape from one call site in one scope, with at least two distinct
   * parameter sets, that make an N+1 (an integer, at least 2).
   * @default 2
   */
  readonly threshold?: number
  /**
   * `'warn'`: reporters run when a scope ends; `'throw'`: `run` rejects with `NPlusOneError` when
   * its scope has an N+1; `'silent'`: record only (read findings from `capture`).
   * @default 'warn'
   */
  readonly mode?: DetectorMode
  /**
   * Where findings go when a scope ends. Replaces the default, which is a console warning in
   * `'warn'` mode (and for scopes that cannot throw, such as middleware, in `'throw'` mode).
   * @default [consoleReporter()]
   */
  readonly reporters?: readonly Reporter[]
  /** Findings to leave out. @default [] */
  readonly ignore?: readonly IgnoreRule[]
  /**
   * Keep parameter values on records and findings. Off by default so values (personal data,
   * secrets) never leave the process; inlined literals in SQL shapes stay masked even when on.
   * @default false
   */
  readonly captureParams?: boolean
  /**
   * Query records kept per scope for `capture()`; counts and findings stay exact past the cap and
   * the scope notes how many records it dropped.
   * @default 10000
   */
  readonly maxRecords?: number
  /**
   * Turn detection off without removing the instrumentation: queries pass straight through.
   * @default true
   */
  readonly enabled?: boolean
  /**
   * A query budget: a scope that runs more queries (transaction control aside) gets a
   * `query-budget` finding listing the shapes that ran most. A number for every scope, or a
   * function of the scope (return undefined for no budget); `run({ name, maxQueries })` overrides.
   * @default undefined (no budget)
   * @example maxQueries: (scope) => (scope.name?.startsWith('GET /reports') ? 500 : 50)
   */
  readonly maxQueries?: number | ((scope: ScopeInfo) => number | undefined)
  /**
   * Report an N+1 only when n1guard proved that an earlier result of two rows or more fed it
   * (as Bullet and Laravel's lazy-loading guard do): fewer findings, no false alarms.
   * @default false
   */
  readonly requireMultiRowSource?: boolean
  /**
   * Leave out findings whose executions took less than this many milliseconds in total: in
   * production, warn only about loops that cost something.
   * @default 0
   */
  readonly minTotalDurationMs?: number
  /**
   * Leave out findings below this severity (`'low'` keeps everything; see `Severity`).
   * @default 'low'
   */
  readonly minSeverity?: Severity
  /**
   * Path of a baseline file that lists known findings (by shape, file and function, not line), for
   * adopting n1guard on an existing codebase: known findings still warn but never fail
   * (`assertNoNPlusOne`, `'throw'` mode); new ones do. Run once with `N1GUARD_UPDATE_BASELINE=1`
   * to write it from what the process finds.
   * @default undefined
   */
  readonly baseline?: string
  /**
   * Warn (once per call site, a few at most) when a query runs with no scope while scopes are open
   * in the process, or after its scope ended: the sign of lost async context (a callback API, an
   * event emitter, a timer) or of fire-and-forget work. Off in `'silent'` mode.
   * @default true
   */
  readonly warnOnLostContext?: boolean
  /**
   * Tag every statement run inside a scope with a sqlcommenter comment
   * (`/*n1guard_scope='…',route='GET%20%2Fusers%2F%3Aid',traceparent='00-…'*\/`), so PostgreSQL's
   * logs and `pg_stat_activity` show which request ran it. `true` adds every key; an object picks
   * them. Named prepared statements and statements that already hold a comment are left alone, and
   * fingerprints never change (comments are not part of a shape).
   * @default false
   */
  readonly sqlcommenter?: boolean | SqlcommenterOptions
  /**
   * The query advisor: `missing-index`, `deep-offset` and `unbounded-select` findings (see
   * docs/advisor.md). `false` turns it off (no per-query work at all); an object sets each rule.
   * @default true
   * @example advisor: { deepOffset: 5000, database: pool }
   */
  readonly advisor?: boolean | AdvisorOptions
}

/**
 * Which keys `sqlcommenter` adds. `traceparent` needs a registered trace context (`n1guard/otel`'s
 * `otelReporter()` or `enableTraceContext()`) and an active span.
 *
 * @example
 * createDetector({ sqlcommenter: { route: true, scopeId: false } })
 */
export interface SqlcommenterOptions {
  /** Add `route`: the scope's name, e.g. `GET /users/:id`. @default true */
  readonly route?: boolean
  /** Add `n1guard_scope`: the scope's id (the request id when the middleware was given one). @default true */
  readonly scopeId?: boolean
  /** Add `traceparent` of the active OpenTelemetry span when there is one. @default true */
  readonly traceparent?: boolean
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly threshold: number
  readonly mode: DetectorMode
  readonly reporters: readonly Reporter[] | undefined
  readonly ignore: readonly IgnoreRule[]
  readonly captureParams: boolean
  readonly maxRecords: number
  readonly enabled: boolean
  readonly maxQueries: number | ((scope: ScopeInfo) => number | undefined) | undefined
  readonly requireMultiRowSource: boolean
  readonly minTotalDurationMs: number
  readonly minSeverity: Severity
  readonly baseline: string | undefined
  readonly warnOnLostContext: boolean
  /** Undefined when statements are not tagged. */
  readonly sqlcommenter: Required<SqlcommenterOptions> | undefined
  /** Undefined when every advisor rule is off. */
  readonly advisor: ResolvedAdvisorOptions | undefined
}

const KNOWN = new Set([
  'threshold',
  'mode',
  'reporters',
  'ignore',
  'captureParams',
  'maxRecords',
  'enabled',
  'maxQueries',
  'requireMultiRowSource',
  'minTotalDurationMs',
  'minSeverity',
  'baseline',
  'warnOnLostContext',
  'sqlcommenter',
  'advisor',
])
const SEVERITIES = new Set(['low', 'medium', 'high'])
const SQLCOMMENTER_KEYS = ['route', 'scopeId', 'traceparent'] as const

function resolveSqlcommenter(value: unknown): Required<SqlcommenterOptions> | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return { route: true, scopeId: true, traceparent: true }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`n1guard: option \`sqlcommenter\` must be a boolean or { route?, scopeId?, traceparent? }, got ${describeValue(value)}`)
  }
  const o = value as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!(SQLCOMMENTER_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`n1guard: unknown sqlcommenter key ${JSON.stringify(key)} (known: ${SQLCOMMENTER_KEYS.join(', ')})`)
    }
    if (typeof o[key] !== 'boolean') {
      throw new TypeError(`n1guard: sqlcommenter.${key} must be a boolean, got ${describeValue(o[key])}`)
    }
  }
  const resolved = { route: o.route !== false, scopeId: o.scopeId !== false, traceparent: o.traceparent !== false }
  if (!resolved.route && !resolved.scopeId && !resolved.traceparent) {
    throw new TypeError('n1guard: option `sqlcommenter` turns every key off; use `sqlcommenter: false` instead')
  }
  return resolved
}
const MODES = new Set(['warn', 'throw', 'silent'])

/** Shows a bad value the way a user would recognise it in their code. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `array of length ${value.length}`
  try {
    const json = JSON.stringify(value)
    return json.length > 80 ? `${json.slice(0, 77)}...` : json
  } catch {
    return Object.prototype.toString.call(value)
  }
}

function positiveInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`n1guard: option \`${name}\` must be an integer >= ${min}, got ${describeValue(value)}`)
  }
  return value
}

function isReporter(value: unknown): value is Reporter {
  if (typeof value === 'function') return true
  return typeof value === 'object' && value !== null && typeof (value as { report?: unknown }).report === 'function'
}

function checkIgnoreRule(rule: unknown, index: number): void {
  if (typeof rule === 'string' || rule instanceof RegExp || typeof rule === 'function') return
  if (typeof rule === 'object' && rule !== null && !Array.isArray(rule)) {
    const keys = Object.keys(rule)
    const allowed = new Set(['sql', 'table', 'file', 'function'])
    const unknown = keys.find((k) => !allowed.has(k))
    if (unknown !== undefined) {
      throw new TypeError(
        `n1guard: ignore[${index}] has unknown key ${JSON.stringify(unknown)} (expected sql, table, file or function)`,
      )
    }
    if (keys.length === 0) throw new TypeError(`n1guard: ignore[${index}] is an empty object and would ignore everything`)
    const r = rule as Record<string, unknown>
    for (const key of keys) {
      const v = r[key]
      const ok = key === 'table' ? typeof v === 'string' : typeof v === 'string' || v instanceof RegExp
      if (!ok) throw new TypeError(`n1guard: ignore[${index}].${key} must be a string${key === 'table' ? '' : ' or RegExp'}, got ${describeValue(v)}`)
    }
    return
  }
  throw new TypeError(`n1guard: ignore[${index}] must be a string, RegExp, object or function, got ${describeValue(rule)}`)
}

/** Validates user options and applies defaults; throws `TypeError` naming the first bad value. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`n1guard: createDetector options must be an object, got ${describeValue(options)}`)
  }
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(`n1guard: unknown option ${JSON.stringify(key)} (known: ${[...KNOWN].join(', ')})`)
    }
  }
  const threshold = o.threshold === undefined ? 2 : positiveInteger('threshold', o.threshold, 2)
  let mode: DetectorMode = 'warn'
  if (o.mode !== undefined) {
    if (typeof o.mode !== 'string' || !MODES.has(o.mode)) {
      throw new TypeError(`n1guard: option \`mode\` must be 'warn', 'throw' or 'silent', got ${describeValue(o.mode)}`)
    }
    mode = o.mode as DetectorMode
  }
  let reporters: readonly Reporter[] | undefined
  if (o.reporters !== undefined) {
    if (!Array.isArray(o.reporters)) {
      throw new TypeError(`n1guard: option \`reporters\` must be an array, got ${describeValue(o.reporters)}`)
    }
    o.reporters.forEach((r, i) => {
      if (!isReporter(r)) {
        throw new TypeError(`n1guard: reporters[${i}] must be a function or an object with a report() method, got ${describeValue(r)}`)
      }
    })
    reporters = [...(o.reporters as Reporter[])]
  }
  let ignore: readonly IgnoreRule[] = []
  if (o.ignore !== undefined) {
    if (!Array.isArray(o.ignore)) {
      throw new TypeError(`n1guard: option \`ignore\` must be an array, got ${describeValue(o.ignore)}`)
    }
    o.ignore.forEach(checkIgnoreRule)
    ignore = [...(o.ignore as IgnoreRule[])]
  }
  const bool = (name: string, fallback: boolean): boolean => {
    const v = o[name]
    if (v === undefined) return fallback
    if (typeof v !== 'boolean') throw new TypeError(`n1guard: option \`${name}\` must be a boolean, got ${describeValue(v)}`)
    return v
  }
  let maxQueries: ResolvedOptions['maxQueries']
  if (o.maxQueries !== undefined) {
    if (typeof o.maxQueries === 'function') maxQueries = o.maxQueries as (scope: ScopeInfo) => number | undefined
    else maxQueries = positiveInteger('maxQueries', o.maxQueries, 1)
  }
  const minMs = o.minTotalDurationMs
  if (minMs !== undefined && (typeof minMs !== 'number' || !Number.isFinite(minMs) || minMs < 0)) {
    throw new TypeError(`n1guard: option \`minTotalDurationMs\` must be a number >= 0, got ${describeValue(minMs)}`)
  }
  if (o.minSeverity !== undefined && (typeof o.minSeverity !== 'string' || !SEVERITIES.has(o.minSeverity))) {
    throw new TypeError(`n1guard: option \`minSeverity\` must be 'low', 'medium' or 'high', got ${describeValue(o.minSeverity)}`)
  }
  if (o.baseline !== undefined && (typeof o.baseline !== 'string' || o.baseline.length === 0)) {
    throw new TypeError(`n1guard: option \`baseline\` must be a file path, got ${describeValue(o.baseline)}`)
  }
  return {
    threshold,
    mode,
    reporters,
    ignore,
    captureParams: bool('captureParams', false),
    maxRecords: o.maxRecords === undefined ? 10_000 : positiveInteger('maxRecords', o.maxRecords, 1),
    enabled: bool('enabled', true),
    maxQueries,
    requireMultiRowSource: bool('requireMultiRowSource', false),
    minTotalDurationMs: (minMs as number | undefined) ?? 0,
    minSeverity: (o.minSeverity as Severity | undefined) ?? 'low',
    baseline: o.baseline as string | undefined,
    warnOnLostContext: bool('warnOnLostContext', true),
    sqlcommenter: resolveSqlcommenter(o.sqlcommenter),
    advisor: resolveAdvisorOptions(o.advisor, threshold, describeValue),
  }
}

import { resolveAdvisorOptions } from './advisor-options.js'
import { describeValue } from './describe-value.js'
import type { DetectorMode, IgnoreRule, SqlcommenterOptions, ResolvedOptions } from './detector-options.js'
import type { Reporter, ScopeInfo, Severity } from './types.js'

export { describeValue } from './describe-value.js'
export type { DetectorMode, IgnoreSubject, IgnoreRule, DetectorOptions, SqlcommenterOptions, ResolvedOptions } from './detector-options.js'

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

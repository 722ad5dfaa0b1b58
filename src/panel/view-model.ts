// What the panel page and the HTML report render: plain, JSON-safe data with no parameter values
// unless the detector captures them. One shape for both, so both share one renderer.
import { explainSource } from '../core/explain.js'
import type { RecordedScope } from '../core/recorder.js'
import type { CallSite, Finding, QueryRecord } from '../core/types.js'

/** One query of a scope, placed on the scope's timeline. */
export interface PanelQuery {
  /** The SQL shape (values replaced by `?`). */
  readonly sql: string
  readonly fingerprint: string
  readonly kind: string
  /** Milliseconds from the scope's start to the query's start. */
  readonly offsetMs: number
  readonly durationMs: number
  readonly rowCount?: number
  readonly error?: string
  readonly callSite?: CallSite
  /** Parameter values, only when the detector has `captureParams: true`. */
  readonly params?: readonly unknown[]
}

/** Queries of one shape in a scope, with whether the panel can EXPLAIN it. */
export interface PanelShape {
  readonly fingerprint: string
  readonly sql: string
  readonly kind: string
  readonly count: number
  readonly totalMs: number
  /** `true` when EXPLAIN can run; otherwise why not, in words. */
  readonly explain: true | string
}

/** A finding as the page shows it: the finding plus its proof in words. */
export type PanelFinding = Finding & { readonly proof?: string }

/** The row of the scope list. */
export interface PanelScopeSummary {
  readonly id: string
  readonly name?: string
  /** Milliseconds since the Unix epoch (absent for report input that has no time). */
  readonly startedAt?: number
  readonly durationMs?: number
  readonly queryCount: number
  /** Sum of the recorded queries' durations. */
  readonly queryMs: number
  /** Findings by kind. */
  readonly kinds: Readonly<Record<string, number>>
}

/** One scope with everything the detail view shows. */
export interface PanelScope extends PanelScopeSummary {
  readonly findings: readonly PanelFinding[]
  readonly queries: readonly PanelQuery[]
  readonly shapes: readonly PanelShape[]
  /** Queries not listed (past the per-scope cap or the detector's `maxRecords`). */
  readonly truncated: number
  /** True when the input had per-query timings (a panel); false for findings-only input. */
  readonly timed: boolean
}

/** Why EXPLAIN cannot run for a shape, or true. */
export type ExplainCheck = (shape: { kind: string; fingerprint: string }) => true | string

function countKinds(findings: readonly Finding[]): Record<string, number> {
  const kinds: Record<string, number> = {}
  for (const f of findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
  return kinds
}

function withProof(f: Finding, keepParams: boolean): PanelFinding {
  let proof: string | undefined
  try {
    proof = explainSource(f)
  } catch {
    proof = undefined
  }
  // sampleParams exists only with captureParams; dropped anyway when the panel must not send values.
  const { sampleParams, ...rest } = f
  const base = keepParams && sampleParams !== undefined ? { ...rest, sampleParams } : rest
  return proof === undefined ? base : { ...base, proof }
}

function errorText(r: QueryRecord): string | undefined {
  if (r.error === undefined) return undefined
  const code = r.error.code === undefined ? '' : ` (${r.error.code})`
  return `${r.error.name}${code}${r.error.message === '' ? '' : `: ${r.error.message}`}`
}

/** Builds the page's view of a recorded scope, listing at most `maxQueries` queries. */
export function scopeView(rec: RecordedScope, maxQueries: number, keepParams: boolean, explain: ExplainCheck): PanelScope {
  const start = rec.startedAt
  const sorted = [...rec.records].sort((a, b) => a.startedAt - b.startedAt)
  const listed = sorted.slice(0, maxQueries)
  const queries: PanelQuery[] = listed.map((r) => {
    const error = errorText(r)
    return {
      sql: r.sql,
      fingerprint: r.fingerprint,
      kind: r.kind,
      offsetMs: Math.max(0, r.startedAt - start),
      durationMs: r.durationMs,
      ...(r.rowCount === undefined ? {} : { rowCount: r.rowCount }),
      ...(error === undefined ? {} : { error }),
      ...(r.callSite === undefined ? {} : { callSite: r.callSite }),
      ...(keepParams && r.params !== undefined ? { params: r.params } : {}),
    }
  })
  const byShape = new Map<string, { fingerprint: string; sql: string; kind: string; count: number; totalMs: number }>()
  let queryMs = 0
  for (const r of sorted) {
    queryMs += r.durationMs
    const s = byShape.get(r.fingerprint)
    if (s === undefined) byShape.set(r.fingerprint, { fingerprint: r.fingerprint, sql: r.sql, kind: r.kind, count: 1, totalMs: r.durationMs })
    else {
      s.count++
      s.totalMs += r.durationMs
    }
  }
  const shapes = [...byShape.values()]
    .sort((a, b) => b.count - a.count || b.totalMs - a.totalMs)
    .map((s) => ({ ...s, explain: explain(s) }))
  return {
    id: rec.scope.id,
    ...(rec.scope.name === undefined ? {} : { name: rec.scope.name }),
    startedAt: rec.startedAt,
    durationMs: rec.durationMs,
    queryCount: rec.queryCount,
    queryMs,
    kinds: countKinds(rec.findings),
    findings: rec.findings.map((f) => withProof(f, keepParams)),
    queries,
    shapes,
    truncated: rec.truncated + (sorted.length - listed.length),
    timed: true,
  }
}

/**
 * Scopes from findings alone (`jsonReporter` lines, the Vitest reporter): one scope per scope id,
 * its shapes from the findings, no timeline. Newest first when the input has times.
 */
export function scopesFromFindings(findings: readonly (Finding & { time?: string })[]): PanelScope[] {
  const groups = new Map<string, { name?: string; time?: number; findings: Finding[] }>()
  for (const f of findings) {
    const id = f.scope?.id ?? '(no scope)'
    let g = groups.get(id)
    if (g === undefined) {
      g = f.scope?.name === undefined ? { findings: [] } : { name: f.scope.name, findings: [] }
      groups.set(id, g)
    }
    const t = typeof f.time === 'string' ? Date.parse(f.time) : NaN
    if (!Number.isNaN(t) && (g.time === undefined || t < g.time)) g.time = t
    g.findings.push(f)
  }
  const out: PanelScope[] = []
  for (const [id, g] of groups) {
    const shapes = new Map<string, PanelShape>()
    let queryMs = 0
    let queryCount = 0
    for (const f of g.findings) {
      if (f.kind === 'query-budget' || typeof f.sql !== 'string') continue
      queryMs += f.totalDurationMs ?? 0
      queryCount += f.count ?? 0
      const key = f.fingerprint ?? f.sql
      if (!shapes.has(key)) {
        shapes.set(key, {
          fingerprint: key,
          sql: f.sql,
          kind: /^\s*(select|with)\b/i.test(f.sql) ? 'select' : 'other',
          count: f.count ?? 0,
          totalMs: f.totalDurationMs ?? 0,
          explain: 'EXPLAIN runs in the live panel (npx n1guard report has no database connection)',
        })
      }
    }
    out.push({
      id,
      ...(g.name === undefined ? {} : { name: g.name }),
      ...(g.time === undefined ? {} : { startedAt: g.time }),
      queryCount,
      queryMs,
      kinds: countKinds(g.findings),
      findings: g.findings.map((f) => withProof(f, false)),
      queries: [],
      shapes: [...shapes.values()],
      truncated: 0,
      timed: false,
    })
  }
  return out.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))
}

/** The list row of a scope. */
export function summaryOf(s: PanelScope): PanelScopeSummary {
  return {
    id: s.id,
    ...(s.name === undefined ? {} : { name: s.name }),
    ...(s.startedAt === undefined ? {} : { startedAt: s.startedAt }),
    ...(s.durationMs === undefined ? {} : { durationMs: s.durationMs }),
    queryCount: s.queryCount,
    queryMs: s.queryMs,
    kinds: s.kinds,
  }
}

import { performance } from 'node:perf_hooks'
import { carriedSite, type DepthHint, type RawSite } from '../callsite/capture-site.js'
import type { AdvisorPort } from './advisor-port.js'
import { sqlInfo } from '../fingerprint/index.js'
import type { ContextDiagnostics } from './context-diagnostics.js'
import { internalError } from './internal-error.js'
import type { ResolvedOptions } from './options.js'
import { QueryTrace, type TraceSink } from './query-trace.js'
import type { Scope } from './scope.js'
import { sampleSite } from './site-sampler.js'
import { tagSql } from './sqlcommenter.js'
import { probeTraceContext } from './trace-context.js'
import type { QueryError } from './types.js'

function errorOf(error: unknown, withMessage: boolean): QueryError {
  if (error === null || typeof error !== 'object') return { name: 'Error', message: withMessage ? String(error) : '' }
  const e = error as { name?: unknown; message?: unknown; code?: unknown }
  const name = typeof e.name === 'string' ? e.name : 'Error'
  // A driver's message can quote a value ('invalid input syntax for type integer: "…"').
  const message = withMessage && typeof e.message === 'string' ? e.message : ''
  return typeof e.code === 'string' ? { name, message, code: e.code } : { name, message }
}

/**
 * Records statements into scopes: `begin` when a statement is issued (fingerprint, call site via
 * the site sampler, start time), `end` when it settles (duration, rows, error; into the scope's
 * aggregate and records). Adapters reach it only through the capture port.
 *
 * @example
 * const trace = recorder.begin(scope, 'select 1', [], 'pg', entry, hint)
 * if (trace !== undefined) recorder.end(trace, 1)
 */
export class QueryRecorder implements TraceSink {
  /** `options.captureParams`, kept here: read for every statement, and options never change. */
  private readonly captureParams: boolean
  /** The advisor's `wideRows` (Infinity without an advisor), kept here: read for every statement. */
  private readonly wideRows: number

  constructor(
    private readonly options: ResolvedOptions,
    private readonly diagnostics: ContextDiagnostics,
    /** The query advisor, when it is on: it sees each statement's text and bound values at issue. */
    private readonly advisor: AdvisorPort | undefined = undefined,
  ) {
    this.captureParams = options.captureParams
    this.wideRows = advisor === undefined ? Infinity : advisor.wideRows
  }

  /**
   * A statement issued now in `scope`, in the caller's async context. Undefined when it cannot be
   * recorded. `entry` is the adapter function the application called (stack frames above it are
   * n1guard's); `issuedAt` is when the application asked for it, if earlier than now.
   */
  begin(
    scope: Scope,
    sql: unknown,
    params: readonly unknown[] | undefined,
    adapter: 'kysely' | 'pg',
    entry: Function,
    hint: DepthHint,
    issuedAt?: number,
  ): QueryTrace<Scope> | undefined {
    if (typeof sql !== 'string') return undefined
    try {
      // A job whose span starts inside its scope: look for the trace context again at the first query.
      if (!scope.probed) {
        scope.probed = true
        probeTraceContext(scope)
      }
      const info = sqlInfo(sql)
      let site: RawSite | undefined
      let siteKey: string | undefined
      let issued = 0
      if (info.kind !== 'transaction' && !info.housekeeping) {
        issued = scope.issued(info.id)
        // 0: a shape past the scope's cap, counted but not analyzed, so no stack is worth taking.
        if (issued > 0) {
          // A line an ORM helper carried from the user's call costs nothing more to take: every run uses it.
          const exact = scope.exact || carriedSite() !== undefined
          const sampled = sampleSite(scope, info.id, issued, exact, entry, hint)
          site = sampled.site
          siteKey = sampled.siteKey
        }
      }
      const now = performance.now()
      const captureParams = this.captureParams
      const trace = new QueryTrace(this, scope, info, params, site, siteKey, adapter, issuedAt ?? now, now, captureParams, sql, issued > 1)
      // The text as sent, for the panel's EXPLAIN: only where values are kept anyway, in scopes
      // that keep their records (every scope while the panel records).
      if (captureParams && scope.keepRecords) trace.text = sql
      if (this.advisor !== undefined) this.advisor.issued(scope, trace, sql, params, issued)
      return trace
    } catch (error) {
      internalError('recording the start of a query', error)
      return undefined
    }
  }

  /**
   * The statement settled, before the caller sees the outcome. `rows` is the result's row array,
   * by reference (kept, bounded, to find the query that fed a loop).
   */
  end(trace: QueryTrace<Scope>, rowCount: number | undefined, error?: unknown, rows?: readonly unknown[], columns?: readonly string[]): void {
    try {
      trace.endedAt = performance.now()
      trace.rowCount = rowCount
      trace.rows = rows
      trace.columns = columns
      if (error !== undefined) trace.error = errorOf(error, this.captureParams)
      const scope = trace.scope
      // A query still running when its scope ended (fire and forget) is not the scope's any more.
      if (scope.ended) {
        this.diagnostics.late(trace)
        return
      }
      const held = scope.finished(trace)
      if (rowCount !== undefined && rowCount > this.wideRows) this.advisor!.ended(scope, trace)
      const site = trace.site
      if (site !== undefined) {
        const sites = (scope.sites ??= new Map())
        if (!sites.has(site.key)) sites.set(site.key, site)
      }
      if (scope.keepRecords) scope.keep(trace, this.options.maxRecords)
      // Only kept records (and held-back statements) still need the rows; the aggregate
      // holds its own bounded references.
      else if (!held) trace.rows = undefined
    } catch (err) {
      internalError('recording the end of a query', err)
    }
  }

  /** `sql` with the sqlcommenter tag of the trace's scope, or unchanged when tagging is off. */
  tag(sql: string, trace: QueryTrace<Scope>): string {
    return this.options.sqlcommenter === undefined ? sql : tagSql(sql, trace.scope, this.options)
  }
}

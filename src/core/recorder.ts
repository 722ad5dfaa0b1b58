// Whole-scope recording for tools that show every query of a scope (n1guard/panel). Off unless
// someone records: a detector with no recorder pays one field read per scope, none per query.
import { performance } from 'node:perf_hooks'
import type { QueryTrace } from './query-trace.js'
import { recordsOf } from './query-record.js'
import type { Scope } from './scope.js'
import type { Finding, QueryRecord, ScopeInfo } from './types.js'

/** One ended scope with its queries, as a recorder receives it. */
export interface RecordedScope {
  readonly scope: ScopeInfo
  /** When the scope opened, in milliseconds since the Unix epoch. */
  readonly startedAt: number
  readonly durationMs: number
  /** Queries the scope itself ran (`records` may also hold those of scopes nested in it). */
  readonly queryCount: number
  /** The scope's own findings. */
  readonly findings: readonly Finding[]
  /** Its queries in the order they finished, up to the detector's `maxRecords`. */
  readonly records: readonly QueryRecord[]
  /** Queries past the record cap. */
  readonly truncated: number
  /**
   * The SQL text each record was sent with (same index as `records`), only with `captureParams`:
   * with the parameters, enough to EXPLAIN a statement. Never sent anywhere by n1guard itself.
   */
  readonly texts?: readonly (string | undefined)[]
}

/** Receives every scope of a detector as it ends. Must not throw (a throw is swallowed). */
export type ScopeRecorder = (scope: RecordedScope) => void

/** Where a detector keeps its recorders (its scope tracker). */
export interface Recordable {
  recorders: Set<ScopeRecorder> | undefined
}

const origin = performance.timeOrigin

/**
 * Starts handing every scope of `tracker` that ends to `recorder`, with its records; returns a
 * function that stops. While any recorder listens, every scope keeps its records.
 */
export function addRecorder(tracker: Recordable, recorder: ScopeRecorder): () => void {
  const set = (tracker.recorders ??= new Set())
  set.add(recorder)
  return () => {
    set.delete(recorder)
    if (set.size === 0 && tracker.recorders === set) tracker.recorders = undefined
  }
}

/** Called by the scope tracker as a scope ends while someone records. @internal */
export function deliverRecorded(tracker: Recordable, scope: Scope, own: readonly Finding[]): void {
  const recorders = tracker.recorders
  if (recorders === undefined || scope.kind.paused === true) return
  const traces: readonly QueryTrace<Scope>[] = scope.childRecords === undefined ? scope.records : [...scope.records, ...scope.childRecords]
  const withText = traces.some((t) => t.text !== undefined)
  const event: RecordedScope = {
    scope: scope.info(),
    startedAt: origin + scope.startedAt,
    durationMs: scope.endedAt - scope.startedAt,
    queryCount: scope.queryCount,
    findings: own,
    records: recordsOf(scope),
    truncated: scope.truncated,
    ...(withText ? { texts: traces.map((t) => t.text) } : {}),
  }
  for (const recorder of recorders) {
    try {
      recorder(event)
    } catch {
      // a recorder's failure is its own business
    }
  }
}

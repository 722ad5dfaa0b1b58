import { performance } from 'node:perf_hooks'
import { resolveSite } from '../callsite/resolve-site.js'
import type { QueryTrace } from './query-trace.js'
import type { Scope } from './scope.js'
import type { QueryRecord } from './types.js'

const origin = performance.timeOrigin

/** A trace as users see it (`capture().queries`): call site resolved, wall-clock start. */
export function toRecord(t: QueryTrace): QueryRecord {
  return {
    sql: t.shape,
    fingerprint: t.fingerprint,
    durationMs: t.endedAt - t.startedAt,
    ...(t.rowCount === undefined ? {} : { rowCount: t.rowCount }),
    startedAt: origin + t.startedAt,
    scopeId: t.scope.id,
    ...(t.site === undefined ? {} : { callSite: resolveSite(t.site) }),
    ...(t.error === undefined ? {} : { error: t.error }),
    ...(t.params === undefined ? {} : { params: t.params }),
    kind: t.kind,
    ...(t.housekeeping ? { housekeeping: true } : {}),
  }
}

/**
 * The records a scope kept, its nested scopes' included, in the order they finished.
 *
 * @example
 * const queries = recordsOf(scope) // before scope.release()
 */
export function recordsOf(scope: Scope): QueryRecord[] {
  const all = scope.childRecords === undefined ? scope.records : [...scope.records, ...scope.childRecords]
  return all.map(toRecord)
}

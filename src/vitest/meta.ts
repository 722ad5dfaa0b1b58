// What the setup file (in each worker) hands the reporter (in the main process) through Vitest's
// task meta: plain JSON, never parameter values.
import type { CallSite, Finding } from '../core/types.js'

/** A finding as it travels from a test worker to the reporter. */
export interface TestFinding {
  readonly id: string
  readonly kind: Finding['kind']
  readonly sql: string
  readonly fingerprint: string
  readonly count: number
  readonly distinctParams: number
  readonly parallel: boolean
  readonly totalDurationMs: number
  readonly table?: string
  readonly callSite?: CallSite
  readonly hint: string
  readonly scope: { readonly id: string; readonly name?: string }
}

/** Test meta under the `n1guard` key. */
export interface TestMeta {
  readonly findings: readonly TestFinding[]
}

/** File meta under the `n1guard` key: findings no test could be held to (hooks, late scope ends). */
export interface FileMeta {
  readonly findings: ReadonlyArray<TestFinding & { readonly test?: string }>
}

export const META_KEY = 'n1guard'

/** The wire form of a finding: no sampleParams, whatever the detector captured. */
export function toTestFinding(f: Finding): TestFinding {
  return {
    id: f.id,
    kind: f.kind,
    sql: f.sql,
    fingerprint: f.fingerprint,
    count: f.count,
    distinctParams: f.distinctParams,
    parallel: f.parallel,
    totalDurationMs: f.totalDurationMs,
    ...(f.table === undefined ? {} : { table: f.table }),
    ...(f.callSite === undefined ? {} : { callSite: f.callSite }),
    hint: f.hint,
    scope: f.scope.name === undefined ? { id: f.scope.id } : { id: f.scope.id, name: f.scope.name },
  }
}

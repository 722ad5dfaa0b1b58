import { ScopeAggregate } from '../analyze/index.js'
import type { RawSite } from '../callsite/capture-site.js'
import type { QueryTrace } from './query-trace.js'
import type { Finding, ScopeInfo } from './types.js'

/** How a scope was opened, which decides how it reports and how much it keeps. */
export interface ScopeKind {
  /** Capture a call site for every query, not only repeats (tests, the first scopes of a process). */
  readonly exact: boolean
  /** Keep query records for `capture()`. */
  readonly keepRecords: boolean
  /** Report to the detector's reporters when it ends (false for `capture` / `assertNoNPlusOne`). */
  readonly report: boolean
  /** Its opener can reject with `NPlusOneError` (`run`); middleware scopes cannot. */
  readonly canThrow: boolean
}

/**
 * The unit of attribution (a request, a job, a test): what AsyncLocalStorage carries. Memory is
 * bounded: aggregates per (shape, call site), one frame per call site, and at most `maxRecords`
 * records (`truncated` counts the rest).
 */
export class Scope implements ScopeInfo {
  readonly aggregate = new ScopeAggregate()
  /** Shapes issued so far, to know at issue time that a shape repeats. */
  readonly issued = new Set<string>()
  /** The first captured frame of each call site, resolved for display only when it makes a finding. */
  readonly sites = new Map<string, RawSite>()
  readonly records: QueryTrace[] = []
  truncated = 0
  ended = false
  /** Findings of scopes opened inside this one, which report on their own but also belong here. */
  childFindings: Finding[] | undefined
  childRecords: QueryTrace[] | undefined
  /** Set when the scope ends: its own findings, and those plus its children's. */
  ownFindings: readonly Finding[] = []
  findings: readonly Finding[] = []
  endedAt = 0
  /** What the registered trace-context provider captured (the active span), for reporters. */
  traceContext: unknown = undefined

  constructor(
    readonly id: string,
    public name: string | undefined,
    readonly parent: Scope | undefined,
    readonly kind: ScopeKind,
    readonly startedAt: number,
  ) {}

  /** A plain `{ id, name? }` snapshot for findings and reports. */
  info(): ScopeInfo {
    return this.name === undefined ? { id: this.id } : { id: this.id, name: this.name }
  }
}

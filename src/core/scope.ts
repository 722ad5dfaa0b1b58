import { randomBytes } from 'node:crypto'
import { ScopeAggregate } from '../analyze/index.js'

export { MAX_SHAPES_PER_SCOPE } from '../analyze/index.js'
import type { RawSite } from '../callsite/capture-site.js'
import type { SiteSamples } from './site-sampler.js'
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
  /** Detection paused (`detector.ignore(fn)`): queries pass through unrecorded. */
  readonly paused?: boolean
  /**
   * Its opener rejects with the N+1s of the scopes nested in it (a test assertion around
   * supertest requests): those scopes do not report them too. One finding, one report.
   */
  readonly surfaces?: boolean
}

/**
 * The unit of attribution (a request, a job, a test): what AsyncLocalStorage carries. Memory is
 * bounded: aggregates per (shape, call site), one frame per call site, and at most `maxRecords`
 * records (`truncated` counts the rest).
 */
// Scope ids: a random prefix per process (ids stay unique across a fleet's logs) and a counter.
const SCOPE_PREFIX = `${randomBytes(3).toString('hex')}-`
const NO_FINDINGS: readonly Finding[] = Object.freeze([])
const NO_RECORDS: readonly QueryTrace<Scope>[] = Object.freeze([])

export class Scope implements ScopeInfo {
  private agg: ScopeAggregate | undefined
  private givenId: string | undefined
  /** The first captured frame of each call site, resolved for display only when it makes a finding. */
  sites: Map<string, RawSite> | undefined
  /** Query records for capture(), made on first use. */
  records: readonly QueryTrace<Scope>[] = NO_RECORDS
  truncated = 0
  ended = false
  /** Findings of scopes opened inside this one, which report on their own but also belong here. */
  childFindings: Finding[] | undefined
  childRecords: QueryTrace<Scope>[] | undefined
  /** Set when the scope ends: its own findings, and those plus its children's. */
  ownFindings: readonly Finding[] = NO_FINDINGS
  findings: readonly Finding[] = NO_FINDINGS
  endedAt = 0
  /** What the registered trace-context provider captured (the active span), for reporters. */
  traceContext: unknown = undefined
  /** The trace context was looked for at the first query already. */
  probed = false
  /** Where each shape's repeats come from, for the site sampler (made on first query). */
  samples: SiteSamples | undefined = undefined
  /** The query advisor's notes on this scope (opaque here; see AdvisedScope). */
  advisorNotes: unknown = undefined
  /** Its context frame when it runs alone in a context (see ScopeTracker.run), made once. */
  frame: unknown = undefined

  // Everything a scope that runs one query never needs is made on first use: a request scope is
  // opened and closed on every request, and AsyncLocalStorage itself costs only ~0.3 µs.
  constructor(
    id: string | undefined,
    /** The detector's scope counter, from which an id is made when someone asks for it. */
    private readonly seq: number,
    public name: string | undefined,
    readonly parent: Scope | undefined,
    readonly kind: ScopeKind,
    readonly startedAt: number,
    /** Query budget given when the scope was opened; overrides the detector's `maxQueries`. */
    readonly maxQueries: number | undefined = undefined,
  ) {
    this.givenId = id
  }

  get id(): string {
    return (this.givenId ??= SCOPE_PREFIX + this.seq.toString(36))
  }

  /**
   * The scope's first finished statement, held back from the aggregate until a second one finishes
   * or the aggregate is read: a scope that runs one statement (many requests) never analyzes it.
   */
  private held: QueryTrace<Scope> | undefined = undefined

  get aggregate(): ScopeAggregate {
    const agg = (this.agg ??= new ScopeAggregate())
    const held = this.held
    if (held !== undefined) {
      this.held = undefined
      agg.add(held)
    }
    return agg
  }

  /** A statement finished in the scope: into the aggregate, the scope's first held back. */
  finished(trace: QueryTrace<Scope>): void {
    if (this.held === undefined && (this.agg === undefined || this.agg.empty)) this.held = trace
    else this.aggregate.add(trace)
  }

  /** True when the scope's only finished statement is held back (its rows are still needed). */
  holds(trace: QueryTrace<Scope>): boolean {
    return this.held === trace
  }

  /** False when no rule can find anything: one statement, or no shape repeated within `budget`. */
  mayFind(budget: number | undefined): boolean {
    // One statement repeats nothing and exceeds no budget (budgets are at least 1).
    if (this.held !== undefined && (this.agg === undefined || this.agg.empty)) return false
    return this.agg !== undefined && this.agg.mayFind(budget)
  }

  /** Queries recorded so far, transaction control included. */
  get queryCount(): number {
    const held = this.held
    return (this.agg?.size ?? 0) + (held !== undefined && held.info.housekeeping !== true ? 1 : 0)
  }

  /** Queries of shapes past `MAX_SHAPES_PER_SCOPE`: counted, not checked for N+1. */
  get untrackedQueries(): number {
    return this.agg?.untracked ?? 0
  }

  /** Keeps a record for capture(), up to `max`; counts the rest as truncated. */
  keep(trace: QueryTrace<Scope>, max: number): void {
    if (this.records === NO_RECORDS) this.records = []
    if (this.records.length < max) (this.records as QueryTrace<Scope>[]).push(trace)
    else this.truncated++
  }

  /**
   * Drops what the scope holds once its opener is done with it: the aggregate (which references
   * result rows and parameter arrays), records and findings. Async resources the application
   * created inside the scope (a pooled connection's socket, pg-pool's idle timer) keep the scope
   * object itself reachable for as long as they live; after this it is a handful of fields.
   */
  release(): void {
    this.agg = undefined
    this.held = undefined
    this.sites = undefined
    this.samples = undefined
    this.records = NO_RECORDS
    this.childRecords = undefined
    this.childFindings = undefined
    this.ownFindings = NO_FINDINGS
    this.findings = NO_FINDINGS
  }

  /** A plain `{ id, name? }` snapshot for findings and reports. */
  info(): ScopeInfo {
    return this.name === undefined ? { id: this.id } : { id: this.id, name: this.name }
  }
}


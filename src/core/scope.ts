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
/**
 * Finished statements a scope holds back before they go to its aggregate: all of them while none of
 * its shapes repeated, then in batches.
 */
const MAX_HELD = 32
/**
 * Once a shape repeated, a batch also ends at this many result rows and bound values (held by
 * reference until it is added): a loop over big results or bulk inserts keeps no more of them alive
 * than before batching, past this much.
 */
const MAX_HELD_WEIGHT = 4096

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
  /**
   * `kind.exact` and `kind.keepRecords`, copied: the recorder reads them for every statement, and
   * from the scope it has in hand that is one object fewer to reach after a round trip.
   */
  readonly exact: boolean
  readonly keepRecords: boolean

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
    this.exact = kind.exact
    this.keepRecords = kind.keepRecords
  }

  get id(): string {
    return (this.givenId ??= SCOPE_PREFIX + this.seq.toString(36))
  }

  /**
   * Finished statements held back from the aggregate (at most `MAX_HELD`), added in the order they
   * finished when the aggregate is read or the batch is full. A scope whose statements are all
   * different (most requests) is never analyzed, since nothing in it can be an N+1 or a duplicate.
   * In a scope that repeats (a loop), adding 32 statements in a row keeps the aggregate's code and
   * tables in the caches for the batch; added one by one, after each round trip to the database,
   * they were cold for every statement.
   */
  private held: QueryTrace<Scope>[] | undefined = undefined
  /** Result rows and bound values of the held statements (see MAX_HELD_WEIGHT). */
  private heldWeight = 0
  /** A shape was issued twice, or past the scope's shape cap: the aggregate is worth analyzing. */
  private repeated = false

  /**
   * The fingerprint of the scope's only shape so far, counted here instead of in an aggregate: a
   * scope that runs one statement (most requests' scopes run a handful) never makes one.
   */
  private only: string | undefined = undefined

  get aggregate(): ScopeAggregate {
    const agg = (this.agg ??= this.newAggregate())
    const held = this.held
    if (held !== undefined) {
      this.held = undefined
      this.heldWeight = 0
      for (let i = 0; i < held.length; i++) agg.add(held[i]!)
    }
    return agg
  }

  /**
   * A statement of shape `fingerprint` is issued: how many times its shape has been issued in the
   * scope, this one included (0: past the shape cap). Never adds held statements.
   */
  issued(fingerprint: string): number {
    let agg = this.agg
    if (agg === undefined) {
      if (this.only === undefined) {
        this.only = fingerprint
        return 1
      }
      agg = this.agg = this.newAggregate()
    }
    const n = agg.issued(fingerprint)
    if (n !== 1) this.repeated = true
    return n
  }

  // The aggregate, with the shape counted on the scope issued in it first (shapes keep their order).
  private newAggregate(): ScopeAggregate {
    const agg = new ScopeAggregate()
    const only = this.only
    if (only !== undefined) {
      this.only = undefined
      agg.issued(only)
    }
    return agg
  }

  /** A statement finished in the scope. True when it is held back (its rows are still needed). */
  finished(trace: QueryTrace<Scope>): boolean {
    const held = (this.held ??= [])
    if (held.length < MAX_HELD) {
      // Until a shape repeats, nothing may ever be analyzed: hold whatever it weighs.
      const weight = (trace.rows?.length ?? 0) + trace.boundCount
      if (!this.repeated || this.heldWeight + weight <= MAX_HELD_WEIGHT) {
        this.heldWeight += weight
        held.push(trace)
        return true
      }
    }
    // A full batch: the getter adds the held statements first, then this one follows them.
    this.aggregate.add(trace)
    return false
  }

  /** False when no rule can find anything: no shape repeated and `budget` (if any) holds. */
  mayFind(budget: number | undefined): boolean {
    if (!this.repeated && budget === undefined) return false
    const agg = this.aggregate
    return agg.mayFind(budget)
  }

  /** Queries recorded so far, transaction control included. */
  get queryCount(): number {
    const held = this.held
    let n = this.agg?.size ?? 0
    if (held !== undefined) for (let i = 0; i < held.length; i++) if (held[i]!.info.housekeeping !== true) n++
    return n
  }

  /** Queries of shapes past `MAX_SHAPES_PER_SCOPE`: counted, not checked for N+1. */
  get untrackedQueries(): number {
    // Only a capped shape makes one, and it marks the scope repeated: held statements count then.
    return this.repeated ? this.aggregate.untracked : (this.agg?.untracked ?? 0)
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
    this.only = undefined
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


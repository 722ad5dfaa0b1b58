import type { Candidate } from '../analyze/index.js'
import type { SqlInfo } from '../fingerprint/index.js'
import type { ResolvedAdvisorOptions, UnindexedForeignKey } from './advisor-options.js'

/** What the advisor reads of a query in flight (a `QueryTrace`). */
export interface AdvisedQuery {
  readonly info: SqlInfo
  readonly siteKey: string | undefined
  readonly adapter: 'kysely' | 'pg'
  readonly startedAt: number
  readonly endedAt: number
  readonly rowCount: number | undefined
  readonly error: unknown
}

/** The scope facts the advisor needs: a key for its per-scope notes and whether a test opened it. */
export interface AdvisedScope {
  readonly kind: { readonly report: boolean }
  /** The advisor's notes on this scope (opaque to core; a slot, cheaper than a WeakMap entry per scope). */
  advisorNotes: unknown
}

/**
 * The query advisor as the detector sees it (`src/advisor/` implements it; the composition root
 * hands one in, so core never imports the advisor). Every call is made only when the advisor is
 * on, and none of them may throw into a query.
 */
export interface AdvisorPort {
  /**
   * A statement was issued in `scope` (raw text and bound values, read at once, never kept);
   * `issued`: how many times its shape has been issued in the scope, this one included (0: not tracked).
   */
  issued(scope: AdvisedScope, query: AdvisedQuery, sql: string, params: readonly unknown[] | undefined, issued: number): void
  /**
   * The unbounded-select rule's row limit (Infinity when the rule is off): `ended` is called only
   * for a statement that returned more rows than this, so nearly every statement settles without
   * reaching the advisor.
   */
  readonly wideRows: number
  /** A statement that returned more than `wideRows` rows settled, in its still open scope. */
  ended(scope: AdvisedScope, query: AdvisedQuery): void
  /** A statement ran with no scope (DDL there still refreshes the catalog cache): its text or pg query config. */
  outside(sql: unknown): void
  /**
   * Findings for a closing scope from what it ran and what is known of the catalog now. `testing`:
   * the scope belongs to capture() or a test helper; `found`: the scope's N+1 and duplicate
   * candidates (the loops a missing index slows).
   */
  advise(scope: AdvisedScope, testing: boolean, found: readonly Candidate[]): Candidate[]
  /** Resolves once the catalog facts and plans the scope's findings need are known (or failed). */
  settle(scope: AdvisedScope): Promise<void>
  /** A pool the advisor may open its own connections from (the first one given wins). */
  addDatabase(source: unknown): void
  /** Foreign keys without an index, across the schema (see `Detector.checkSchema`). */
  checkSchema(source: unknown): Promise<UnindexedForeignKey[]>
}

/** Makes the advisor for a detector's options (supplied by `src/index.ts`). */
export type AdvisorFactory = (options: ResolvedAdvisorOptions) => AdvisorPort

import type { ColumnFilter, StatementKind } from '../fingerprint/index.js'

/**
 * One finished query, as plain data: everything the detection rules need and nothing that needs
 * I/O, AsyncLocalStorage or a clock to compute.
 */
export interface AnalyzedQuery {
  /** Id of the SQL shape. */
  readonly fingerprint: string
  readonly shape: string
  readonly kind: StatementKind
  /** Relations the statement touches, main table first. */
  readonly tables: readonly string[]
  readonly filters: readonly ColumnFilter[]
  /** Identity of the call site in the running code; undefined when it was not captured. */
  readonly siteKey: string | undefined
  /** Identity of the parameter set, inlined literals included. */
  readonly paramKey: number
  /**
   * When the application asked for the query, in milliseconds on any monotonic clock (only
   * differences and order matter). Earlier than `startedAt` when it waited for a pooled
   * connection: overlap is judged from here, so `Promise.all` behind a small pool is parallel.
   */
  readonly issuedAt: number
  /** When the statement went to the database. */
  readonly startedAt: number
  readonly endedAt: number
  /** Which layer saw the query, for fix hints. */
  readonly adapter: 'kysely' | 'pg'
}

/** A (shape, call site) group that crossed the threshold, before its fix hint. */
export interface CandidateBase {
  readonly kind: 'n-plus-one' | 'duplicate'
  readonly fingerprint: string
  readonly shape: string
  readonly statementKind: StatementKind
  readonly tables: readonly string[]
  readonly filters: readonly ColumnFilter[]
  readonly siteKey: string | undefined
  readonly count: number
  readonly distinctParams: number
  readonly parallel: boolean
  readonly totalDurationMs: number
  readonly adapter: 'kysely' | 'pg'
  /** Position of the group's first query among the scope's queries (for stable ordering). */
  readonly firstSeen: number
}

/** A (shape, call site) group that crossed the threshold: a finding before presentation. */
export interface Candidate extends CandidateBase {
  /** One line on how to fix it (see `fixHint`). */
  readonly hint: string
}

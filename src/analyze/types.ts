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
  /**
   * Identity of the call path in the running code: one key per application frame, innermost first,
   * joined by `|` (the innermost `file:line:column`, its callers `file:line`, marked `~` when the
   * caller awaits it through a V8 async frame); undefined when it was not captured.
   */
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
  /** Rows returned (or affected), when known. */
  readonly rowCount?: number | undefined
  /** The bound parameter values, by reference (read only when the shape repeats). */
  readonly values?: readonly unknown[] | undefined
  /** The result rows, by reference (a bounded number is kept to find the query that fed a loop). */
  readonly rows?: readonly unknown[] | undefined
  /** Column names, by position, when the rows are arrays (`rowMode: 'array'`, Drizzle, Prisma). */
  readonly columns?: readonly string[] | undefined
  /** A copy of the parameter values, present only when the detector captures parameters. */
  readonly params?: readonly unknown[] | undefined
  /** An ORM's or driver's own statement (connection setup, probes): never counted nor a finding. */
  readonly housekeeping?: boolean
  /** The ORM that issued it, when an ORM helper instrumented the pool, for fix hints in its words. */
  readonly orm?: OrmName | undefined
  /** What an integration said about where the query ran (a GraphQL resolver field); opaque here. */
  readonly annotation?: object | undefined
}

/** ORMs with an n1guard helper (`n1guard/<name>`), named as their fix hints need. */
export type OrmName = 'drizzle' | 'prisma' | 'typeorm' | 'mikro-orm' | 'sequelize' | 'knex'

/**
 * How much a finding matters: `high` when n1guard proved which query fed the loop or the loop ran
 * 10 times or more; `low` for two or three single-row lookups nothing proves to be a loop (often
 * two different rows a handler needs) and for small duplicates; `medium` otherwise.
 *
 * @example
 * const worst: Severity = 'high'
 */
export type Severity = 'high' | 'medium' | 'low'

/** The earlier query whose result rows supplied a loop's parameters. */
export interface SourceCandidate {
  readonly fingerprint: string
  readonly shape: string
  readonly siteKey: string | undefined
  readonly tables: readonly string[]
  /** Executions of the source shape before the loop began. */
  readonly queries: number
  /** Rows those executions returned. */
  readonly rowCount: number
  /** The result column whose values became the loop's parameter. */
  readonly column: string
  /** 1-based position of the loop query's parameter fed by that column. */
  readonly param: number
}

/** One shape of a loop that runs several shapes per iteration (A B A B ...). */
export interface PatternMember {
  readonly fingerprint: string
  readonly shape: string
  readonly siteKey: string | undefined
  readonly tables: readonly string[]
  readonly count: number
}

/** A (shape, call site) group that crossed the threshold, before its fix hint. */
export interface CandidateBase {
  readonly kind: 'n-plus-one' | 'duplicate' | 'query-budget' | 'missing-index' | 'deep-offset' | 'unbounded-select'
  readonly fingerprint: string
  readonly shape: string
  readonly statementKind: StatementKind
  readonly tables: readonly string[]
  readonly filters: readonly ColumnFilter[]
  readonly siteKey: string | undefined
  /** For a duplicate sent from several call paths: each of them, the one that ran it most first. */
  readonly sites?: ReadonlyArray<string | undefined>
  /** No application frame was on the stack: n1guard cannot tell a loop from several lines. */
  readonly siteUnknown?: boolean
  readonly count: number
  readonly distinctParams: number
  readonly parallel: boolean
  readonly totalDurationMs: number
  readonly adapter: 'kysely' | 'pg'
  /** The ORM that issued the queries, when known (fix hints speak its API). */
  readonly orm?: OrmName
  /** Position of the group's first query among the scope's queries (for stable ordering). */
  readonly firstSeen: number
  readonly severity: Severity
  /** Every execution returned at most one row (a lookup by key, a belongs-to). */
  readonly singleRow: boolean
  /** The query whose result fed the loop, when the parameters prove it. */
  readonly source?: SourceCandidate
  /** Other shapes run once per iteration of the same loop (MN+1), this one first. */
  readonly pattern?: readonly PatternMember[]
  /** For `query-budget`: the budget and the shapes that ran most. */
  readonly budget?: number
  readonly topShapes?: readonly PatternMember[]
  /** A value type seen in the parameter fed per row ('int', 'bigint', 'uuid', 'text'), for SQL hints. */
  readonly paramType?: string
  /** The first few parameter sets, only when parameters were captured. */
  readonly sampleParams?: readonly (readonly unknown[])[]
  /** The first annotation the group's queries carried (see `AnalyzedQuery.annotation`). */
  readonly annotation?: object
  /** For `missing-index`: the table, the columns no index leads with, and the statement that adds one. */
  readonly index?: IndexAdvice
  /** For `unbounded-select`: the most rows one execution returned. */
  readonly rowCount?: number
}

/**
 * The index a `missing-index` finding asks for.
 *
 * @example
 * { table: 'pet', columns: ['owner_id'], createIndex: 'create index concurrently pet_owner_id_idx on pet (owner_id);', planNode: 'Seq Scan on pet' }
 */
export interface IndexAdvice {
  /** The table as PostgreSQL names it on the search path (schema-qualified when outside it). */
  readonly table: string
  /** The filtered or joined columns that no index of the table leads with. */
  readonly columns: readonly string[]
  /** The statement to run (outside a transaction: `concurrently` does not block writes). */
  readonly createIndex: string
  /** The plan node EXPLAIN showed for the table (`Seq Scan on pet`), when EXPLAIN ran. */
  readonly planNode?: string
}

/** A group that crossed the threshold: a finding before presentation. */
export interface Candidate extends CandidateBase {
  /** One line on how to fix it (see `fixHint`). */
  readonly hint: string
}

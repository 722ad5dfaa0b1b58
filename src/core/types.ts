// Public data shapes. Other code, docs and tests depend on these names: add fields freely, never
// rename or remove one without an issue that asks for it (see DESIGN.md, "Public API contract").

import type { IndexAdvice, Severity } from '../analyze/types.js'
import type { CallSite } from '../callsite/call-site.js'

export type { CallSite } from '../callsite/call-site.js'

/** The unit of attribution: an HTTP request, a job run, a test. */
export interface ScopeInfo {
  readonly id: string
  readonly name?: string
}

/**
 * What `detector.run` accepts as its first argument: a name, or a name, an id and a query budget
 * for this scope (overrides the detector's `maxQueries`).
 */
export type ScopeInput = string | { readonly name?: string; readonly id?: string; readonly maxQueries?: number }

/**
 * What a `wrapJob` name function may return: a scope (`ScopeInput`) whose `id` may also be a
 * queue's numeric job id (kept as its decimal string), or undefined for a generic name. Anything
 * unusable at run time still runs the job, in a scope named `job` (said once).
 *
 * @example
 * detector.wrapJob((job: { id: number; name: string }) => ({ name: `job ${job.name}`, id: job.id }), handle)
 */
export type JobScopeInput =
  | ScopeInput
  | { readonly name?: string; readonly id?: string | number | bigint | undefined; readonly maxQueries?: number }
  | undefined

/** How a query failed, without the parameter values some drivers copy into errors. */
export interface QueryError {
  readonly name: string
  readonly message: string
  /** SQLSTATE from PostgreSQL (for example `23505`), when the error has one. */
  readonly code?: string
}

/**
 * One executed statement as n1guard saw it.
 *
 * `sql` is the normalised shape (literals and parameters replaced by `?`), so a record can be
 * logged without leaking values; `params` is present only with `captureParams: true`.
 */
export interface QueryRecord {
  /** The statement's shape, never the values. */
  readonly sql: string
  /** Stable id of the shape (see `fingerprint`). */
  readonly fingerprint: string
  readonly durationMs: number
  /** Rows returned, or rows affected by INSERT / UPDATE / DELETE / MERGE. */
  readonly rowCount?: number
  /** When the statement went to the database, in milliseconds since the Unix epoch (sub-millisecond precision). */
  readonly startedAt: number
  readonly scopeId: string
  readonly callSite?: CallSite
  readonly error?: QueryError
  /** Parameter values, only when the detector was created with `captureParams: true`. */
  readonly params?: readonly unknown[]
  /** Statement class from the SQL's first keyword. */
  readonly kind: StatementKindName
  /**
   * Present (true) on a statement an ORM or driver ran for itself: connection setup (`SET …`),
   * a version or liveness probe (`select version()`, `select 1`), a system-catalog read. Listed
   * here, but never part of a finding nor of a query count.
   */
  readonly housekeeping?: true
}

/** Statement classes that n1guard distinguishes. */
export type StatementKindName = 'select' | 'insert' | 'update' | 'delete' | 'merge' | 'transaction' | 'utility'

/**
 * What a finding is about: `n-plus-one` (a loop over rows), `duplicate` (the same query with the
 * same parameters repeated), `query-budget` (a scope ran more queries than `maxQueries`), and the
 * advisor's notes (see docs/advisor.md): `missing-index` (a repeated query filters on a column no
 * index leads with), `deep-offset` (an OFFSET page at or past `advisor.deepOffset`),
 * `unbounded-select` (a SELECT without LIMIT returned more than `advisor.unboundedSelect` rows).
 */
export type FindingKind = 'n-plus-one' | 'duplicate' | 'query-budget' | 'missing-index' | 'deep-offset' | 'unbounded-select'

export type { IndexAdvice } from '../analyze/types.js'

// Defined once, by the rules that assign it (analyze).
export type { Severity } from '../analyze/types.js'

/** One SQL shape mentioned by a finding (a member of a loop pattern, a top shape of a budget). */
export interface FindingShape {
  readonly sql: string
  readonly fingerprint: string
  readonly count: number
  readonly callSite?: CallSite
  readonly table?: string
}

/**
 * The earlier query whose result rows supplied a loop's parameters: "1 query on person returned
 * 20 rows; its id column fed 20 queries on pet". Present only when the values prove it.
 */
export interface FindingSource {
  readonly sql: string
  readonly fingerprint: string
  readonly callSite?: CallSite
  readonly table?: string
  /** Executions of the source shape in the scope. */
  readonly queries: number
  /** Rows they returned. */
  readonly rowCount: number
  /** The result column whose values became the loop's parameter. */
  readonly column: string
  /** 1-based position of the loop query's parameter it fed. */
  readonly param: number
}

/**
 * A problem n1guard found in one scope: one SQL shape run again and again from one call site.
 *
 * @example
 * {
 *   kind: 'n-plus-one', count: 20, distinctParams: 20, parallel: false,
 *   sql: 'select * from "pet" where "owner_id" = ?',
 *   callSite: { file: 'src/routes/people.ts', line: 12, column: 24, function: 'listPeople' },
 *   ...
 * }
 */
export interface Finding {
  /** `n-plus-one`: a loop over rows (distinct parameters); `duplicate`: the same query with the same parameters repeated. */
  readonly kind: FindingKind
  /** Stable id of this problem: the same kind, shape and call site give the same id in every run. */
  readonly id: string
  /** Id of the SQL shape (see `fingerprint`). */
  readonly fingerprint: string
  /** The SQL shape, never values. */
  readonly sql: string
  /** Executions of the shape from this call site in the scope. */
  readonly count: number
  /** Distinct parameter sets among those executions (inlined literals count as parameters). */
  readonly distinctParams: number
  /**
   * The innermost application frame of the call path the finding was grouped by: the line that
   * sent the query, often inside a repository helper. Absent when no application frame was on
   * the stack (then the finding is never more than `low` and never fails a test by itself).
   */
  readonly callSite?: CallSite
  /**
   * The application call stack the finding was grouped by, innermost first (`stack[0]` is
   * `callSite`): the helper that sent the query, then its callers across `await`s, up to 8 frames.
   * The loop to change is in one of the callers: the first frame that is not a data-access helper.
   *
   * @example
   * // [{ file: 'src/repo.ts', line: 3, function: 'getPerson' }, { file: 'src/routes.ts', line: 12, function: 'listTeams' }]
   */
  readonly stack?: readonly CallSite[]
  /**
   * For a `duplicate` sent from more than one call path: where each was sent from (for each path,
   * its innermost frame that differs from the others'), the one that sent it most first.
   */
  readonly sites?: readonly CallSite[]
  /** True when executions overlapped in time (`Promise.all`, concurrent loops). */
  readonly parallel: boolean
  /** Sum of the executions' durations. */
  readonly totalDurationMs: number
  readonly scope: ScopeInfo
  /** Main table of the statement, when n1guard could tell. */
  readonly table?: string
  /** One line on how to fix it, naming the table and column when known. */
  readonly hint: string
  /** A few parameter sets seen, only with `captureParams: true`. */
  readonly sampleParams?: readonly (readonly unknown[])[]
  readonly severity: Severity
  /** True when n1guard saw the loop's parameters come from an earlier result (`source`). */
  readonly proven: boolean
  /** The query that fed the loop, when proven. */
  readonly source?: FindingSource
  /** Every shape the loop runs per row, when it runs several (MN+1); this finding's shape first. */
  readonly pattern?: readonly FindingShape[]
  /** For `query-budget`: the budget that was exceeded. */
  readonly budget?: number
  /** For `query-budget`: the shapes that ran most. */
  readonly topShapes?: readonly FindingShape[]
  /** True when the baseline file lists this finding as known: it warns but never fails. */
  readonly baselined?: boolean
  /**
   * For `missing-index`: table, columns, the plan node EXPLAIN showed and the `create index`
   * statement; the finding's `callSite` and `count` are those of the loop the index would speed up.
   */
  readonly index?: IndexAdvice
  /** For `unbounded-select`: the most rows one execution returned. */
  readonly rowCount?: number
  /** Set by `n1guard/graphql`: the GraphQL field whose resolver ran the loop. */
  readonly resolver?: FindingResolver
}

/**
 * One GraphQL field that runs queries per parent (`n1guard/graphql`).
 *
 * @example
 * { field: 'Author.books', path: 'Query.authors.books', parentType: 'Author', parents: 20, queries: 20 }
 */
export interface FindingResolverLink {
  /** Parent type and field name: `Author.books`. */
  readonly field: string
  /** Response path from the root, list indices collapsed: `Query.authors.books`. */
  readonly path: string
  /** The type whose field it is: `Author`. */
  readonly parentType: string
  /** Times the field's resolver ran in the operation: one per parent object. */
  readonly parents: number
  /** Queries of the finding's shape the resolver ran. */
  readonly queries: number
}

/**
 * Where a GraphQL N+1 runs, in GraphQL terms: the field, its parents, the operation, and for
 * nested loops (`authors.books.reviews`) the whole chain, outermost first.
 *
 * @example
 * { field: 'Author.books', path: 'Query.authors.books', parentType: 'Author', parents: 20, queries: 20,
 *   operation: 'query AuthorsWithBooks', multiplies: 'Author.books' }
 */
export interface FindingResolver extends FindingResolverLink {
  /** The operation, by type and name (`query AuthorsWithBooks`), or by its root fields when anonymous (`query { authors }`). */
  readonly operation: string
  /** The field where the loop starts: every query below it runs once per parent of it. */
  readonly multiplies: string
  /** For nested loops: every looping field of the chain, outermost first (this finding's field first). */
  readonly chain?: readonly FindingResolverLink[]
}

/** Everything a reporter learns when a scope ends. */
export interface ScopeReport {
  readonly scope: ScopeInfo
  readonly findings: readonly Finding[]
  /** Queries run in the scope (including ones past the record cap). */
  readonly queryCount: number
  readonly durationMs: number
  /**
   * Queries of statement shapes past the first 5,000 distinct ones of the scope (a scope that
   * builds SQL from data): counted in `queryCount`, not checked for N+1. Absent when none.
   */
  readonly untrackedQueries?: number
  /**
   * What the registered trace-context provider captured where the scope opened (or at its first
   * query): with `n1guard/otel`, the OpenTelemetry span that was active. Opaque to everyone else;
   * absent when no provider is registered or nothing was active.
   */
  readonly traceContext?: unknown
}

/**
 * Receives findings when a scope ends. A function, or an object with a `report` method.
 * A reporter that throws is caught, and n1guard says so once on stderr.
 *
 * @example
 * const reporter: Reporter = (report) => {
 *   for (const f of report.findings) myLogger.warn({ finding: f }, 'N+1 query')
 * }
 */
export type Reporter = ((report: ScopeReport) => void) | { readonly report: (report: ScopeReport) => void }

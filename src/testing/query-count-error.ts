import type { QueryCountExpectation, QueryCounts, QueryGroup } from './query-count.js'

/**
 * Queries counted at one scale of `assertConstantQueries`.
 *
 * @example
 * { n: 3, counts: { total: 4, select: 4, ... }, tables: { person: 1, pet: 3 }, queries: [...] }
 */
export interface ScaleCounts {
  /** The `n` that `fn` was run with. */
  readonly n: number
  readonly counts: QueryCounts
  /** Statements by main table (`(no table)` for `select 1` and the like). */
  readonly tables: Readonly<Record<string, number>>
  readonly queries: readonly QueryGroup[]
}

/**
 * Thrown (as a rejection) by `assertQueryCount` when the statements `fn` ran break the expected
 * counts, and by `assertConstantQueries` when their number grows with `n`. The message lists the
 * counted statements' shapes with their counts and call sites; the numbers are on the error.
 *
 * @example
 * try {
 *   await assertQueryCount(() => listPeople(db), { max: 2 })
 * } catch (error) {
 *   if (error instanceof QueryCountError) console.log(error.counts.select, error.queries[0]?.sql)
 * }
 */
export class QueryCountError extends Error {
  /** What was counted (for `assertConstantQueries`, at the largest scale). */
  readonly counts: QueryCounts
  /** What `assertQueryCount` expected; undefined for `assertConstantQueries`. */
  readonly expected: QueryCountExpectation | undefined
  /** The counted statements grouped by shape and call site, most frequent first. */
  readonly queries: readonly QueryGroup[]
  /** `assertConstantQueries` only: the counts at every scale, smallest `n` first. */
  readonly scales: readonly ScaleCounts[] | undefined

  constructor(
    message: string,
    details: { counts: QueryCounts; queries: readonly QueryGroup[]; expected?: QueryCountExpectation; scales?: readonly ScaleCounts[] },
  ) {
    super(message)
    this.name = 'QueryCountError'
    this.counts = details.counts
    this.expected = details.expected
    this.queries = details.queries
    this.scales = details.scales
  }
}

import { ScopeAggregate, type RuleOptions } from './scope-aggregate.js'
import type { AnalyzedQuery, Candidate } from './types.js'

/** Options of the pure detection rules (see `RuleOptions`). */
export type AnalyzeOptions = RuleOptions

/**
 * The detection rules as a pure function: finished queries in, candidate findings out. No I/O,
 * no clock, no AsyncLocalStorage, so every rule can be tested on plain data.
 *
 * @example
 * analyze(queries, { threshold: 2 }).filter((c) => c.kind === 'n-plus-one')
 */
export function analyze(queries: Iterable<AnalyzedQuery>, options: AnalyzeOptions): Candidate[] {
  const aggregate = new ScopeAggregate()
  const ordered = [...queries].sort((a, b) => a.endedAt - b.endedAt)
  for (const q of ordered) aggregate.add(q)
  return aggregate.candidates(options)
}

// The advisor's fix hints: one line each, naming the statement to run or the rewrite to make.
import type { IndexAdvice } from '../analyze/index.js'

/**
 * The hint of a `missing-index` finding.
 *
 * @example
 * missingIndexHint({ table: 'pet', columns: ['owner_id'], createIndex: 'create index concurrently …;', planNode: 'Seq Scan on pet' }, 20, true)
 */
export function missingIndexHint(index: IndexAdvice, count: number, loop: boolean): string {
  const cols = index.columns.join(', ')
  const how = index.planNode === undefined ? 'reads the whole table' : `is a ${index.planNode} (EXPLAIN)`
  const which = loop ? `each of the ${count} queries of this loop` : `each of its ${count} runs`
  return `no index on ${index.table} leads with ${cols}: ${which} ${how}. Add one: ${index.createIndex}`
}

/**
 * The hint of a `deep-offset` finding: the keyset rewrite, in the layer that issued the query.
 *
 * @example
 * deepOffsetHint(1000, 'kysely')
 */
export function deepOffsetHint(threshold: number, adapter: 'kysely' | 'pg'): string {
  const sql = 'where (created_at, id) < ($1, $2) order by created_at desc, id desc limit $3'
  const kysely =
    ".where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(last.created_at, last.id))).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(size)"
  const rewrite = adapter === 'kysely' ? `Kysely: ${kysely}; SQL: ${sql}` : `SQL: ${sql}; Kysely: ${kysely}`
  return (
    `OFFSET ${threshold} or more: PostgreSQL reads and throws away every row before the page, so each page is slower than the last. ` +
    `Page by key instead (keyset pagination, the last row's sort key as the cursor): ${rewrite}`
  )
}

/**
 * The hint of an `unbounded-select` finding.
 *
 * @example
 * unboundedSelectHint(5000, 1000, 'pg')
 */
export function unboundedSelectHint(rows: number, threshold: number, adapter: 'kysely' | 'pg'): string {
  const limit = adapter === 'kysely' ? '.limit(size) (and page by key)' : 'limit $n (and page by key)'
  return `a SELECT without LIMIT returned ${rows} rows (more than ${threshold}): it grows with the table. Bound it with ${limit}, or aggregate in SQL.`
}

import type { CandidateBase } from './types.js'

/**
 * The column behind a result key: ORMs select `"Author"."id" AS "Author_id"` (TypeORM) or
 * `"author"."id" AS "author.id"` (Sequelize), so the key a loop read is an alias, not a column.
 *
 * @example
 * columnBehind('SELECT "Author"."id" AS "Author_id" FROM "author" "Author"', 'Author_id') // 'id'
 */
export function columnBehind(shape: string, key: string): string {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`"?([A-Za-z_][\\w$]*)"?\\s+as\\s+"?${escaped}"?(?![\\w$])`, 'i').exec(shape)
  return match?.[1] ?? key
}

/**
 * True when the loop's column is compared with a list already (`in (...)`, `= any(...)`): a batch
 * query run once per row, whose fix is to run it once with every key.
 *
 * @example
 * takesList(candidate, 'author_id') // true for `where author_id in (?, ?)` in a loop
 */
export function takesList(c: CandidateBase, column: string): boolean {
  return c.filters.some((f) => f.column === column && (f.operator === 'in' || f.operator === 'any'))
}

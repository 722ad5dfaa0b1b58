import type { Finding } from './types.js'

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/**
 * The proof behind a finding, in words, or undefined when n1guard has none:
 * "1 query on person returned 20 rows; its id column fed 20 queries on pet".
 *
 * @example
 * explainSource(finding) // '1 query on person returned 20 rows; its id column fed 20 queries on pet'
 */
export function explainSource(f: Finding): string | undefined {
  const s = f.source
  if (s === undefined) return undefined
  const on = s.table === undefined ? '' : ` on ${s.table}`
  const target = f.table === undefined ? '' : ` on ${f.table}`
  return `${plural(s.queries, 'query', 'queries')}${on} returned ${plural(s.rowCount, 'row')}; ${s.queries === 1 ? 'its' : 'their'} ${s.column} column fed ${plural(f.count, 'query', 'queries')}${target}`
}

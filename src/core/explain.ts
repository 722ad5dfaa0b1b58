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

/**
 * A GraphQL finding (`n1guard/graphql`) in GraphQL words, or undefined for other findings:
 * "`Author.books` ran 20 queries for 20 `Author` parents in `query AuthorsWithBooks`", and for a
 * nested loop the fields below it and where it multiplies.
 *
 * @example
 * explainResolver(finding) // '`Author.books` ran 20 queries for 20 `Author` parents in `query AuthorsWithBooks`'
 */
export function explainResolver(f: Finding): string | undefined {
  const r = f.resolver
  if (r === undefined) return undefined
  const head = `\`${r.field}\` ran ${plural(r.queries, 'query', 'queries')} for ${r.parents} \`${r.parentType}\` parent${r.parents === 1 ? '' : 's'} in \`${r.operation}\``
  const below = r.chain?.slice(1) ?? []
  if (below.length === 0) return head
  const rest = below.map((l) => `\`${l.field}\` ran ${plural(l.queries, 'query', 'queries')} for ${l.parents} \`${l.parentType}\` parent${l.parents === 1 ? '' : 's'}`)
  const total = (r.chain ?? []).reduce((sum, l) => sum + l.queries, 0)
  return `${head}; below it ${rest.join(', then ')}: ${total} queries from one nested loop (${below[below.length - 1]!.path}) that multiplies at \`${r.multiplies}\``
}

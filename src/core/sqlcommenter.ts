// sqlcommenter tags (https://google.github.io/sqlcommenter/spec/): `<sql> /*key='value',...*/` with
// keys sorted, keys and values URL-encoded, then single quotes escaped with a backslash.
import { internalError } from './internal-error.js'
import type { ResolvedOptions } from './options.js'
import type { Scope } from './scope.js'
import { traceContextProvider } from './trace-context.js'

function serialize(text: string): string {
  return encodeURIComponent(text).replace(/'/g, "\\'")
}

/**
 * The sqlcommenter comment for a statement issued now in `scope` (`/*n1guard_scope='…',route='…'*\/`),
 * or undefined when there is nothing to say.
 *
 * @example
 * sqlcommenterComment(scope, { route: true, scopeId: true, traceparent: false })
 * // "/*n1guard_scope='3fa2c1-4',route='GET%20%2Fpeople'*\/"
 */
export function sqlcommenterComment(scope: Scope, keys: NonNullable<ResolvedOptions['sqlcommenter']>): string | undefined {
  const pairs: Array<[string, string]> = []
  if (keys.scopeId) pairs.push(['n1guard_scope', scope.id])
  if (keys.route && scope.name !== undefined && scope.name !== '') pairs.push(['route', scope.name])
  if (keys.traceparent) {
    const traceparent = traceContextProvider()?.traceparent()
    if (traceparent !== undefined) pairs.push(['traceparent', traceparent])
  }
  if (pairs.length === 0) return undefined
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return `/*${pairs.map(([k, v]) => `${serialize(k)}='${serialize(v)}'`).join(',')}*/`
}

/**
 * Appends the scope's sqlcommenter comment to `sql`, before a trailing semicolon. Returns `sql`
 * unchanged when tagging is off, when the statement already holds a comment (the spec forbids
 * changing it, and it keeps a statement from being tagged twice), or when anything goes wrong.
 * Adapters call it where they hand the SQL text to the driver.
 *
 * @example
 * tagSql('select * from pet where owner_id = $1', scope, options)
 * // "select * from pet where owner_id = $1 /*n1guard_scope='3fa2c1-4',route='GET%20%2Fpeople'*\/"
 */
export function tagSql(sql: string, scope: Scope, options: ResolvedOptions): string {
  const keys = options.sqlcommenter
  if (keys === undefined) return sql
  try {
    if (sql.includes('/*') || sql.includes('--')) return sql
    const comment = sqlcommenterComment(scope, keys)
    if (comment === undefined) return sql
    const body = sql.trimEnd()
    return body.endsWith(';') ? `${body.slice(0, -1).trimEnd()} ${comment};` : `${body} ${comment}`
  } catch (error) {
    internalError('tagging a statement with a sqlcommenter comment', error)
    return sql
  }
}

import { performance } from 'node:perf_hooks'
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely'
import { createDepthHint } from '../callsite/capture-site.js'
import { detectorCore, type Detector } from '../core/detector.js'
import { activeScopeOf, noteOutside, watch, type Watchers } from '../core/watchers.js'
import { internalError } from '../core/internal-error.js'
import { nesting } from '../core/nesting.js'
import { describeValue } from '../core/options.js'
import type { QueryTrace } from '../core/query-trace.js'
import { tagSql } from '../core/sqlcommenter.js'

const KYSELY_HINT = createDepthHint()
// The detectors of each dialect n1guard returned, shared by its drivers and their connections.
const dialects = new WeakMap<object, Watchers>()
// On a connection n1guard patched: when the application asked for it, inside a scope. The first
// statement on it was issued then, even if it waited for the pool (Promise.all behind a pool of 2
// is still parallel). A symbol property, not a WeakMap: it is read on every query.
const ASKED_AT = Symbol('n1guard.askedAt')
const PATCHED = Symbol('n1guard.patched')
interface Patched {
  [PATCHED]?: true
  [ASKED_AT]?: number | undefined
}

type Fn = (...args: any[]) => any

function rowCountOf(result: QueryResult<unknown> | undefined): number | undefined {
  if (result === undefined || result === null) return undefined
  const rows = result.rows
  if (Array.isArray(rows) && rows.length > 0) return rows.length
  if (typeof result.numAffectedRows === 'bigint') return Number(result.numAffectedRows)
  return Array.isArray(rows) ? rows.length : undefined
}

// Calls into the wrapped connection with `nesting` raised, so an instrumented pg pool underneath
// passes the same statement through instead of counting it twice. Only the synchronous part of
// the call is covered: PostgresConnection issues client.query before its first await.
function below(fn: Fn, self: unknown, arg: unknown, arg2?: unknown): any {
  nesting.depth++
  try {
    return fn.call(self, arg, arg2)
  } finally {
    nesting.depth--
  }
}

// sqlcommenter: a CompiledQuery is frozen, so a tagged statement is a new one of the same shape.
function tagged(query: CompiledQuery, trace: QueryTrace): CompiledQuery {
  const core = trace.core
  if (core.options.sqlcommenter === undefined || typeof query?.sql !== 'string') return query
  const sql = tagSql(query.sql, trace.scope, core.options)
  return sql === query.sql ? query : Object.freeze({ ...query, sql })
}

function patchConnection(connection: DatabaseConnection & Patched, w: Watchers): DatabaseConnection {
  if (connection[PATCHED] === true) return connection
  Object.defineProperty(connection, PATCHED, { value: true, enumerable: false })
  Object.defineProperty(connection, ASKED_AT, { value: undefined, writable: true, enumerable: false })
  // Patched in place, as Kysely's own RuntimeDriver does: PostgresConnection keeps its client in
  // #private fields and the driver releases it through a private symbol, so the object the driver
  // handed out must stay the one it gets back.
  const executeQuery = connection.executeQuery as Fn
  const streamQuery = connection.streamQuery as Fn | undefined

  function instrumentedExecuteQuery(this: unknown, compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    const scope = activeScopeOf(w)
    if (scope === undefined) {
      noteOutside(w, instrumentedExecuteQuery, KYSELY_HINT)
      return below(executeQuery, connection, compiledQuery)
    }
    const issuedAt = connection[ASKED_AT]
    if (issuedAt !== undefined) connection[ASKED_AT] = undefined
    const trace = scope.core.begin(scope, compiledQuery?.sql, compiledQuery?.parameters, 'kysely', instrumentedExecuteQuery, KYSELY_HINT, issuedAt)
    if (trace === undefined) return below(executeQuery, connection, compiledQuery)
    let pending: Promise<QueryResult<unknown>>
    try {
      pending = below(executeQuery, connection, tagged(compiledQuery, trace))
    } catch (error) {
      trace.finish(undefined, error)
      throw error
    }
    return pending.then(
      (result) => {
        trace.finish(rowCountOf(result), undefined, Array.isArray(result?.rows) ? result.rows : undefined)
        return result
      },
      (error: unknown) => {
        trace.finish(undefined, error)
        throw error
      },
    )
  }

  connection.executeQuery = instrumentedExecuteQuery as DatabaseConnection['executeQuery']

  if (typeof streamQuery === 'function') {
    async function* instrumentedStreamQuery(
      this: unknown,
      compiledQuery: CompiledQuery,
      chunkSize?: number,
    ): AsyncIterableIterator<QueryResult<unknown>> {
      const scope = activeScopeOf(w)
      if (scope === undefined) noteOutside(w, instrumentedStreamQuery, KYSELY_HINT)
      const issuedAt = connection[ASKED_AT]
      if (issuedAt !== undefined) connection[ASKED_AT] = undefined
      const trace: QueryTrace | undefined = scope === undefined ? undefined : scope.core.begin(
        scope,
        compiledQuery?.sql,
        compiledQuery?.parameters,
        'kysely',
        instrumentedStreamQuery,
        KYSELY_HINT,
        issuedAt,
      )
      const query = trace === undefined ? compiledQuery : tagged(compiledQuery, trace)
      const inner = streamQuery!.call(connection, query, chunkSize) as AsyncIterator<QueryResult<unknown>>
      let rows = 0
      let finished = false
      let failure: { error: unknown } | undefined
      try {
        for (;;) {
          // The generator issues client.query(new Cursor(...)) synchronously in its first next().
          const step = (await below(inner.next, inner, undefined)) as IteratorResult<QueryResult<unknown>>
          if (step.done === true) {
            finished = true
            return
          }
          rows += Array.isArray(step.value?.rows) ? step.value.rows.length : 0
          yield step.value
        }
      } catch (error) {
        failure = { error }
        finished = true
        throw error
      } finally {
        try {
          // The consumer stopped early: let Kysely close its cursor, as it would without us.
          if (!finished && typeof inner.return === 'function') await inner.return(undefined)
        } finally {
          if (trace !== undefined) trace.finish(rows, failure?.error)
        }
      }
    }
    connection.streamQuery = instrumentedStreamQuery as DatabaseConnection['streamQuery']
  }
  return connection
}

// The driver's methods, bound to it (they use #private fields, so `this` must be the real driver),
// on a plain object: RuntimeDriver calls acquireConnection and releaseConnection on every query, and a
// property read here costs nothing where a Proxy trap would. Only acquireConnection is n1guard's.
function instrumentDriver(driver: Driver, w: Watchers): Driver {
  const wrapped: Record<PropertyKey, unknown> = {}
  for (let o: object | null = driver; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor' || key in wrapped) continue
      const value = Reflect.get(driver, key) as unknown
      if (typeof value === 'function') wrapped[key] = (value as Fn).bind(driver)
      else Object.defineProperty(wrapped, key, { get: () => Reflect.get(driver, key), enumerable: false })
    }
  }
  const acquire = driver.acquireConnection.bind(driver)
  wrapped.acquireConnection = function acquireConnection(): Promise<DatabaseConnection> {
    const asked = activeScopeOf(w) === undefined ? undefined : performance.now()
    return acquire().then((connection) => {
      try {
        const patched = patchConnection(connection, w) as DatabaseConnection & Patched
        if (asked !== undefined) patched[ASKED_AT] = asked
        return patched
      } catch (error) {
        internalError('instrumenting a Kysely connection', error)
        return connection
      }
    })
  }
  return wrapped as unknown as Driver
}

// n1guard reads PostgreSQL's SQL (placeholders, RETURNING, transaction control): a dialect for
// another database is refused. Told by its adapter, so PostgreSQL dialects other than Kysely's own
// (PGlite, Neon, postgres.js ones built on PostgresAdapter) are accepted.
function checkPostgres(dialect: object): void {
  let adapter: { supportsTransactionalDdl?: unknown; supportsReturning?: unknown } | undefined
  try {
    const create = (dialect as { createAdapter?: unknown }).createAdapter
    if (typeof create === 'function') adapter = create.call(dialect) as typeof adapter
  } catch {
    return
  }
  if (adapter === undefined || adapter === null || typeof adapter !== 'object') return
  if (adapter.supportsTransactionalDdl === true && adapter.supportsReturning === true) return
  const name = (dialect as { constructor?: { name?: unknown } }).constructor?.name
  throw new TypeError(
    `n1guard: instrumentDialect supports PostgreSQL dialects only, got ${typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'a dialect for another database'}: instrument a Kysely instance on PostgreSQL instead, instrumentDialect(new PostgresDialect({ pool }), detector), or leave this one uninstrumented`,
  )
}

/**
 * Wraps a Kysely dialect so every query of the `Kysely` instance built on it reports to
 * `detector`: `execute*()`, `stream()`, transactions (BEGIN / COMMIT / ROLLBACK and savepoints are
 * recorded but never count as N+1) and `connection()`. The dialect itself is not modified;
 * wrapping an already wrapped dialect returns it, reporting to this detector too (each query goes
 * to the first detector with an open scope).
 *
 * @example
 * import { Kysely, PostgresDialect } from 'kysely'
 * import { instrumentDialect } from 'n1guard/kysely'
 * const db = new Kysely<DB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
 */
export function instrumentDialect<D extends Dialect>(dialect: D, detector: Detector): D {
  const core = detectorCore(detector, 'instrumentDialect')
  if (dialect === null || typeof dialect !== 'object' || typeof (dialect as { createDriver?: unknown }).createDriver !== 'function') {
    throw new TypeError(`n1guard: instrumentDialect needs a Kysely dialect with createDriver(), got ${describeValue(dialect)}`)
  }
  checkPostgres(dialect)
  const existing = dialects.get(dialect)
  if (existing !== undefined) {
    // Wrapped already: it reports to this detector too.
    watch(existing, core)
    return dialect
  }
  const { watchers: w } = watch(undefined, core)
  const methods = new Map<PropertyKey, Fn>()
  const proxy = new Proxy(dialect, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      let fn = methods.get(property)
      if (fn === undefined) {
        fn =
          property === 'createDriver'
            ? () => instrumentDriver((value as Fn).call(target) as Driver, w)
            : (value as Fn).bind(target)
        methods.set(property, fn)
      }
      return fn
    },
  })
  dialects.set(proxy, w)
  return proxy
}

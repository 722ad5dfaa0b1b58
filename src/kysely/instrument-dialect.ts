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
const patched = new WeakSet<object>()
// When the application asked for a connection: the first statement on it was issued then, even
// if it waited for the pool (Promise.all behind a pool of 2 is still parallel).
const askedAt = new WeakMap<object, number>()

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
function below<T>(fn: () => T): T {
  nesting.depth++
  try {
    return fn()
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

function patchConnection(connection: DatabaseConnection, w: Watchers): DatabaseConnection {
  if (patched.has(connection)) return connection
  patched.add(connection)
  // Patched in place, as Kysely's own RuntimeDriver does: PostgresConnection keeps its client in
  // #private fields and the driver releases it through a private symbol, so the object the driver
  // handed out must stay the one it gets back.
  const executeQuery = connection.executeQuery as Fn
  const streamQuery = connection.streamQuery as Fn | undefined

  function instrumentedExecuteQuery(this: unknown, compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    const scope = activeScopeOf(w)
    if (scope === undefined) {
      noteOutside(w, instrumentedExecuteQuery, KYSELY_HINT)
      return below(() => executeQuery.call(connection, compiledQuery))
    }
    const issuedAt = askedAt.get(connection)
    if (issuedAt !== undefined) askedAt.delete(connection)
    const trace = scope.core.begin(scope, compiledQuery?.sql, compiledQuery?.parameters, 'kysely', instrumentedExecuteQuery, KYSELY_HINT, issuedAt)
    if (trace === undefined) return below(() => executeQuery.call(connection, compiledQuery))
    let pending: Promise<QueryResult<unknown>>
    try {
      const query = tagged(compiledQuery, trace)
      pending = below(() => executeQuery.call(connection, query))
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
      const issuedAt = askedAt.get(connection)
      if (issuedAt !== undefined) askedAt.delete(connection)
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
          const step = await below(() => inner.next())
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

function instrumentDriver(driver: Driver, w: Watchers): Driver {
  const bound = new Map<PropertyKey, Fn>()
  return new Proxy(driver, {
    get(target, property, receiver) {
      if (property === 'acquireConnection') {
        let fn = bound.get(property)
        if (fn === undefined) {
          fn = async function acquireConnection(): Promise<DatabaseConnection> {
            const asked = performance.now()
            const connection = await target.acquireConnection()
            try {
              if (activeScopeOf(w) !== undefined) askedAt.set(connection, asked)
              return patchConnection(connection, w)
            } catch (error) {
              internalError('instrumenting a Kysely connection', error)
              return connection
            }
          }
          bound.set(property, fn)
        }
        return fn
      }
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      // Driver methods use #private fields: they must run with the real driver as `this`.
      let fn = bound.get(property)
      if (fn === undefined) {
        fn = (value as Fn).bind(target)
        bound.set(property, fn)
      }
      return fn
    },
  })
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
  const existing = dialects.get(dialect)
  if (existing !== undefined) {
    // Wrapped already: it reports to this detector too.
    watch(existing, core)
    return dialect
  }
  const w: Watchers = { cores: [core] }
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

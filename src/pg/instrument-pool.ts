import { performance } from 'node:perf_hooks'
import { callHandingOff, recordedAbove, takeHandoff } from '../core/adapter-layers.js'
import { adoptPort, capturePort, entryHint, portOf, type CapturePort } from '../core/capture-port.js'
import { rememberPool } from '../core/connection-sources.js'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'
import { instrumentClientWith, looksLikePgClient, looksLikePgPool, paramsOf, sqlOf, type PgQueryable } from './instrument-client.js'

/** What n1guard needs of a node-postgres `Pool`: `query` and `connect`. */
export interface PgPoolLike extends PgQueryable {
  connect: (...args: any[]) => any
}

const POOL_HINT = entryHint()
type Fn = (...args: any[]) => any

function instrumentSafely(client: unknown, port: CapturePort): void {
  try {
    if (client !== null && typeof client === 'object' && typeof (client as { query?: unknown }).query === 'function') {
      instrumentClientWith(client as PgQueryable, port)
    }
  } catch (error) {
    internalError('instrumenting a pooled client', error)
  }
}

/**
 * Instruments a node-postgres `Pool` in place and returns the same pool: `pool.query(...)` and
 * the clients handed out by `pool.connect()` report to `detector`. The scope is read when a query
 * is issued, and `connect` callbacks that pg-pool serves from its queue are bound to their
 * caller's async context, so queries from concurrent requests never land in each other's scopes.
 * Instrumenting twice never double-counts; instrumenting it for another detector adds that detector
 * (each query goes to the first detector with an open scope, so a test suite may make a detector
 * per test over one shared pool); a pool also passed to Kysely's `PostgresDialect` under
 * `instrumentDialect` counts each statement once.
 *
 * @example
 * import pg from 'pg'
 * import { instrumentPool } from 'n1guard/pg'
 * const pool = instrumentPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }), detector)
 * await detector.run('GET /people', () => pool.query('select * from person'))
 */
export function instrumentPool<P extends PgPoolLike>(pool: P, detector: Detector): P {
  const given = capturePort(detector, 'instrumentPool')
  if (
    pool === null ||
    typeof pool !== 'object' ||
    typeof (pool as { query?: unknown }).query !== 'function' ||
    typeof (pool as { connect?: unknown }).connect !== 'function'
  ) {
    throw new TypeError(`n1guard: instrumentPool needs a pg Pool with query() and connect(), got ${describeValue(pool)}`)
  }
  if (looksLikePgClient(pool) && !looksLikePgPool(pool)) {
    throw new TypeError(
      "n1guard: instrumentPool needs a pg Pool, got a pg Client: call instrumentClient(client, detector) from 'n1guard/pg' instead (a Client's queries would otherwise go unrecorded)",
    )
  }
  // The query advisor makes clients of its own from the pool's Client and options, never a checkout.
  given.database(pool)
  const { port, fresh } = adoptPort(pool, given.attached())
  if (!fresh) return pool
  rememberPool(detector, pool)

  const originalConnect = pool.connect as Fn
  const originalQuery = pool.query as Fn

  // Instruments a client pg-pool hands out, once: after that, one lookup per checkout, and none when
  // it is the client adopted last (pg-pool hands out its most recently released client first).
  let adopted: unknown
  function adopt(client: unknown): void {
    if (client === adopted || client === undefined || client === null) return
    if (portOf(client as object) !== port) instrumentSafely(client, port)
    adopted = client
  }

  function connect(this: unknown, callback?: unknown): unknown {
    if (typeof callback !== 'function') {
      const result = originalConnect.apply(this, arguments as unknown as unknown[])
      if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') return result
      return (result as Promise<unknown>).then((client) => {
        adopt(client)
        return client
      })
    }
    // pg-pool's own query() calls connect(cb) synchronously: take the trace it was handed.
    const trace = takeHandoff()
    if (trace !== undefined) {
      // pg-pool's callback for our own pool.query (served from a later tick): the trace carries
      // the scope and the caller's callback or promise is bound already, so no async context needs
      // restoring. Named parameters, no rest array or `arguments` (this runs once per query).
      const settle = callback as Fn
      // pg-pool hands an idle client over synchronously, inside this call: the statement goes out
      // now, as timed when it began. Served later, it waited for a connection: timed from then.
      let later = false
      const returned = originalConnect.call(this, function (this: unknown, error: unknown, client: unknown, release: unknown) {
        adopt(client)
        if (error) return settle.call(this, error, client, release)
        if (later && trace !== false) port.restart(trace, performance.now())
        return callHandingOff(trace, settle, this, 3, error, client, release, undefined)
      })
      later = true
      return returned
    }
    const bound = port.bindToCaller(callback as Fn)
    const rest = arguments.length > 1 ? Array.prototype.slice.call(arguments, 1) : undefined
    const wrapped = function (this: unknown, ...cbArgs: unknown[]) {
      adopt(cbArgs[1])
      return bound.apply(this, cbArgs)
    }
    return rest === undefined ? originalConnect.call(this, wrapped) : originalConnect.call(this, wrapped, ...rest)
  }

  function query(this: unknown, config?: unknown, values?: unknown, callback?: unknown): unknown {
    const n = arguments.length
    if (recordedAbove()) return originalQuery.apply(this, arguments as unknown as unknown[])
    const trace = port.begin(sqlOf(config), paramsOf(config, values), 'pg', query, POOL_HINT)
    if (typeof values === 'function') values = port.bindToCaller(values as Fn)
    else if (typeof callback === 'function') callback = port.bindToCaller(callback as Fn)
    // Outside any scope, decided here once: the client.query pg-pool issues passes through (it
    // would otherwise decide again, from pg-pool's callback, with no application frame).
    // pg-pool takes up to three arguments: those calls go on without an argument array.
    const more = n > 3 ? (Array.prototype.slice.call(arguments) as unknown[]) : undefined
    return callHandingOff(trace ?? false, originalQuery, this, n, config, values, callback, more)
  }

  Object.defineProperty(pool, 'connect', { value: connect, writable: true, configurable: true, enumerable: false })
  Object.defineProperty(pool, 'query', { value: query, writable: true, configurable: true, enumerable: false })
  return pool
}

import { performance } from 'node:perf_hooks'
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely'
import { callBelow } from '../core/adapter-layers.js'
import { capturePort, entryHint, type Capture, type CapturePort } from '../core/capture-port.js'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'

const KYSELY_HINT = entryHint()
// The capture port of each dialect n1guard returned, shared by its drivers and their connections.
const dialects = new WeakMap<object, CapturePort>()
// Connections n1guard tried to patch (a patched one also says so by its ASKED_AT slot, read first),
// and drivers it patched: per-object state in WeakSets, off the objects.
const patchedConnections = new WeakSet<object>()
const patchedDrivers = new WeakSet<object>()
// On a connection n1guard patched: when the application asked for it, inside a scope. The first
// statement on it was issued then, even if it waited for the pool (Promise.all behind a pool of 2
// is still parallel). A symbol property, not a WeakMap: it is written on every acquire and read on
// every query, where a WeakMap lookup costs a hash of the object. Always a number on a patched
// connection (NOT_ASKED when no statement is waiting): its presence is also how an acquire knows the
// connection is patched already, with no WeakSet lookup on every acquire.
const ASKED_AT = Symbol('n1guard.askedAt')
const NOT_ASKED = -1
interface Asked {
  [ASKED_AT]?: number
}

type Fn = (...args: any[]) => any

function rowCountOf(result: QueryResult<unknown> | undefined): number | undefined {
  if (result === undefined || result === null) return undefined
  const rows = result.rows
  if (Array.isArray(rows) && rows.length > 0) return rows.length
  if (typeof result.numAffectedRows === 'bigint') return Number(result.numAffectedRows)
  return Array.isArray(rows) ? rows.length : undefined
}

// sqlcommenter: a CompiledQuery is frozen, so a tagged statement is a new one of the same shape.
function tagged(port: CapturePort, query: CompiledQuery, trace: Capture): CompiledQuery {
  if (typeof query?.sql !== 'string') return query
  const sql = port.tag(query.sql, trace)
  return sql === query.sql ? query : Object.freeze({ ...query, sql })
}

// The method an object had before n1guard patched it, looked up at call time: an own property
// it had then (kept), else whatever its prototype holds now (a sinon stub or an APM agent's patch
// made after instrumenting is honoured).
function live(self: object, name: string, own: Fn | undefined): Fn {
  return own ?? (Reflect.get(Object.getPrototypeOf(self) as object, name, self) as Fn)
}

function ownMethod(self: object, name: string): Fn | undefined {
  const d = Object.getOwnPropertyDescriptor(self, name)
  return d !== undefined && typeof d.value === 'function' ? (d.value as Fn) : undefined
}

// An own method that stays out of Object.keys and spreads, as the prototype's method was.
function hide(self: object, name: string, fn: Fn): void {
  Object.defineProperty(self, name, { value: fn, writable: true, configurable: true, enumerable: false })
}

function takeAskedAt(connection: Asked): number | undefined {
  const issuedAt = connection[ASKED_AT]
  if (issuedAt === undefined || issuedAt === NOT_ASKED) return undefined
  connection[ASKED_AT] = NOT_ASKED
  return issuedAt
}

function patchConnection(connection: DatabaseConnection & Asked, port: CapturePort): DatabaseConnection {
  if (connection[ASKED_AT] !== undefined || patchedConnections.has(connection)) return connection
  patchedConnections.add(connection)
  Object.defineProperty(connection, ASKED_AT, { value: NOT_ASKED, writable: true, enumerable: false })
  // Patched in place, as Kysely's own RuntimeDriver does: PostgresConnection keeps its client in
  // #private fields and the driver releases it through a private symbol, so the object the driver
  // handed out must stay the one it gets back. Each call dispatches to the live method with every
  // argument (Kysely 0.29 passes options such as `{ signal }`).
  const ownExecute = ownMethod(connection, 'executeQuery')
  const ownStream = ownMethod(connection, 'streamQuery')
  const hasStream = typeof connection.streamQuery === 'function'
  // The connection's class, read once: its methods are still looked up on every call (a stub put
  // on the prototype applies), only the prototype walk is saved.
  const proto = Object.getPrototypeOf(connection) as Record<string, unknown>

  function executeQuery(this: unknown, compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    // `arguments`, not a rest array: Kysely passes one argument (and options on newer versions),
    // all handed on as they came.
    const args = arguments as unknown as unknown[]
    const original = ownExecute ?? (proto.executeQuery as Fn)
    const askedAt = takeAskedAt(connection)
    let trace: Capture | undefined
    let pending!: Promise<QueryResult<unknown>>
    if (port.tagging) {
      // The text sent carries the capture's tag: begin it first.
      trace = port.begin(compiledQuery?.sql, compiledQuery?.parameters, 'kysely', executeQuery, KYSELY_HINT, askedAt)
      if (trace === undefined) return callBelow(original, connection, args)
      try {
        const sent = tagged(port, compiledQuery, trace)
        pending = callBelow(original, connection, sent === compiledQuery ? args : [sent, ...Array.prototype.slice.call(args, 1)])
      } catch (error) {
        port.finish(trace, undefined, error)
        throw error
      }
    } else {
      // Sent first: Kysely's connection hands the statement to pg synchronously, and pg writes it
      // to an idle connection at once, so recording it (fingerprint, call site, trace) overlaps
      // the database's work instead of delaying the statement. Still inside this call: the call
      // site is the same, and nothing can settle before it returns.
      let thrown: { error: unknown } | undefined
      try {
        pending = callBelow(original, connection, args)
      } catch (error) {
        thrown = { error }
      }
      trace = port.begin(compiledQuery?.sql, compiledQuery?.parameters, 'kysely', executeQuery, KYSELY_HINT, askedAt)
      if (thrown !== undefined) {
        if (trace !== undefined) port.finish(trace, undefined, thrown.error)
        throw thrown.error
      }
      if (trace === undefined) return pending
    }
    const capture = trace
    return pending.then(
      (result) => {
        port.finish(capture, rowCountOf(result), undefined, Array.isArray(result?.rows) ? result.rows : undefined)
        return result
      },
      (error: unknown) => {
        port.finish(capture, undefined, error)
        throw error
      },
    )
  }
  hide(connection, 'executeQuery', executeQuery)

  if (hasStream) {
    async function* streamQuery(this: unknown, ...args: unknown[]): AsyncIterableIterator<QueryResult<unknown>> {
      const original = live(connection, 'streamQuery', ownStream)
      const compiledQuery = args[0] as CompiledQuery
      const trace = port.begin(compiledQuery?.sql, compiledQuery?.parameters, 'kysely', streamQuery, KYSELY_HINT, takeAskedAt(connection))
      if (trace !== undefined) args[0] = tagged(port, compiledQuery, trace)
      const inner = original.apply(connection, args) as AsyncIterator<QueryResult<unknown>>
      let rows = 0
      let finished = false
      let failure: { error: unknown } | undefined
      try {
        for (;;) {
          // The generator issues client.query(new Cursor(...)) synchronously in its first next().
          const step = (await callBelow(inner.next, inner, [])) as IteratorResult<QueryResult<unknown>>
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
          if (trace !== undefined) port.finish(trace, rows, failure?.error)
        }
      }
    }
    hide(connection, 'streamQuery', streamQuery)
  }
  return connection
}

// The driver Kysely gets is the dialect's own driver, patched in place (it is made for this Kysely
// instance by createDriver, so nobody else holds it): `instanceof`, the prototype and #private
// fields stay the real ones, every other method is untouched and dispatched by the prototype as
// usual, and only acquireConnection (one own property) is n1guard's. It calls the live method at
// call time with every argument (`{ signal }` in Kysely 0.29).
function instrumentDriver(driver: Driver, port: CapturePort): Driver {
  if (patchedDrivers.has(driver)) return driver
  patchedDrivers.add(driver)
  const own = ownMethod(driver, 'acquireConnection')
  // The driver's class, read once (as for connections): its method is still read on every call,
  // so a stub put on the prototype applies, without Reflect.get's generic lookup once per query.
  const proto = Object.getPrototypeOf(driver) as Record<string, unknown>
  function acquireConnection(this: unknown): Promise<DatabaseConnection> {
    const asked = port.active() ? performance.now() : undefined
    const original = own ?? (proto.acquireConnection as Fn)
    // `arguments`, not a rest array (once per query): Kysely 0.29 passes `{ signal }`, handed on as it came.
    return (original.apply(driver, arguments as unknown as unknown[]) as Promise<DatabaseConnection>).then((connection) => {
      try {
        const patched = patchConnection(connection, port) as DatabaseConnection & Asked
        if (asked !== undefined) patched[ASKED_AT] = asked
        return patched
      } catch (error) {
        internalError('instrumenting a Kysely connection', error)
        return connection
      }
    })
  }
  hide(driver, 'acquireConnection', acquireConnection)
  return driver
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
  const given = capturePort(detector, 'instrumentDialect')
  if (dialect === null || typeof dialect !== 'object' || typeof (dialect as { createDriver?: unknown }).createDriver !== 'function') {
    throw new TypeError(`n1guard: instrumentDialect needs a Kysely dialect with createDriver(), got ${describeValue(dialect)}`)
  }
  checkPostgres(dialect)
  given.attached()
  const existing = dialects.get(dialect)
  if (existing !== undefined) {
    // Wrapped already: it reports to this detector too.
    existing.merge(given)
    return dialect
  }
  const port = given
  // The dialect's methods run on the dialect itself (PostgresDialect keeps its config in #private
  // fields), looked up at call time, so later patches of the dialect or its prototype still apply.
  const proxy = new Proxy(dialect, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      if (property === 'createDriver') {
        return function createDriver(...args: unknown[]): Driver {
          return instrumentDriver((Reflect.get(target, property, target) as Fn).apply(target, args) as Driver, port)
        }
      }
      return function (this: unknown, ...args: unknown[]): unknown {
        return (Reflect.get(target, property, target) as Fn).apply(target, args)
      }
    },
  })
  dialects.set(proxy, port)
  return proxy
}

import { callWithArgs, recordedAbove, takeHandoff } from '../core/adapter-layers.js'
import { adoptPort, capturePort, entryHint, type Capture, type CapturePort } from '../core/capture-port.js'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'

/**
 * What n1guard needs of a node-postgres `Client` (or `PoolClient`): a `query` method. Described
 * structurally so `n1guard/pg` never loads `pg` itself.
 */
export interface PgQueryable {
  query: (...args: any[]) => any
}

const CLIENT_HINT = entryHint()

type Fn = (...args: any[]) => any

/** The SQL text of any pg call form. @internal */
export function sqlOf(config: unknown): unknown {
  if (typeof config === 'string') return config
  if (config === null || typeof config !== 'object') return undefined
  const c = config as { text?: unknown; cursor?: { text?: unknown } }
  return c.text ?? c.cursor?.text
}

/** The bound values of any pg call form. @internal */
export function paramsOf(config: unknown, values: unknown): readonly unknown[] | undefined {
  if (Array.isArray(values)) return values
  if (config === null || typeof config !== 'object') return undefined
  const c = config as { values?: unknown; cursor?: { values?: unknown } }
  const v = c.values ?? c.cursor?.values
  return Array.isArray(v) ? v : undefined
}

interface PgResultLike {
  rows?: unknown[]
  fields?: ReadonlyArray<{ name?: unknown }>
  rowCount?: number | null
  command?: string
}

/** A node-postgres (pg-pool) Pool, told structurally: its counters and client lists. @internal */
export function looksLikePgPool(value: object): boolean {
  const v = value as { _clients?: unknown; _idle?: unknown }
  return 'totalCount' in value && 'idleCount' in value && Array.isArray(v._clients) && Array.isArray(v._idle)
}

/** A node-postgres Client (a PoolClient too), told structurally: its connection settings and queue. @internal */
export function looksLikePgClient(value: object): boolean {
  const v = value as { connectionParameters?: unknown; queryQueue?: unknown; _queryQueue?: unknown }
  if (typeof v.connectionParameters !== 'object' || v.connectionParameters === null) return false
  // pg 8.23 keeps the queue in `_queryQueue` and warns (deprecated) on a read of `queryQueue`.
  return Array.isArray(v._queryQueue) || ('queryQueue' in value && Array.isArray(v.queryQueue))
}

function countOne(r: PgResultLike | null | undefined): number | undefined {
  if (r === null || r === undefined) return undefined
  if (Array.isArray(r.rows) && (r.rows.length > 0 || r.command === 'SELECT')) return r.rows.length
  return typeof r.rowCount === 'number' ? r.rowCount : undefined
}

// The result whose rows can prove a loop: the only one, or of a multi-statement text
// (`begin; select …; commit`) the first that returned rows.
function mainResult(result: unknown): PgResultLike | undefined {
  if (result === null || typeof result !== 'object') return undefined
  if (!Array.isArray(result)) return result as PgResultLike
  for (const r of result as unknown[]) {
    const rows = (r as PgResultLike | null)?.rows
    if (Array.isArray(rows) && rows.length > 0) return r as PgResultLike
  }
  return undefined
}

// Records a statement's result: its row count, and the row array and array-row column names of its
// main result, read once (this runs once per query).
function finishWith(port: CapturePort, trace: Capture, result: unknown): void {
  const main = mainResult(result)
  const rows = main !== undefined && Array.isArray(main.rows) ? main.rows : undefined
  const columns = rows !== undefined && Array.isArray(rows[0]) && Array.isArray(main!.fields) ? fieldNames(main!.fields) : undefined
  port.finish(trace, rowCountOf(result), undefined, rows, columns)
}

function fieldNames(fields: ReadonlyArray<{ name?: unknown }>): string[] {
  return fields.map((f) => (typeof f?.name === 'string' ? f.name : ''))
}

/** Rows returned, or rows affected; summed over a multi-statement result. @internal */
export function rowCountOf(result: unknown): number | undefined {
  if (Array.isArray(result)) {
    let n = 0
    for (const r of result) n += countOne(r as PgResultLike) ?? 0
    return n
  }
  return countOne(result as PgResultLike)
}

function hookSubmittable(port: CapturePort, sub: Record<string, unknown>, trace: Capture): void {
  let done = false
  const finish = (error?: unknown): void => {
    if (done) return
    done = true
    port.finish(trace, undefined, error)
  }
  const wrap = (name: string, onCall: (args: unknown[]) => void): void => {
    const original = sub[name]
    if (typeof original !== 'function') return
    sub[name] = function (this: unknown, ...args: unknown[]) {
      onCall(args)
      return (original as Fn).apply(this, args)
    }
  }
  // pg-cursor and pg-query-stream are done when the server says ReadyForQuery, or on an error.
  wrap('handleError', (args) => finish(args[0] ?? new Error('query failed')))
  wrap('handleReadyForQuery', () => finish())
}

// sqlcommenter: text, or a copy of a plain config object with tagged text; the config itself when
// no detector tags. Named prepared statements keep their text (the server matches it to the name)
// and submittables are the caller's.
function tagged(port: CapturePort, config: unknown, trace: Capture): unknown {
  if (!port.tagging) return config
  if (typeof config === 'string') return port.tag(config, trace)
  if (config === null || typeof config !== 'object') return config
  const c = config as { text?: unknown; name?: unknown; submit?: unknown }
  if (typeof c.text !== 'string' || c.name !== undefined || typeof c.submit === 'function') return config
  const text = port.tag(c.text, trace)
  return text === c.text ? config : Object.assign(Object.create(Object.getPrototypeOf(config) as object) as object, config, { text })
}

// A query callback that records the outcome before the caller sees it, in the caller's scope.
// `bind` false: pg-pool's own callback for a pool.query, whose caller's callback (or promise) is
// bound already; the trace knows its scope, so no context needs restoring here.
function settling(port: CapturePort, bind: boolean, trace: Capture, callback: Fn): Fn {
  // Named parameters and `arguments`, not a rest array and destructuring: this runs once per
  // query on pg's socket path, where the profile on a real database showed the iterator it costs.
  const settle = function (this: unknown, error: unknown, result: unknown) {
    if (error) port.finish(trace, undefined, error)
    else finishWith(port, trace, result)
    return callback.apply(this, arguments as unknown as unknown[])
  }
  return bind ? port.bindToCaller(settle) : settle
}

// Text, or a config object that is neither a submittable (pg-cursor) nor carries its own callback.
function plainConfig(config: unknown): boolean {
  if (config === null || typeof config !== 'object') return true
  const c = config as { submit?: unknown; callback?: unknown }
  return typeof c.submit !== 'function' && typeof c.callback !== 'function'
}

// Runs the statement with its outcome recorded before the caller sees it. Named arguments, not an
// array: this runs once per query (`more` only for a call with over three arguments).
function observe(port: CapturePort, bind: boolean, original: Fn, self: unknown, n: number, config: unknown, values: unknown, callback: unknown, more: unknown[] | undefined, trace: Capture): unknown {
  if (config !== null && typeof config === 'object' && typeof (config as { submit?: unknown }).submit === 'function') {
    try {
      hookSubmittable(port, config as Record<string, unknown>, trace)
    } catch (error) {
      internalError('watching a submittable query', error)
    }
    return callWithArgs(original, self, n, config, values, callback, more)
  }
  if (typeof values === 'function') return callWithArgs(original, self, n, config, settling(port, bind, trace, values as Fn), callback, more)
  if (typeof callback === 'function') return callWithArgs(original, self, n, config, values, settling(port, bind, trace, callback as Fn), more)
  if (config !== null && typeof config === 'object' && typeof (config as { callback?: unknown }).callback === 'function') {
    // Rare form: query({ text, callback }). Wrap the callback on a copy, never on the caller's object.
    const copy = Object.assign(Object.create(Object.getPrototypeOf(config) as object) as object, config)
    ;(copy as { callback: Fn }).callback = settling(port, bind, trace, (config as { callback: Fn }).callback)
    return callWithArgs(original, self, n, copy, values, callback, more)
  }
  let returned: unknown
  try {
    returned = callWithArgs(original, self, n, config, values, callback, more)
  } catch (error) {
    port.finish(trace, undefined, error)
    throw error
  }
  return settleReturned(port, trace, returned)
}

// The promise form, sent first: pg writes a statement to an idle client synchronously, so
// recording it (fingerprint, call site, trace) after the call overlaps the database's work instead
// of delaying the statement. Still inside the caller's call: the call site is the same, and pg
// settles nothing before it returns.
function sentFirst(port: CapturePort, original: Fn, self: unknown, n: number, config: unknown, values: unknown, callback: unknown, entry: Function): unknown {
  let returned: unknown
  let thrown: { error: unknown } | undefined
  try {
    returned = callWithArgs(original, self, n, config, values, callback, undefined)
  } catch (error) {
    thrown = { error }
  }
  const trace = port.begin(sqlOf(config), paramsOf(config, values), 'pg', entry, CLIENT_HINT)
  if (thrown !== undefined) {
    if (trace !== undefined) port.finish(trace, undefined, thrown.error)
    throw thrown.error
  }
  return trace === undefined ? returned : settleReturned(port, trace, returned)
}

// What pg returned for a promise-form call, with the outcome recorded before the caller sees it.
function settleReturned(port: CapturePort, trace: Capture, returned: unknown): unknown {
  if (returned === null || typeof returned !== 'object' || typeof (returned as PromiseLike<unknown>).then !== 'function') {
    port.finish(trace, undefined)
    return returned
  }
  // .then on pg's own promise keeps the user's Promise implementation (the `Promise` pool option).
  return (returned as Promise<unknown>).then(
    (result) => {
      finishWith(port, trace, result)
      return result
    },
    (error: unknown) => {
      port.finish(trace, undefined, error)
      throw error
    },
  )
}

/**
 * Wraps `client.query` once, reporting through `port` (a pool's clients share the pool's port).
 * @internal
 */
export function instrumentClientWith<C extends PgQueryable>(client: C, port: CapturePort): C {
  // Already wrapped (standalone, or by another pool's detectors): it reports to these too.
  const { fresh } = adoptPort(client, port)
  if (!fresh) return client
  const original = client.query as Fn
  function query(this: unknown, config?: unknown, values?: unknown, callback?: unknown): unknown {
    // Kysely (or another adapter) is recording this statement already.
    if (recordedAbove()) return original.apply(this, arguments as unknown as unknown[])
    let trace = takeHandoff()
    if (trace === false) return original.apply(this, arguments as unknown as unknown[])
    const n = arguments.length
    const more = n > 3 ? (Array.prototype.slice.call(arguments) as unknown[]) : undefined
    const handed = trace !== undefined
    if (!handed && more === undefined && typeof values !== 'function' && callback === undefined && !port.tagging && plainConfig(config)) {
      return sentFirst(port, original, this, n, config, values, callback, query)
    }
    if (trace === undefined) {
      trace = port.begin(sqlOf(config), paramsOf(config, values), 'pg', query, CLIENT_HINT)
      if (trace === undefined) {
        // Outside any scope: still keep the caller's (empty) scopes for its callback.
        if (typeof values === 'function') values = port.bindToCaller(values as Fn)
        else if (typeof callback === 'function') callback = port.bindToCaller(callback as Fn)
        return callWithArgs(original, this, n, config, values, callback, more)
      }
    }
    return observe(port, !handed, original, this, n, tagged(port, config, trace), values, callback, more, trace)
  }
  Object.defineProperty(client, 'query', { value: query, writable: true, configurable: true, enumerable: false })
  return client
}

/**
 * Instruments one node-postgres `Client` (or a client checked out of a pool) in place and returns
 * it; instrumenting it again adds the detector (each query goes to the first detector with an open
 * scope). Every call form is supported: text, text and values, a config object (prepared statements
 * with `name`, `rowMode`, `types`), submittables such as `pg-cursor` and `pg-query-stream`, with
 * promises or callbacks. Calling it again with the same detector changes nothing.
 *
 * @example
 * import pg from 'pg'
 * import { instrumentClient } from 'n1guard/pg'
 * const client = instrumentClient(new pg.Client(process.env.DATABASE_URL), detector)
 * await client.connect()
 */
export function instrumentClient<C extends PgQueryable>(client: C, detector: Detector): C {
  const port = capturePort(detector, 'instrumentClient')
  if (client === null || typeof client !== 'object' || typeof (client as { query?: unknown }).query !== 'function') {
    throw new TypeError(`n1guard: instrumentClient needs a pg Client with a query() method, got ${describeValue(client)}`)
  }
  if (looksLikePgPool(client)) {
    throw new TypeError(
      "n1guard: instrumentClient needs a pg Client, got a pg Pool: call instrumentPool(pool, detector) from 'n1guard/pg' instead (it covers pool.query() and every client pool.connect() hands out)",
    )
  }
  return instrumentClientWith(client, port.attached())
}

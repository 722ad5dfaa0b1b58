import { performance } from 'node:perf_hooks'
import { createDepthHint } from '../callsite/capture-site.js'
import { detectorCore, type DetectorCore } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { nesting } from '../core/nesting.js'
import { describeValue } from '../core/options.js'
import type { QueryTrace } from '../core/query-trace.js'
import { tagSql } from '../core/sqlcommenter.js'
import type { Detector } from '../core/detector.js'

/**
 * What n1guard needs of a node-postgres `Client` (or `PoolClient`): a `query` method. Described
 * structurally so `n1guard/pg` never loads `pg` itself.
 */
export interface PgQueryable {
  query: (...args: any[]) => any
}

const MARK = Symbol.for('n1guard.pg.instrumented')
const CLIENT_HINT = createDepthHint()

type Fn = (...args: any[]) => any

/**
 * A pool.query hands its trace to the client.query that pg-pool issues synchronously inside the
 * connect callback; the trace was begun in the caller's context, with the caller's call site.
 * @internal
 */
export const handoff: { trace: QueryTrace | undefined } = { trace: undefined }

/** The detector core an object was instrumented with, if any. @internal */
export function instrumentedWith(target: object): DetectorCore | undefined {
  return (target as { [MARK]?: DetectorCore })[MARK]
}

/** Marks an object as instrumented, or says why it cannot be (another detector owns it). @internal */
export function claim(target: object, core: DetectorCore, what: string): boolean {
  const owner = instrumentedWith(target)
  if (owner === core) return false
  if (owner !== undefined) {
    throw new TypeError(`n1guard: ${what} is already instrumented by another detector; use one detector per pool or client`)
  }
  Object.defineProperty(target, MARK, { value: core, enumerable: false, configurable: true })
  return true
}

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
  rowCount?: number | null
  command?: string
}

function countOne(r: PgResultLike | null | undefined): number | undefined {
  if (r === null || r === undefined) return undefined
  if (Array.isArray(r.rows) && (r.rows.length > 0 || r.command === 'SELECT')) return r.rows.length
  return typeof r.rowCount === 'number' ? r.rowCount : undefined
}

/** The row array of a single-statement result, by reference. @internal */
export function rowsOf(result: unknown): readonly unknown[] | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined
  const rows = (result as PgResultLike).rows
  return Array.isArray(rows) ? rows : undefined
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

/**
 * Runs a callback in the caller's n1guard scope. pg calls query and connect callbacks from the
 * socket's async context, which is whichever request first opened the connection: without this,
 * work done in a callback would land in that other request's scope. Only n1guard's own store is
 * restored (AsyncResource.bind would re-enter every context, at ~10 µs a call); and only while
 * some scope is open, since otherwise no store could be misread.
 * @internal
 */
export function bindToCaller<F extends Fn>(core: DetectorCore, fn: F): F {
  if (core.openScopes === 0) return fn
  const als = core.als
  const store = als.getStore()
  return function (this: unknown, ...args: unknown[]) {
    return als.run(store as never, () => fn.apply(this, args))
  } as F
}

function hookSubmittable(core: DetectorCore, sub: Record<string, unknown>, trace: QueryTrace): void {
  let done = false
  const finish = (error?: unknown): void => {
    if (done) return
    done = true
    core.end(trace, undefined, error)
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

// sqlcommenter: text, or a copy of a plain config object with tagged text. Named prepared
// statements keep their text (the server matches it to the name) and submittables are the caller's.
function tagged(core: DetectorCore, config: unknown, trace: QueryTrace): unknown {
  if (core.options.sqlcommenter === undefined) return config
  if (typeof config === 'string') return tagSql(config, trace.scope, core.options)
  if (config === null || typeof config !== 'object') return config
  const c = config as { text?: unknown; name?: unknown; submit?: unknown }
  if (typeof c.text !== 'string' || c.name !== undefined || typeof c.submit === 'function') return config
  const text = tagSql(c.text, trace.scope, core.options)
  return text === c.text ? config : Object.assign(Object.create(Object.getPrototypeOf(config) as object) as object, config, { text })
}

// A query callback that records the outcome before the caller sees it, in the caller's scope.
function settling(core: DetectorCore, trace: QueryTrace, callback: Fn): Fn {
  return bindToCaller(core, function (this: unknown, error: unknown, result: unknown) {
    core.end(trace, error ? undefined : rowCountOf(result), error || undefined, error ? undefined : rowsOf(result))
    return callback.call(this, error, result)
  })
}

function observe(core: DetectorCore, original: Fn, self: unknown, args: unknown[], trace: QueryTrace): unknown {
  const config = args[0]
  if (config !== null && typeof config === 'object' && typeof (config as { submit?: unknown }).submit === 'function') {
    try {
      hookSubmittable(core, config as Record<string, unknown>, trace)
    } catch (error) {
      internalError('watching a submittable query', error)
    }
    return original.apply(self, args)
  }
  let cbIndex = -1
  if (typeof args[1] === 'function') cbIndex = 1
  else if (typeof args[2] === 'function') cbIndex = 2
  if (cbIndex >= 0) {
    args[cbIndex] = settling(core, trace, args[cbIndex] as Fn)
    return original.apply(self, args)
  }
  if (config !== null && typeof config === 'object' && typeof (config as { callback?: unknown }).callback === 'function') {
    // Rare form: query({ text, callback }). Wrap the callback on a copy, never on the caller's object.
    const copy = Object.assign(Object.create(Object.getPrototypeOf(config) as object) as object, config)
    ;(copy as { callback: Fn }).callback = settling(core, trace, (config as { callback: Fn }).callback)
    args[0] = copy
    return original.apply(self, args)
  }
  let returned: unknown
  try {
    returned = original.apply(self, args)
  } catch (error) {
    core.end(trace, undefined, error)
    throw error
  }
  if (returned === null || typeof returned !== 'object' || typeof (returned as PromiseLike<unknown>).then !== 'function') {
    core.end(trace, undefined)
    return returned
  }
  // .then on pg's own promise keeps the user's Promise implementation (the `Promise` pool option).
  return (returned as Promise<unknown>).then(
    (result) => {
      core.end(trace, rowCountOf(result), undefined, rowsOf(result))
      return result
    },
    (error: unknown) => {
      core.end(trace, undefined, error)
      throw error
    },
  )
}

/** @internal */
export function instrumentClientWith<C extends PgQueryable>(client: C, core: DetectorCore): C {
  if (!claim(client, core, 'this pg client')) return client
  const original = client.query as Fn
  function query(this: unknown, ...args: unknown[]): unknown {
    // Kysely (or another adapter) is recording this statement already.
    if (nesting.depth > 0) return original.apply(this, args)
    let trace = handoff.trace
    handoff.trace = undefined
    if (trace === undefined) {
      const scope = core.activeScope()
      if (scope === undefined) {
        core.outside(query, CLIENT_HINT)
        // Outside any scope: still keep the caller's (empty) scope for its callback.
        if (typeof args[1] === 'function') args[1] = bindToCaller(core, args[1] as Fn)
        else if (typeof args[2] === 'function') args[2] = bindToCaller(core, args[2] as Fn)
        return original.apply(this, args)
      }
      trace = core.begin(scope, sqlOf(args[0]), paramsOf(args[0], args[1]), 'pg', query, CLIENT_HINT)
      if (trace === undefined) return original.apply(this, args)
    } else {
      // Handed over by pool.query: time the statement from now, not from the wait for a connection.
      trace.restartClock(performance.now())
    }
    args[0] = tagged(core, args[0], trace)
    return observe(core, original, this, args, trace)
  }
  Object.defineProperty(client, 'query', { value: query, writable: true, configurable: true, enumerable: false })
  return client
}

/**
 * Instruments one node-postgres `Client` (or a client checked out of a pool) in place and returns
 * it. Every call form is supported: text, text and values, a config object (prepared statements
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
  const core = detectorCore(detector, 'instrumentClient')
  if (client === null || typeof client !== 'object' || typeof (client as { query?: unknown }).query !== 'function') {
    throw new TypeError(`n1guard: instrumentClient needs a pg Client with a query() method, got ${describeValue(client)}`)
  }
  return instrumentClientWith(client, core)
}

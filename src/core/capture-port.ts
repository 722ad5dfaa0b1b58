import type { OrmName } from '../analyze/index.js'
import { createDepthHint, type DepthHint } from '../callsite/capture-site.js'
import { detectorCore } from './detector.js'
import type { DetectorCore } from './detector-core.js'
import { processState } from './process-state.js'
import { currentContext, runInContext } from '../callsite/context-store.js'
import type { QueryTrace } from './query-trace.js'

export type { DepthHint } from '../callsite/capture-site.js'
export type { OrmName } from '../analyze/index.js'
/** An adapter's handle on one statement in flight: opaque, handed back to `finish` / `tag` / `restart`. */
export type Capture = QueryTrace

/** Which adapter recorded a statement. */
export type AdapterName = 'kysely' | 'pg'

type Fn = (...args: any[]) => any

/**
 * A depth hint for an adapter's entry points: lets call-site capture skip n1guard's own frames
 * cheaply. Make one per entry point at module load.
 *
 * @example
 * const HINT = entryHint()
 */
export function entryHint(): DepthHint {
  return createDepthHint()
}

/**
 * The one way an adapter (Kysely, pg, an ORM helper) talks to n1guard. A port stands for the
 * detectors one instrumented object (a pool, a client, a dialect) reports to: usually one, several
 * when a test suite makes a detector per test over one shared pool. A statement belongs to the
 * first of them with an open scope in the caller's async context.
 *
 * The calls, in the order an adapter makes them:
 * - `begin(...)` when the application issues a statement, in its async context: a `Capture`, or
 *   undefined (pass the statement through untouched; n1guard may note a lost context);
 * - `tag(sql, capture)` for the text to send (sqlcommenter), `restart(capture)` if it waited;
 * - `finish(capture, rowCount, error?, rows?)` when it settles, before the caller sees the outcome.
 * `bindToCaller(fn)` keeps a driver callback in the caller's scopes; `active()` says whether a
 * statement issued now would be recorded (to time a wait for a connection).
 *
 * @example
 * const port = capturePort(detector, 'instrumentThing')
 * function query(sql, params) {
 *   const capture = port.begin(sql, params, 'pg', query, HINT)
 *   if (capture === undefined) return driver.query(sql, params)
 *   return driver.query(port.tag(sql, capture), params).then(
 *     (r) => { port.finish(capture, r.rows.length, undefined, r.rows); return r },
 *     (e) => { port.finish(capture, undefined, e); throw e },
 *   )
 * }
 */
export class CapturePort {
  /** @internal */
  readonly cores: DetectorCore[]
  /** The ORM an n1guard ORM helper instrumented the object for (fix hints speak its API). @internal */
  orm: OrmName | undefined = undefined
  /**
   * True when a detector of this port tags statements (sqlcommenter): the text sent depends on the
   * capture, so the statement must be begun before it is sent. Otherwise an adapter may send it
   * first and record it while the database works. Options never change, so it is kept, not looked up.
   */
  tagging: boolean

  /** @internal use `capturePort(detector, what)` */
  constructor(core: DetectorCore) {
    this.cores = [core]
    this.tagging = core.options.sqlcommenter !== undefined
  }

  /** Marks this port's detectors as instrumented (a pool, client or dialect reports to them); returns the port. */
  attached(): this {
    for (const core of this.cores) core.instrumented = true
    return this
  }

  /** Adds the detectors of `other` (made for the same object by another call) to this port. */
  merge(other: CapturePort): void {
    for (const core of other.cores) if (!this.cores.includes(core)) this.cores.push(core)
    this.orm ??= other.orm
    this.tagging ||= other.tagging
  }

  /**
   * A pg Pool the query advisor may make its own clients from (its `Client` and `options`), for
   * catalog reads and EXPLAIN that never take one of the pool's connections.
   */
  database(pool: unknown): void {
    for (const core of this.cores) if (core.advisor !== undefined) core.advisor.addDatabase(pool)
  }

  /** True when a statement issued now, in the caller's context, would be recorded. */
  active(): boolean {
    const cores = this.cores
    for (let i = 0; i < cores.length; i++) if (cores[i]!.tracker.activeScope() !== undefined) return true
    return false
  }

  /**
   * A statement issued now. `entry` is the adapter function the application called (frames above
   * it are n1guard's), `hint` its `entryHint()`, `issuedAt` (`performance.now()`) when the
   * application asked for it, if earlier (it waited for a connection). Undefined: pass it through.
   */
  begin(
    sql: unknown,
    params: readonly unknown[] | undefined,
    adapter: AdapterName,
    entry: Function,
    hint: DepthHint,
    issuedAt?: number,
  ): Capture | undefined {
    const cores = this.cores
    for (let i = 0; i < cores.length; i++) {
      const core = cores[i]!
      const scope = core.tracker.activeScope()
      if (scope === undefined) continue
      const capture = core.recorder.begin(scope, sql, params, adapter, entry, hint, issuedAt)
      if (capture !== undefined && this.orm !== undefined) capture.orm = this.orm
      return capture
    }
    for (let i = 0; i < cores.length; i++) cores[i]!.outside(entry, hint, sql)
    return undefined
  }

  /**
   * The statement settled. `rows`: the result's row array, by reference (bounded, to find what fed
   * a loop); `columns`: the column names when the rows are arrays (`rowMode: 'array'`).
   */
  finish(capture: Capture, rowCount: number | undefined, error?: unknown, rows?: readonly unknown[], columns?: readonly string[]): void {
    capture.sink.end(capture, rowCount, error, rows, columns)
  }

  /** The text to send: `sql` with the capture's sqlcommenter tag, or `sql` itself. */
  tag(sql: string, capture: Capture): string {
    return capture.sink.tag(sql, capture)
  }

  /** Times the statement from now: it was issued earlier but waited (for a pooled connection). */
  restart(capture: Capture, now: number): void {
    capture.restartClock(now)
  }

  /**
   * `fn`, made to run in the caller's n1guard scopes. pg calls query and connect callbacks from the
   * socket's async context (whichever request opened the connection): without this, work done in a
   * callback would land in that other request's scope. Only n1guard's own stores are restored
   * (AsyncResource.bind would re-enter every context, at ~10 µs a call), and only for detectors
   * with a scope open somewhere, since otherwise no store could be misread.
   */
  bindToCaller<F extends Fn>(fn: F): F {
    const cores = this.cores
    let open = false
    for (let i = 0; i < cores.length; i++) if (cores[i]!.tracker.openScopes > 0) open = true
    if (!open) return fn
    // One store carries every detector's scopes: restoring it restores them all.
    const context = currentContext()
    return function (this: unknown, ...args: unknown[]) {
      return runInContext(context, () => fn.apply(this, args))
    } as F
  }
}

/**
 * A capture port for `detector`; throws a `TypeError` naming the value when it is not a detector
 * made by `createDetector`. `what` names the caller in that message (`'instrumentPool'`).
 *
 * @example
 * const port = capturePort(detector, 'instrumentPool')
 */
export function capturePort(detector: unknown, what: string): CapturePort {
  return new CapturePort(detectorCore(detector, what))
}

/**
 * The port an object (a pool, a client) was instrumented with, by any copy of n1guard in the
 * process. Kept in a process-wide WeakMap, never on the object itself.
 *
 * @example
 * if (portOf(client) !== undefined) return client // instrumented already
 */
export function portOf(target: object): CapturePort | undefined {
  return processState.instrumented.get(target) as CapturePort | undefined
}

/**
 * Records that `target` reports through `port`. When it was instrumented already, the detectors of
 * `port` join its existing port instead and `fresh` is false (do not wrap its methods again).
 *
 * @example
 * const { port, fresh } = adoptPort(pool, capturePort(detector, 'instrumentPool'))
 */
export function adoptPort(target: object, port: CapturePort): { port: CapturePort; fresh: boolean } {
  const existing = portOf(target)
  if (existing !== undefined) {
    existing.merge(port)
    return { port: existing, fresh: false }
  }
  processState.instrumented.set(target, port)
  return { port, fresh: true }
}

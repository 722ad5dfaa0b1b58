// The rule for state outside a detector: whatever two copies of n1guard in one process must agree
// on lives in this one holder on globalThis, found once per copy. Two copies happen: an app bundles
// its own n1guard while the test setup imports another, or an ORM helper resolves a second install.
// A Kysely dialect wrapped by one copy must still make the pg pool wrapped by the other pass its
// statement through (`nesting`), a pool.query of one copy must hand its trace to the client wrapper
// of the other (`handoff`), and scope listeners, detectors and the trace-context provider must be
// seen by both. Everything else (per-detector state) stays in the detector.
import type { QueryTrace } from './query-trace.js'

/** The process-wide state shared by every copy of n1guard. @internal */
export interface ProcessState {
  /**
   * Raised while one adapter hands a statement to the layer below it (Kysely -> pg client), so the
   * lower adapter passes that call straight through: a query is counted once even when both are
   * instrumented. Only ever raised around synchronous calls.
   */
  nestingDepth: number
  /**
   * A pool.query hands its trace to the client.query that pg-pool issues synchronously inside the
   * connect callback; the trace was begun in the caller's context, with the caller's call site.
   * `false`: the pool.query was outside any scope (decided once, there): pass it through.
   */
  handoff: QueryTrace | false | undefined
  /** What n1guard instrumented (pg pools and clients), and the capture port each reports through. */
  readonly instrumented: WeakMap<object, unknown>
  readonly scopeEndListeners: Set<(event: never) => void>
  readonly scopeStartListeners: Set<(event: never) => void>
  readonly detectors: Set<WeakRef<object>>
  traceContextProvider: unknown
}

const KEY = Symbol.for('n1guard.process-state')
const holder = globalThis as { [KEY]?: ProcessState }

/** The one holder, made by the first copy of n1guard to load. @internal */
export const processState: ProcessState = (holder[KEY] ??= {
  nestingDepth: 0,
  handoff: undefined,
  instrumented: new WeakMap(),
  scopeEndListeners: new Set(),
  scopeStartListeners: new Set(),
  detectors: new Set(),
  traceContextProvider: undefined,
})

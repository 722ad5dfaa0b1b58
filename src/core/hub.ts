import type { Finding, ScopeInfo } from './types.js'

/** What every detector publishes when one of its scopes ends. */
export interface ScopeEndEvent {
  readonly scope: ScopeInfo
  /** The scope's own findings (a nested scope publishes its own). */
  readonly findings: readonly Finding[]
  readonly queryCount: number
  readonly durationMs: number
  /**
   * True when the findings already reached the code that opened the scope, or an enclosing
   * `capture()` (as a result or as an `NPlusOneError`): test integrations must not report them again.
   */
  readonly surfaced: boolean
}

/** What every detector publishes when one of its scopes opens. */
export interface ScopeStartEvent {
  readonly scope: ScopeInfo
}

interface Channel<E> {
  subscribe(listener: (event: E) => void, what: string): () => void
  publish(event: () => E): void
}

// Listener sets are shared through globalThis, so two copies of n1guard in one process (an app
// bundling its own and a test setup importing another) still meet here.
function channel<E>(key: symbol): Channel<E> {
  const store = globalThis as { [key: symbol]: Set<(event: E) => void> | undefined }
  const listeners = (store[key] ??= new Set())
  return {
    subscribe(listener, what) {
      if (typeof listener !== 'function') throw new TypeError(`n1guard: ${what} needs a function, got ${String(listener)}`)
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    publish(event) {
      if (listeners.size === 0) return
      const e = event()
      for (const listener of listeners) {
        try {
          listener(e)
        } catch {
          // a listener's failure is its own business; n1guard carries on
        }
      }
    },
  }
}

const ends = channel<ScopeEndEvent>(Symbol.for('n1guard.scope-end-listeners'))
const starts = channel<ScopeStartEvent>(Symbol.for('n1guard.scope-start-listeners'))

/**
 * Calls `listener` whenever a scope of any detector in the process ends, with its findings. For
 * integrations that must see every scope (a test runner failing the test that ran an N+1 inside an
 * in-process request). Returns a function that unsubscribes. A listener that throws is ignored.
 *
 * @example
 * const stop = onScopeEnd((e) => { if (e.findings.length > 0 && !e.surfaced) failCurrentTest(e) })
 */
export function onScopeEnd(listener: (event: ScopeEndEvent) => void): () => void {
  return ends.subscribe(listener, 'onScopeEnd')
}

/**
 * Calls `listener` whenever a scope of any detector in the process opens, synchronously and in the
 * async context of the code that opened it (a test, a request). With `onScopeEnd`, lets a test
 * runner know which scopes a test started and wait for them to end. Returns a function that
 * unsubscribes. A listener that throws is ignored.
 *
 * @example
 * const stop = onScopeStart((e) => openedDuringThisTest.add(e.scope.id))
 */
export function onScopeStart(listener: (event: ScopeStartEvent) => void): () => void {
  return starts.subscribe(listener, 'onScopeStart')
}

/** @internal */
export function publishScopeEnd(event: () => ScopeEndEvent): void {
  ends.publish(event)
}

/** @internal */
export function publishScopeStart(event: () => ScopeStartEvent): void {
  starts.publish(event)
}

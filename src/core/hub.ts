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

type Listener = (event: ScopeEndEvent) => void

// Shared through globalThis, so two copies of n1guard in one process (an app bundling its own and
// a test setup importing another) still meet here.
const KEY = Symbol.for('n1guard.scope-end-listeners')
const store = globalThis as { [KEY]?: Set<Listener> }
const listeners: Set<Listener> = (store[KEY] ??= new Set())

/**
 * Calls `listener` whenever a scope of any detector in the process ends, with its findings. For
 * integrations that must see every scope (a test runner failing the test that ran an N+1 inside an
 * in-process request). Returns a function that unsubscribes. A listener that throws is ignored.
 *
 * @example
 * const stop = onScopeEnd((e) => { if (e.findings.length > 0 && !e.surfaced) failCurrentTest(e) })
 */
export function onScopeEnd(listener: Listener): () => void {
  if (typeof listener !== 'function') throw new TypeError(`n1guard: onScopeEnd needs a function, got ${String(listener)}`)
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

/** @internal */
export function publishScopeEnd(event: () => ScopeEndEvent): void {
  if (listeners.size === 0) return
  const e = event()
  for (const listener of listeners) {
    try {
      listener(e)
    } catch {
      // a listener's failure is its own business; n1guard carries on
    }
  }
}

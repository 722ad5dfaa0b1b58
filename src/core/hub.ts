import { processState } from './process-state.js'
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

// Shared by every copy of n1guard in the process (see process-state.ts).
const listeners = processState.scopeEndListeners as Set<Listener>

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

/** True when someone listens: lets the caller skip building the event. @internal */
export function hasScopeEndListeners(): boolean {
  return listeners.size > 0
}

/** @internal */
export function publishScopeEnd(e: ScopeEndEvent): void {
  for (const listener of listeners) {
    try {
      listener(e)
    } catch {
      // a listener's failure is its own business; n1guard carries on
    }
  }
}

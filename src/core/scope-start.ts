// Scope openings, for integrations: test runners (which test opened a request's scope) and
// tracers (which span was active there). Kept apart from the scope-end hub (hub.ts).
import { processState } from './process-state.js'
import type { Scope } from './scope.js'
import { probeTraceContext } from './trace-context.js'
import type { ScopeInfo } from './types.js'

/** What every detector publishes when one of its scopes opens. */
export interface ScopeStartEvent {
  readonly scope: ScopeInfo
}

// Shared by every copy of n1guard in the process (see process-state.ts).
const starts = processState.scopeStartListeners as Set<(event: ScopeStartEvent) => void>

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
  if (typeof listener !== 'function') throw new TypeError(`n1guard: onScopeStart needs a function, got ${String(listener)}`)
  starts.add(listener)
  return () => void starts.delete(listener)
}

/** Called by the detector as a scope opens, in the opener's async context. @internal */
export function scopeOpened(scope: Scope): void {
  probeTraceContext(scope)
  if (starts.size === 0) return
  const event: ScopeStartEvent = { scope: scope.info() }
  for (const listener of starts) {
    try {
      listener(event)
    } catch {
      // the listener's business, as for scope ends
    }
  }
}

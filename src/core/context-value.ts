// Values an integration keeps in n1guard's one async context (see callsite/context-store.ts)
// instead of an AsyncLocalStorage of its own: on Node 20 every enabled AsyncLocalStorage is
// propagated at every promise of the process, so each one more taxes every await. A value is a
// link under a symbol of the integration's, found by the store's one walk (`nearestLinkValue`).
import { currentContext, nearestLinkValue, runInContext, type ContextLink } from '../callsite/context-store.js'

/**
 * Runs `fn` with `value` (not undefined) under `key` in its async context and everything it
 * starts. Returns what `fn` returns, and throws what it throws.
 *
 * @example
 * const TEST = Symbol('test')
 * await runWithContextValue(TEST, state, () => runTest())
 * contextValue(TEST) // state, inside runTest and what it started
 */
export function runWithContextValue<T>(key: symbol, value: unknown, fn: () => T): T {
  const link = { next: currentContext(), [key]: value } as ContextLink
  return runInContext(link, fn)
}

/**
 * The newest value under `key` in the caller's async context, or undefined.
 *
 * @example
 * const state = contextValue<TestState>(TEST)
 */
export function contextValue<V>(key: symbol): V | undefined {
  return nearestLinkValue<V>(key)
}

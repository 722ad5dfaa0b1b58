// Values an integration keeps in n1guard's one async context (see callsite/context-store.ts)
// instead of an AsyncLocalStorage of its own: on Node 20 every enabled AsyncLocalStorage is
// propagated at every promise of the process, so each one more taxes every await.
import { currentContext, runInContext, type ContextLink } from '../callsite/context-store.js'

interface ValueLink extends ContextLink {
  readonly key: object
  readonly value: unknown
}

/**
 * Runs `fn` with `value` under `key` (an object of the caller's, compared by identity) in its async
 * context and everything it starts. Returns what `fn` returns, and throws what it throws.
 *
 * @example
 * const TEST = {}
 * await runWithContextValue(TEST, state, () => runTest())
 * contextValue(TEST) // state, inside runTest and what it started
 */
export function runWithContextValue<T>(key: object, value: unknown, fn: () => T): T {
  const link: ValueLink = { next: currentContext(), key, value }
  return runInContext(link, fn)
}

/**
 * The newest value under `key` in the caller's async context, or undefined.
 *
 * @example
 * const state = contextValue<TestState>(TEST)
 */
export function contextValue<V>(key: object): V | undefined {
  for (let link = currentContext(); link !== undefined; link = link.next) {
    if ((link as Partial<ValueLink>).key === key) return (link as ValueLink).value as V
  }
  return undefined
}

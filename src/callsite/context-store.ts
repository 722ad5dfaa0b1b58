import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * One link of n1guard's async context: a detector's scope (core's scope tracker), a call site an
 * ORM helper carries to the statements it issues, or an integration's query annotation. Newest
 * first; each kind is found by walking to the first link of that kind (a handful of links at most).
 */
export interface ContextLink {
  readonly next: ContextLink | undefined
}

// One AsyncLocalStorage for all of n1guard, whichever copy of it made it: on Node 20 every enabled
// instance is propagated at every promise of the process, so detectors, ORM helpers and
// integrations share this one instead of adding one each (20 detectors made every await ~7× slower).
const KEY = Symbol.for('n1guard.context-store')
const holder = globalThis as { [KEY]?: AsyncLocalStorage<ContextLink> }
const contexts: AsyncLocalStorage<ContextLink> = (holder[KEY] ??= new AsyncLocalStorage<ContextLink>())

/**
 * The caller's n1guard context (undefined: none).
 *
 * @example
 * const context = currentContext()
 * setTimeout(() => runInContext(context, work))
 */
export function currentContext(): ContextLink | undefined {
  return contexts.getStore()
}

/**
 * Runs `fn` in `context` (a link made on top of `currentContext()`, or one taken earlier).
 *
 * @example
 * runInContext({ next: currentContext(), site }, fn)
 */
export function runInContext<T>(context: ContextLink | undefined, fn: () => T): T {
  return contexts.run(context as ContextLink, fn)
}

/**
 * The value under `key` of the newest link that has one in the caller's context (an ORM helper's
 * carried `site`, an integration's `annotation`, a symbol-keyed value of `core/context-value.ts`),
 * or undefined.
 *
 * @example
 * const site = nearestLinkValue<RawSite>('site')
 */
export function nearestLinkValue<T>(key: string | symbol): T | undefined {
  for (let link = contexts.getStore(); link !== undefined; link = link.next) {
    const value = (link as unknown as Record<string | symbol, unknown>)[key]
    if (value !== undefined) return value as T
  }
  return undefined
}

import type { DepthHint } from '../callsite/capture-site.js'
import type { DetectorCore } from './detector-core.js'
import type { Scope } from './scope.js'

/**
 * The detectors an instrumented pool, client or dialect reports to. Usually one; several when an
 * app or a test suite makes more than one detector over the same pool (a detector per test, say).
 * A query belongs to the first of them with an open scope in the caller's async context.
 */
export interface Watchers {
  readonly cores: DetectorCore[]
}

/** Adds `core` to an object's watchers (made when absent); `fresh` when the object was new to n1guard. */
export function watch(existing: Watchers | undefined, core: DetectorCore): { watchers: Watchers; fresh: boolean } {
  core.instrumented = true
  if (existing === undefined) return { watchers: { cores: [core] }, fresh: true }
  if (!existing.cores.includes(core)) existing.cores.push(core)
  return { watchers: existing, fresh: false }
}

/** The open scope a statement issued now belongs to, or undefined (pass it through). */
export function activeScopeOf(w: Watchers): Scope | undefined {
  const cores = w.cores
  for (let i = 0; i < cores.length; i++) {
    const scope = cores[i]!.activeScope()
    if (scope !== undefined) return scope
  }
  return undefined
}

/** Tells every watcher a statement ran with no scope (each may say its context looks lost). */
export function noteOutside(w: Watchers, entry: Function, hint: DepthHint): void {
  for (const core of w.cores) core.outside(entry, hint)
}

type Fn = (...args: any[]) => any

/**
 * Runs a callback in the caller's n1guard scopes. pg calls query and connect callbacks from the
 * socket's async context, which is whichever request first opened the connection: without this,
 * work done in a callback would land in that other request's scope. Only n1guard's own stores are
 * restored (AsyncResource.bind would re-enter every context, at ~10 µs a call), and only for
 * detectors with a scope open somewhere, since otherwise no store could be misread.
 */
export function bindToCaller<F extends Fn>(w: Watchers, fn: F): F {
  const cores = w.cores
  if (cores.length === 1) {
    const core = cores[0]!
    if (core.openScopes === 0) return fn
    const als = core.als
    const store = als.getStore()
    return function (this: unknown, ...args: unknown[]) {
      return als.run(store as never, () => fn.apply(this, args))
    } as F
  }
  const restore = cores.filter((c) => c.openScopes > 0).map((c) => ({ als: c.als, store: c.als.getStore() }))
  if (restore.length === 0) return fn
  return function (this: unknown, ...args: unknown[]) {
    const enter = (i: number): unknown =>
      i === restore.length ? fn.apply(this, args) : restore[i]!.als.run(restore[i]!.store as never, () => enter(i + 1))
    return enter(0)
  } as F
}

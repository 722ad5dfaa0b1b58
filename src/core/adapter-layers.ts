// How two adapters stacked on one statement (Kysely over a pg pool, pool.query over its client)
// agree that it is counted once. The state is process-wide (process-state.ts) so that adapters
// loaded from two copies of n1guard agree too.
import { processState } from './process-state.js'
import type { QueryTrace } from './query-trace.js'

type Fn = (...args: any[]) => any
const state = processState

/**
 * Calls `fn` on the layer below (Kysely's connection -> the pg client) with that layer told to
 * pass the statement straight through. Covers the synchronous part of the call only.
 *
 * @example
 * return callBelow(executeQuery, connection, args)
 */
export function callBelow(fn: Fn, self: unknown, args: readonly unknown[]): any {
  state.nestingDepth++
  try {
    return fn.apply(self, args as unknown[])
  } finally {
    state.nestingDepth--
  }
}

/** True while an adapter above is handing this statement down (pass it through). */
export function recordedAbove(): boolean {
  return state.nestingDepth > 0
}

/**
 * Calls `fn` with the `n` arguments its caller gave, without an argument array for up to three
 * (an adapter's per-query path); past three, `more` holds them all, and `a`, `b`, `c` replace its
 * first three.
 *
 * @example
 * return callWithArgs(original, this, arguments.length, config, values, callback, undefined)
 */
export function callWithArgs(fn: Fn, self: unknown, n: number, a: unknown, b: unknown, c: unknown, more: unknown[] | undefined): any {
  if (more !== undefined) {
    more[0] = a
    more[1] = b
    more[2] = c
    return fn.apply(self, more)
  }
  return n <= 1 ? (n === 0 ? fn.call(self) : fn.call(self, a)) : n === 2 ? fn.call(self, a, b) : fn.call(self, a, b, c)
}

/**
 * Calls `fn` as `callWithArgs` does, with `capture` handed to the next statement a lower adapter
 * sees synchronously (pool.query -> pg-pool's connect callback -> client.query): that adapter
 * continues the capture instead of beginning another; `false` (the statement is outside any scope,
 * as decided above) makes it pass the statement through without deciding again. Cleared afterwards
 * whether or not it was taken.
 *
 * @example
 * return callHandingOff(capture, originalQuery, pool, 2, text, values, undefined, undefined)
 */
export function callHandingOff(capture: QueryTrace | false, fn: Fn, self: unknown, n: number, a: unknown, b: unknown, c: unknown, more: unknown[] | undefined): any {
  state.handoff = capture
  try {
    return callWithArgs(fn, self, n, a, b, c, more)
  } finally {
    state.handoff = undefined
  }
}

/** Takes the capture handed down by an adapter above, if any (it is handed once); `false`: pass through. */
export function takeHandoff(): QueryTrace | false | undefined {
  const capture = state.handoff
  if (capture !== undefined) state.handoff = undefined
  return capture
}

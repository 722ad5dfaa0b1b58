import { failsOn } from '../core/fails-on.js'
import { NPlusOneError } from '../core/errors.js'
import type { Finding } from '../core/types.js'
import { atFrames, callerFrames, own, scopeLabel } from './caller.js'
import { checkFunction, checkOptions, checkSawQueries, observe, watchedDetectors, type WatchOptions } from './watch.js'

/** Options of `assertNoNPlusOne`. */
export interface AssertNoNPlusOneOptions extends WatchOptions {}

/**
 * The findings among `findings` that fail: N+1s the baseline does not list (duplicates are a
 * caching matter and do not fail).
 */
export function nPlusOneFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter(failsOn)
}

/** The NPlusOneError of a test helper: headed by the test or function, its stack the caller's. @internal */
export function nPlusOneFailure(bad: readonly Finding[], frames: string): NPlusOneError {
  return atFrames(new NPlusOneError(bad), frames)
}

/**
 * Runs `fn` and resolves to its result, or rejects with `NPlusOneError` when it ran an N+1: one
 * SQL shape from one call site, again and again with different parameters. Requests served
 * in-process while `fn` runs (supertest against an app with n1guard's middleware) count too. Works
 * in any test runner: `node:test`, Jest, Mocha, Vitest. When a watched detector saw no statement
 * at all while `fn` ran, it rejects too: the database handle is probably not instrumented.
 *
 * @example
 * import { assertNoNPlusOne } from 'n1guard/testing'
 * test('lists people with their pets in one query', async () => {
 *   const people = await assertNoNPlusOne(() => listPeopleWithPets(db))
 *   assert.equal(people.length, 20)
 * })
 */
export async function assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>, options?: AssertNoNPlusOneOptions): Promise<Awaited<T>> {
  const frames = callerFrames(assertNoNPlusOne)
  const detectors = own(frames, () => {
    checkFunction(fn, 'assertNoNPlusOne')
    const o = checkOptions(options, 'assertNoNPlusOne', ['detector'])
    return watchedDetectors(o.detector, 'assertNoNPlusOne')
  })
  const observed = await observe(detectors, fn, scopeLabel(fn, frames))
  own(frames, () => checkSawQueries(observed, detectors, 'assertNoNPlusOne'))
  const { result, findings } = observed
  const bad = nPlusOneFindings(findings)
  if (bad.length > 0) throw nPlusOneFailure(bad, frames)
  return result
}

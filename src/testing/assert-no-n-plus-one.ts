import { failsOn } from '../core/fails-on.js'
import { NPlusOneError } from '../core/errors.js'
import type { Finding } from '../core/types.js'
import { checkFunction, checkOptions, observe, watchedDetectors, type WatchOptions } from './watch.js'

/** Options of `assertNoNPlusOne`. */
export interface AssertNoNPlusOneOptions extends WatchOptions {}

/**
 * The findings among `findings` that fail: N+1s the baseline does not list (duplicates are a
 * caching matter and do not fail).
 */
export function nPlusOneFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter(failsOn)
}

/**
 * Runs `fn` and resolves to its result, or rejects with `NPlusOneError` when it ran an N+1: one
 * SQL shape from one call site, again and again with different parameters. Requests served
 * in-process while `fn` runs (supertest against an app with n1guard's middleware) count too. Works
 * in any test runner: `node:test`, Jest, Mocha, Vitest.
 *
 * @example
 * import { assertNoNPlusOne } from 'n1guard/testing'
 * test('lists people with their pets in one query', async () => {
 *   const people = await assertNoNPlusOne(() => listPeopleWithPets(db))
 *   assert.equal(people.length, 20)
 * })
 */
export async function assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>, options?: AssertNoNPlusOneOptions): Promise<Awaited<T>> {
  checkFunction(fn, 'assertNoNPlusOne')
  const o = checkOptions(options, 'assertNoNPlusOne', ['detector'])
  const detectors = watchedDetectors(o.detector, 'assertNoNPlusOne')
  const { result, findings } = await observe(detectors, fn)
  const bad = nPlusOneFindings(findings)
  if (bad.length > 0) throw new NPlusOneError(bad)
  return result
}

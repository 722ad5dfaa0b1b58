/**
 * n1guard for Vitest: the matchers `toHaveNoNPlusOne` and `toRunQueries` (installed when this
 * module is imported, types included), and `guardTests` for a setup file that fails any test
 * during which an N+1 is found. Pair it with `n1guard/vitest/reporter` for an end-of-run summary.
 *
 * @example
 * import 'n1guard/vitest'
 * test('lists people in two queries', async () => {
 *   await expect(() => listPeopleWithPets(db)).toHaveNoNPlusOne()
 *   await expect(() => listPeopleWithPets(db)).toRunQueries({ max: 2 })
 * })
 * @module n1guard/vitest
 */
import { installMatchers } from './matchers.js'

installMatchers()

export { guardTests, type GuardOptions } from './guard.js'
export { installMatchers } from './matchers.js'
export type { AssertNoNPlusOneOptions, AssertQueryCountOptions, CountRule, QueryCountExpectation } from '../testing/index.js'

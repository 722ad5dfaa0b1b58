// expect(fn).toHaveNoNPlusOne() and expect(fn).toRunQueries({ ... }) for Vitest.
import { expect } from 'vitest'
import { describeValue } from '../core/options.js'
import { nPlusOneFindings, type AssertNoNPlusOneOptions } from '../testing/assert-no-n-plus-one.js'
import { expectsZero, queryCountFailure, readCountOptions, type AssertQueryCountOptions } from '../testing/assert-query-count.js'
import { NPlusOneError } from '../core/errors.js'
import { countQueries, formatCounts } from '../testing/query-count.js'
import { callerFrames, own, scopeLabel } from '../testing/caller.js'
import { checkOptions, checkSawQueries, observe, watchedDetectors } from '../testing/watch.js'

declare module 'vitest' {
  interface Matchers<T = any> {
    /**
     * Runs the function and fails when it ran an N+1 (requests it served in-process included).
     * The message shows each finding's SQL shape, count and call site `file:line`. Await it.
     *
     * @example
     * await expect(() => listPeopleWithPets(db)).toHaveNoNPlusOne()
     */
    toHaveNoNPlusOne(options?: AssertNoNPlusOneOptions): Promise<void>
    /**
     * Runs the function and fails when its statements break the expected counts (transaction
     * control never counts). The message lists the statements by shape with counts and call sites.
     *
     * @example
     * await expect(() => listPeopleWithPets(db)).toRunQueries({ max: 2 })
     * await expect(() => createOrder(db)).toRunQueries({ insert: 2, select: { max: 1 } })
     */
    toRunQueries(expected: AssertQueryCountOptions): Promise<void>
  }
}

function checkReceived(received: unknown, matcher: string): () => unknown {
  if (typeof received !== 'function') {
    throw new TypeError(`n1guard: ${matcher} needs a function to run, as in expect(() => load(db)).${matcher}(), got ${describeValue(received)}`)
  }
  return received as () => unknown
}

const INSTALLED = Symbol.for('n1guard.vitest.matchers')

/**
 * Adds `toHaveNoNPlusOne` and `toRunQueries` to Vitest's `expect`. Importing `n1guard/vitest`
 * calls it (the import also brings the matchers' types); calling it again changes nothing.
 *
 * @example
 * import { installMatchers } from 'n1guard/vitest'
 * installMatchers()
 */
export function installMatchers(): void {
  const g = globalThis as { [INSTALLED]?: unknown }
  // expect is per test file (module); remember which one was extended.
  if (g[INSTALLED] === expect) return
  g[INSTALLED] = expect
  expect.extend({ toHaveNoNPlusOne, toRunQueries })
}

// Named, so a failure's stack can start below the matcher: at the user's expect(...) line.
const matchers = {
  async toHaveNoNPlusOne(received: unknown, options?: AssertNoNPlusOneOptions) {
    const frames = callerFrames(toHaveNoNPlusOne)
    const { fn, detectors } = own(frames, () => {
      const fn = checkReceived(received, 'toHaveNoNPlusOne')
      const o = checkOptions(options, 'toHaveNoNPlusOne', ['detector'])
      return { fn, detectors: watchedDetectors(o.detector, 'toHaveNoNPlusOne') }
    })
    const observed = await observe(detectors, fn, scopeLabel(fn, frames))
    // Thrown, not returned as `pass`: with .not too, seeing nothing is never a pass.
    own(frames, () => checkSawQueries(observed, detectors, 'toHaveNoNPlusOne'))
    const bad = nPlusOneFindings(observed.findings)
    return {
      pass: bad.length === 0,
      message: () =>
        bad.length === 0
          ? `n1guard: expected an N+1 query, but the function ran none (${formatCounts(countQueries(observed.queries))})`
          : new NPlusOneError(bad).message,
    }
  },
  async toRunQueries(received: unknown, expected: AssertQueryCountOptions) {
    const frames = callerFrames(toRunQueries)
    const { fn, counts, detectors } = own(frames, () => {
      const fn = checkReceived(received, 'toRunQueries')
      const { expected: counts, detectors } = readCountOptions(expected, 'toRunQueries')
      return { fn, counts, detectors }
    })
    const observed = await observe(detectors, fn, scopeLabel(fn, frames))
    own(frames, () => checkSawQueries(observed, detectors, 'toRunQueries', expectsZero(counts)))
    const failure = queryCountFailure(observed, counts)
    return {
      pass: failure === undefined,
      message: () =>
        failure === undefined
          ? `n1guard: expected the statements to break ${JSON.stringify(counts)}, but they ran ${formatCounts(countQueries(observed.queries))}`
          : failure.message,
    }
  },
}
const { toHaveNoNPlusOne, toRunQueries } = matchers

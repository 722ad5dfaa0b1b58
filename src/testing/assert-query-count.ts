import {
  brokenRules,
  checkExpectation,
  countQueries,
  EXPECTATION_KEYS,
  formatCounts,
  formatGroups,
  groupQueries,
  type QueryCountExpectation,
} from './query-count.js'
import { QueryCountError } from './query-count-error.js'
import { atFrames, callerFrames, own, scopeLabel } from './caller.js'
import { checkFunction, checkOptions, checkSawQueries, observe, watchedDetectors, type Observed, type WatchOptions } from './watch.js'

/** Options of `assertQueryCount`: the expected counts, and which detectors to watch. */
export interface AssertQueryCountOptions extends QueryCountExpectation, WatchOptions {}

/** Checks what `fn` ran against `expected`; the failure message, or undefined when every rule holds. @internal */
export function queryCountFailure(observed: Observed<unknown>, expected: QueryCountExpectation): { message: string; error: QueryCountError } | undefined {
  const counts = countQueries(observed.queries)
  const broken = brokenRules(counts, expected)
  if (broken.length === 0) return undefined
  const queries = groupQueries(observed.queries)
  const lines = [`n1guard: ${broken.join('; ')}`, `ran ${formatCounts(counts)}:`, ...formatGroups(queries)]
  if (observed.truncated > 0) lines.push(`(${observed.truncated} more statements were not kept: raise the detector's maxRecords)`)
  const message = lines.join('\n')
  return { message, error: new QueryCountError(message, { counts, queries, expected }) }
}

/** The expectation says, in so many words, that no statement at all is expected: `{ exact: 0 }` or `{ max: 0 }`. @internal */
export function expectsZero(expected: QueryCountExpectation): boolean {
  return expected.exact === 0 || expected.max === 0
}

/** Splits assertion options into the expectation and the detectors to watch. @internal */
export function readCountOptions(options: unknown, what: string): { expected: QueryCountExpectation; detectors: ReturnType<typeof watchedDetectors> } {
  if (options === undefined) throw new TypeError(`n1guard: ${what} needs the expected counts, e.g. { max: 3 }`)
  const o = checkOptions(options, what, [...EXPECTATION_KEYS, 'detector'])
  const { detector, ...rest } = o
  const expected = checkExpectation(rest, what)
  return { expected, detectors: watchedDetectors(detector, what) }
}

/**
 * Runs `fn` and resolves to its result, or rejects with `QueryCountError` when the statements it
 * ran break the expected counts. Transaction control (BEGIN, COMMIT, SAVEPOINT…) never counts.
 * The error message lists the statements grouped by SQL shape with their counts and call sites.
 * When `fn` ran no statement that a watched detector saw, it rejects (the pool is probably not
 * instrumented) unless the expectation is `{ exact: 0 }` or `{ max: 0 }` and some pool, client or
 * dialect is instrumented for a watched detector.
 *
 * @example
 * import { assertQueryCount } from 'n1guard/testing'
 * await assertQueryCount(() => listPeopleWithPets(db), { max: 2 })
 * await assertQueryCount(() => createOrder(db, cart), { insert: 2, select: { max: 1 } })
 */
export async function assertQueryCount<T>(fn: () => T | PromiseLike<T>, options: AssertQueryCountOptions): Promise<Awaited<T>> {
  const frames = callerFrames(assertQueryCount)
  const { expected, detectors } = own(frames, () => {
    checkFunction(fn, 'assertQueryCount')
    return readCountOptions(options, 'assertQueryCount')
  })
  const observed = await observe(detectors, fn, scopeLabel(fn, frames))
  own(frames, () => checkSawQueries(observed, detectors, 'assertQueryCount', expectsZero(expected)))
  const failure = queryCountFailure(observed, expected)
  if (failure !== undefined) throw atFrames(failure.error, frames)
  return observed.result
}

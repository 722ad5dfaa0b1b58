import { portOf } from '../core/capture-port.js'
import { captureForAssertion, detectorCore, type Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { liveDetectors } from '../core/registry.js'
import type { Finding, QueryRecord } from '../core/types.js'

/** Which detectors an assertion watches. */
export interface WatchOptions {
  /**
   * The detector (or detectors) whose queries count. Without it, every live detector of the process
   * (`liveDetectors()`) is watched, so a test need not import the app's detector.
   * @default liveDetectors()
   */
  readonly detector?: Detector | readonly Detector[]
}

/** What running a function under every watched detector gave. */
export interface Observed<T> {
  readonly result: T
  /** Every statement run, transaction control included, in the order they started. */
  readonly queries: QueryRecord[]
  readonly findings: Finding[]
  /** Records dropped past a detector's `maxRecords` (counts then cover only the kept ones). */
  readonly truncated: number
}

function isDetector(value: unknown): value is Detector {
  return typeof value === 'object' && value !== null && typeof (value as Detector).capture === 'function' && typeof (value as Detector).run === 'function'
}

/** The detectors an assertion watches; throws a TypeError naming a bad value, an Error when there are none. */
export function watchedDetectors(detector: unknown, what: string): readonly Detector[] {
  if (detector === undefined) {
    const live = liveDetectors()
    if (live.length === 0) {
      throw new Error(`n1guard: ${what} found no detector to watch: create one with createDetector() (and instrument your pool or dialect with it) or pass { detector }`)
    }
    return live
  }
  const list = Array.isArray(detector) ? (detector as unknown[]) : [detector]
  if (list.length === 0) throw new TypeError(`n1guard: ${what}: option \`detector\` is an empty array`)
  list.forEach((d, i) => {
    if (!isDetector(d)) {
      throw new TypeError(`n1guard: ${what}: option \`detector\`${Array.isArray(detector) ? `[${i}]` : ''} must be a detector from createDetector(), got ${describeValue(d)}`)
    }
  })
  return list as Detector[]
}

/**
 * Runs `fn` once, inside a `capture()` scope of each detector (nested, so every detector sees the
 * queries that go through its own adapters), and merges what they recorded.
 */
export async function observe<T>(detectors: readonly Detector[], fn: () => T | PromiseLike<T>, name = 'capture'): Promise<Observed<Awaited<T>>> {
  const [first, ...rest] = detectors
  if (first === undefined) return { result: await fn(), queries: [], findings: [], truncated: 0 }
  // Named after the test or function: the scope name heads the failure message.
  const outer = await captureForAssertion(first, name, () => observe(rest, fn, name))
  const inner = outer.result
  const truncated = (Object.getOwnPropertyDescriptor(outer, 'truncated')?.value as number | undefined) ?? 0
  const queries = rest.length === 0 ? outer.queries : [...outer.queries, ...inner.queries].sort((a, b) => a.startedAt - b.startedAt)
  return {
    result: inner.result,
    queries,
    findings: [...outer.findings, ...inner.findings],
    truncated: truncated + inner.truncated,
  }
}

/** Checks that an assertion was handed a function. */
export function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`n1guard: ${what} needs a function to run, got ${describeValue(fn)}`)
}

/** Checks an options object and its keys; returns it as a record. */
export function checkOptions(options: unknown, what: string, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`n1guard: ${what} options must be an object, got ${describeValue(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`n1guard: ${what}: unknown option ${JSON.stringify(key)} (known: ${known.join(', ')})`)
  }
  return options as Record<string, unknown>
}

const HOW_TO_INSTRUMENT =
  "instrument the pool, client or dialect the code under test queries through with the detector the assertion watches: instrumentPool(pool, detector) from 'n1guard/pg', or instrumentDialect(new PostgresDialect({ pool }), detector) from 'n1guard/kysely' (or pass { detector } naming the detector that is instrumented)"

/** The message for detectors none of which has a pool, client or dialect instrumented. @internal */
export function notInstrumentedMessage(what: string, detectors: number): string {
  return `n1guard: ${what} saw no queries, and no pool, client or dialect is instrumented for the ${detectors === 1 ? 'detector' : `${detectors} detectors`} it watches: the database handle is probably not instrumented. To fix it, ${HOW_TO_INSTRUMENT}.`
}

/** True when a pool, client or dialect was ever instrumented for one of `detectors`. @internal */
export function anyInstrumented(detectors: readonly Detector[], what: string): boolean {
  return detectors.some((d) => detectorCore(d, what).instrumented)
}

/**
 * Refuses a vacuous pass: an assertion that saw no statement at all cannot tell "no N+1" from
 * "n1guard was not watching". Zero is accepted only when the caller said zero is expected and a
 * watched detector is instrumented somewhere (else zero proves nothing either). @internal
 */
export function checkSawQueries(observed: Observed<unknown>, detectors: readonly Detector[], what: string, zeroExpected = false): void {
  if (observed.queries.length > 0) return
  const instrumented = anyInstrumented(detectors, what)
  if (zeroExpected && instrumented) return
  throw new Error(
    instrumented
      ? `n1guard: ${what} saw no queries while the function ran, so it cannot tell "no N+1" from "not watched": the database handle the function uses is probably not instrumented for the watched detector. To fix it, ${HOW_TO_INSTRUMENT}. If the function really runs no statement, assert that instead: assertQueryCount(fn, { exact: 0 }).`
      : notInstrumentedMessage(what, detectors.length),
  )
}

/**
 * For a pg Pool or Client handed to an assertion: throws up front when it is not instrumented for
 * any watched detector (its statements would go unseen). A Kysely instance hides its dialect, so
 * it is checked after the run instead, by `checkSawQueries`. @internal
 */
export function checkHandleInstrumented(db: object, detectors: readonly Detector[], what: string): void {
  if (typeof (db as { selectFrom?: unknown }).selectFrom === 'function') return
  const watchers = portOf(db)
  const cores = detectors.map((d) => detectorCore(d, what))
  if (watchers !== undefined && cores.some((c) => watchers.cores.includes(c))) return
  throw new Error(
    `n1guard: ${what}: option \`db\` (a ${db.constructor?.name || 'object'}) is not instrumented${watchers === undefined ? '' : ' for the watched detector'}, so its statements would go unseen: the database handle is not instrumented. To fix it, ${HOW_TO_INSTRUMENT}.`,
  )
}

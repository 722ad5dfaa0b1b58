import { DetectorCore, failsOn, type CoreDefaults } from './detector-core.js'
import type { BaselineEntry } from './baseline.js'
import { NPlusOneError } from './errors.js'
import { internalError } from './internal-error.js'
import { complainOnce, jobScope } from './job-scope.js'
import { describeValue, resolveOptions, type DetectorOptions, type IgnoreRule, type ResolvedOptions } from './options.js'
import { registerDetector } from './registry.js'
import type { Scope, ScopeKind } from './scope.js'
import { checkFn, parseScopeInput } from './scope-input.js'
import { testOrFunctionName } from './test-name.js'
import type { Finding, QueryRecord, ScopeInfo, ScopeInput } from './types.js'

export type { CoreDefaults } from './detector-core.js'
export { DetectorCore } from './detector-core.js'

/** What `detector.capture` resolves to. */
export interface CaptureReport<T> {
  /** What `fn` returned. */
  readonly result: T
  /** Every query `fn` ran, in the order they finished (capped at `maxRecords`). */
  readonly queries: QueryRecord[]
  /** N+1, duplicate and query-budget findings, nested scopes included. */
  readonly findings: Finding[]
}

/**
 * A scope opened by hand, for integrations whose request does not fit in one function call
 * (middleware that ends on the response's `finish` event, job runners, test hooks).
 *
 * @example
 * const scope = detector.startScope('POST /orders')
 * res.on('finish', () => scope.end())
 * scope.run(() => next())
 */
export interface ScopeHandle extends ScopeInfo {
  /** The scope's name; may be set later, for instance once the router knows the route pattern. */
  name: string | undefined
  /** Runs `fn` inside the scope (queries from `fn` and from everything it starts belong to it). */
  run<T>(fn: () => T): T
  /**
   * Closes the scope, runs the reporters (in `'throw'` mode too, since nothing can be thrown to)
   * and returns its findings. Later calls return the same findings.
   */
  end(): readonly Finding[]
  readonly ended: boolean
}

/**
 * Finds N+1 queries. Create one per process with `createDetector`, hand it to the adapters
 * (`instrumentDialect`, `instrumentPool`, middleware), and open scopes with `run`.
 *
 * @example
 * const detector = createDetector()
 * await detector.run('nightly-report', async () => { await buildReport(db) })
 */
export interface Detector {
  /** The options in force, defaults applied. */
  readonly options: Readonly<ResolvedOptions>
  /**
   * Runs `fn` in a new scope and resolves to what it returns. When the scope ends its findings go
   * to the reporters; in `'throw'` mode an N+1 rejects with `NPlusOneError` instead.
   */
  run<T>(scope: ScopeInput, fn: () => T | PromiseLike<T>): Promise<Awaited<T>>
  /** Runs `fn` in a new scope and resolves to its result, queries and findings; reports nothing. */
  capture<T>(fn: () => T | PromiseLike<T>): Promise<CaptureReport<Awaited<T>>>
  /**
   * Resolves to `fn`'s result, or rejects with `NPlusOneError` when `fn` ran an N+1 (one the
   * baseline does not list).
   */
  assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>>
  /** Opens a scope to be ended by hand (see `ScopeHandle`). */
  startScope(scope: ScopeInput): ScopeHandle
  /**
   * Wraps a job handler (a queue worker, a cron task) so every call runs in its own scope, named
   * by `name` or by what `name(...args)` returns. The wrapper resolves to the handler's result.
   *
   * @example
   * worker.process(detector.wrapJob((job) => `job ${job.name}`, async (job) => sendDigest(job.data)))
   */
  wrapJob<F extends (...args: any[]) => unknown>(
    name: ScopeInput | ((...args: Parameters<F>) => ScopeInput),
    fn: F,
  ): (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>
  /**
   * Runs `fn` with detection paused: its queries (and those of everything it starts) are not
   * recorded and count toward nothing. Returns what `fn` returns.
   *
   * @example
   * const flags = detector.ignore(() => loadFeatureFlagsOneByOne(db)) // known, accepted
   */
  ignore<T>(fn: () => T): T
  /** The innermost open scope of the current async context, if any. */
  currentScope(): ScopeInfo | undefined
  /**
   * Ignore rules that have not silenced a single finding in this process: candidates for removal.
   * In `'warn'` mode n1guard also names them on stderr when the process exits.
   */
  staleIgnoreRules(): IgnoreRule[]
  /** Baseline entries no finding of this process matched (fixed, or not exercised by this run). */
  staleBaselineEntries(): BaselineEntry[]
}

const RUN: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: true }
const MANUAL: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: false }
const CAPTURE: ScopeKind = { exact: true, keepRecords: true, report: false, canThrow: false }
const ASSERTION: ScopeKind = { ...CAPTURE, surfaces: true }
const PAUSED: ScopeKind = { exact: false, keepRecords: false, report: false, canThrow: false, paused: true }

const cores = new WeakMap<object, DetectorCore>()
const assertionCaptures = new WeakMap<object, <T>(name: string, fn: () => T | PromiseLike<T>) => Promise<CaptureReport<Awaited<T>>>>()

/**
 * `detector.capture(fn)` for the test helpers: the scope is named `name` (the test, or the
 * function) for the failure header, and the N+1s of scopes nested in it are the helper's to
 * throw, so those scopes do not report them as well. @internal
 */
export function captureForAssertion<T>(detector: Detector, name: string, fn: () => T | PromiseLike<T>): Promise<CaptureReport<Awaited<T>>> {
  const capture = assertionCaptures.get(detector)
  return capture === undefined ? detector.capture(fn) : capture(name, fn)
}

/**
 * The machinery behind a detector, for adapters. Throws a `TypeError` naming the value when it is
 * not a detector made by `createDetector`.
 */
export function detectorCore(detector: unknown, what: string): DetectorCore {
  const core = typeof detector === 'object' && detector !== null ? cores.get(detector) : undefined
  if (core === undefined) {
    throw new TypeError(`n1guard: ${what} needs a detector from createDetector(), got ${describeValue(detector)}`)
  }
  return core
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/**
 * Creates a detector (see `createDetector` in the package root for the documented entry point).
 * @internal
 */
export function createDetectorWith(options: DetectorOptions | undefined, defaults: CoreDefaults): Detector {
  const resolved = resolveOptions(options)
  const core = new DetectorCore(Object.freeze(resolved), defaults)

  async function runIn<T>(scope: Scope, fn: () => T | PromiseLike<T>): Promise<Outcome<Awaited<T>>> {
    try {
      return { ok: true, value: await core.als.run(scope, fn) }
    } catch (error) {
      return { ok: false, error }
    }
  }

  async function captureAs<T>(input: ScopeInput, kind: ScopeKind, fn: () => T | PromiseLike<T>): Promise<CaptureReport<Awaited<T>>> {
    checkFn(fn, 'detector.capture')
    const scope = core.open(input, kind, 'detector.capture')
    const outcome = await runIn(scope, fn)
    const findings = core.close(scope)
    const queries = outcome.ok ? core.records(scope) : []
    scope.release()
    if (!outcome.ok) throw outcome.error
    const report = { result: outcome.value, queries, findings: [...findings] }
    // Not enumerable, so the documented shape { result, queries, findings } stays exact.
    Object.defineProperty(report, 'truncated', { value: scope.truncated, enumerable: false })
    return report
  }

  // Ends a run() scope and returns its value, or throws its error or an NPlusOneError.
  function finishRun<T>(scope: Scope, ok: boolean, outcome: T): T {
    const throwing = resolved.mode === 'throw' && ok
    const findings = core.close(scope, throwing)
    const thrown = throwing ? findings.filter(failsOn) : []
    core.report(scope, thrown.length > 0)
    scope.release()
    if (!ok) throw outcome
    if (thrown.length > 0) throw new NPlusOneError(thrown)
    return outcome
  }

  function settle<T>(scope: Scope, ok: boolean, outcome: unknown): Promise<Awaited<T>> {
    try {
      return Promise.resolve(finishRun(scope, ok, outcome)) as Promise<Awaited<T>>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const detector: Detector = {
    options: core.options,

    run<T>(input: ScopeInput, fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
      // Not an async function: every promise costs AsyncLocalStorage's hooks, and a request
      // needs only the one that carries fn's outcome.
      let scope: Scope
      try {
        checkFn(fn, 'detector.run')
        if (!resolved.enabled) {
          parseScopeInput(input, 'detector.run')
          return Promise.resolve(fn()) as Promise<Awaited<T>>
        }
        scope = core.open(input, RUN, 'detector.run')
      } catch (error) {
        return Promise.reject(error)
      }
      let value: T | PromiseLike<T>
      try {
        value = core.als.run(scope, fn)
      } catch (error) {
        return settle(scope, false, error)
      }
      if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<T>).then === 'function') {
        return Promise.resolve(value).then(
          (v) => finishRun(scope, true, v),
          (e: unknown) => finishRun(scope, false, e),
        ) as Promise<Awaited<T>>
      }
      return settle(scope, true, value)
    },

    async capture<T>(fn: () => T | PromiseLike<T>): Promise<CaptureReport<Awaited<T>>> {
      return await captureAs({ name: 'capture' }, CAPTURE, fn)
    },

    async assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
      checkFn(fn, 'detector.assertNoNPlusOne')
      const scope = core.open({ name: testOrFunctionName(fn) ?? 'assertNoNPlusOne' }, ASSERTION, 'detector.assertNoNPlusOne')
      const outcome = await runIn(scope, fn)
      const findings = core.close(scope)
      scope.release()
      if (!outcome.ok) throw outcome.error
      const bad = findings.filter(failsOn)
      if (bad.length > 0) throw new NPlusOneError(bad)
      return outcome.value
    },

    startScope(input: ScopeInput): ScopeHandle {
      const scope = core.open(input, MANUAL, 'detector.startScope')
      let findings: readonly Finding[] | undefined
      return {
        get id() {
          return scope.id
        },
        get name() {
          return scope.name
        },
        set name(value: string | undefined) {
          if (value !== undefined && typeof value !== 'string') {
            throw new TypeError(`n1guard: scope name must be a string, got ${describeValue(value)}`)
          }
          scope.name = value
        },
        get ended() {
          return scope.ended
        },
        run<R>(fn: () => R): R {
          checkFn(fn, 'scope.run')
          if (!resolved.enabled) return fn()
          return core.als.run(scope, fn)
        },
        end(): readonly Finding[] {
          if (findings !== undefined) return findings
          findings = core.close(scope)
          if (resolved.enabled) core.report(scope, false)
          scope.release()
          return findings
        },
      }
    },

    wrapJob<F extends (...args: any[]) => unknown>(
      name: ScopeInput | ((...args: Parameters<F>) => ScopeInput),
      fn: F,
    ): (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>> {
      checkFn(fn, 'detector.wrapJob')
      if (typeof name !== 'function') parseScopeInput(name, 'detector.wrapJob')
      const run = detector.run
      const complain = complainOnce()
      return function job(this: unknown, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
        let scope: ScopeInput
        try {
          scope = typeof name === 'function' ? jobScope(name(...args), complain) : name
        } catch (error) {
          internalError('naming a job scope (the name function threw)', error)
          scope = 'job'
        }
        return run(scope, () => fn.apply(this, args) as ReturnType<F>)
      }
    },

    ignore<T>(fn: () => T): T {
      checkFn(fn, 'detector.ignore')
      if (!resolved.enabled) return fn()
      const paused = core.open({ name: 'ignored' }, PAUSED, 'detector.ignore')
      return core.als.run(paused, fn)
    },

    currentScope(): ScopeInfo | undefined {
      return core.activeScope()?.info()
    },

    staleIgnoreRules(): IgnoreRule[] {
      return core.staleIgnoreRules()
    },

    staleBaselineEntries(): BaselineEntry[] {
      return core.staleBaselineEntries()
    },
  }
  cores.set(detector, core)
  assertionCaptures.set(detector, (name, fn) => captureAs({ name }, ASSERTION, fn))
  registerDetector(detector)
  return Object.freeze(detector)
}

import { resolveAdvisorOptions, type AdvisorDatabase, type UnindexedForeignKey } from './advisor-options.js'
import type { AdvisorPort } from './advisor-port.js'
import { DetectorCore, type CoreDefaults } from './detector-core.js'
import type { CaptureReport, Detector, ScopeHandle } from './detector-types.js'
import { NPlusOneError } from './errors.js'
import { failsOn as failsOnFinding } from './fails-on.js'
import { internalError } from './internal-error.js'
import { complainOnce, jobScope } from './job-scope.js'
import { describeValue, resolveOptions, type DetectorOptions } from './options.js'
import { registerDetector } from './registry.js'
import type { Scope, ScopeKind } from './scope.js'
import { checkFn, parseScopeInput } from './scope-input.js'
import { testOrFunctionName } from './test-name.js'
import type { Finding, JobScopeInput, ScopeInfo, ScopeInput } from './types.js'

export type { CoreDefaults } from './detector-core.js'
export type { CaptureReport, Detector, ScopeHandle } from './detector-types.js'

const RUN: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: true }
const MANUAL: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: false }
const CAPTURE: ScopeKind = { exact: true, keepRecords: true, report: false, canThrow: false }
// Its N+1s, and those of the scopes nested in it, are the assertion's to throw: one finding, one report.
const ASSERTION: ScopeKind = { ...CAPTURE, surfaces: true }
const PAUSED: ScopeKind = { exact: false, keepRecords: false, report: false, canThrow: false, paused: true }

const cores = new WeakMap<object, DetectorCore>()
type AssertionCapture = <T>(name: string, fn: () => T | PromiseLike<T>) => Promise<CaptureReport<Awaited<T>>>
const assertionCaptures = new WeakMap<object, AssertionCapture>()

// A thenable that is not a promise (a Knex or Drizzle builder, a PrismaPromise) runs its query from
// then(), which `await` calls from a microtask queued where it awaits: outside the scope, once
// als.run has returned. Promise.resolve inside the scope queues that call in the scope.
function adoptThenable<T>(value: T): T | Promise<Awaited<T>> {
  if (value instanceof Promise || value === null || (typeof value !== 'object' && typeof value !== 'function')) return value
  return typeof (value as { then?: unknown }).then === 'function' ? (Promise.resolve(value) as Promise<Awaited<T>>) : value
}

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
 * The machinery behind a detector, for the capture port. Throws a `TypeError` naming the value when
 * it is not a detector made by `createDetector`. @internal
 */
export function detectorCore(detector: unknown, what: string): DetectorCore {
  const core = typeof detector === 'object' && detector !== null ? cores.get(detector) : undefined
  if (core === undefined) {
    throw new TypeError(`n1guard: ${what} needs a detector from createDetector(), got ${describeValue(detector)}`)
  }
  return core
}

/**
 * The handle `startScope` returns: a class, so opening a scope (once per request in the Express and
 * Fastify middleware) makes one object, where an object literal made seven closures and its
 * accessors each time.
 */
class ManualScope implements ScopeHandle {
  readonly #scope: Scope
  readonly #core: DetectorCore
  #findings: readonly Finding[] | undefined = undefined

  constructor(scope: Scope, core: DetectorCore) {
    this.#scope = scope
    this.#core = core
  }

  get id(): string {
    return this.#scope.id
  }
  get name(): string | undefined {
    return this.#scope.name
  }
  set name(value: string | undefined) {
    if (value !== undefined && typeof value !== 'string') {
      throw new TypeError(`n1guard: scope name must be a string, got ${describeValue(value)}`)
    }
    this.#scope.name = value
  }
  get ended(): boolean {
    return this.#scope.ended
  }
  settle(): Promise<void> {
    const advisor = this.#core.advisor
    return advisor === undefined || this.#scope.ended ? Promise.resolve() : advisor.settle(this.#scope)
  }
  run<R>(fn: () => R): R {
    checkFn(fn, 'scope.run')
    if (!this.#core.options.enabled) return fn()
    return this.#core.tracker.run(this.#scope, fn)
  }
  end(): readonly Finding[] {
    return (this.#findings ??= this.#core.tracker.endScope(this.#scope, this.#core.options.enabled ? undefined : NO_REPORT).findings)
  }
  /** What `JSON.stringify` shows of a handle: its id, name and whether it ended. */
  toJSON(): { id: string; name: string | undefined; ended: boolean } {
    return { id: this.id, name: this.name, ended: this.ended }
  }
}
const NO_REPORT = { report: false } as const
const CAN_THROW = { canThrow: true } as const
const CANNOT_THROW = { canThrow: false } as const

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/**
 * Creates a detector (see `createDetector` in the package root for the documented entry point).
 * @internal
 */
export function createDetectorWith(options: DetectorOptions | undefined, defaults: CoreDefaults): Detector {
  const resolved = resolveOptions(options)
  const core = new DetectorCore(Object.freeze(resolved), defaults)
  const tracker = core.tracker
  let schemaAdvisor: AdvisorPort | undefined

  async function runIn<T>(scope: Scope, fn: () => T | PromiseLike<T>): Promise<Outcome<Awaited<T>>> {
    try {
      return { ok: true, value: await tracker.run(scope, () => adoptThenable(fn())) }
    } catch (error) {
      return { ok: false, error }
    }
  }

  // Ends a run() scope and returns its value, or throws its error or an NPlusOneError.
  function finishRun<T>(scope: Scope, ok: boolean, outcome: T): T {
    const { thrown } = tracker.endScope(scope, resolved.mode === 'throw' && ok ? CAN_THROW : CANNOT_THROW)
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

  // A test-style scope (capture, assertNoNPlusOne): exact, records kept, reports nothing.
  async function captured<T>(fn: () => T | PromiseLike<T>, what: string, name = what.slice('detector.'.length), kind = CAPTURE) {
    checkFn(fn, what)
    const scope = tracker.open({ name }, kind, what)
    const outcome = await runIn(scope, fn)
    // The advisor's catalog lookups for the scope's repeated queries finish before it is analysed.
    if (core.advisor !== undefined) await core.advisor.settle(scope)
    const end = tracker.endScope(scope)
    if (!outcome.ok) throw outcome.error
    return { value: outcome.value, end }
  }

  async function captureAs<T>(fn: () => T | PromiseLike<T>, name: string, kind: ScopeKind): Promise<CaptureReport<Awaited<T>>> {
    const { value, end } = await captured(fn, 'detector.capture', name, kind)
    const report = { result: value, queries: end.records, findings: [...end.findings] }
    // Not enumerable, so the documented shape { result, queries, findings } stays exact.
    Object.defineProperty(report, 'truncated', { value: end.truncated, enumerable: false })
    return report
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
        scope = tracker.open(input, RUN, 'detector.run')
      } catch (error) {
        return Promise.reject(error)
      }
      let value: T | PromiseLike<T>
      try {
        value = tracker.run(scope, fn)
        // A thenable that is not a promise (an ORM's query builder) runs its query when adopted:
        // adopted inside the scope, so that query is the scope's.
        if (value !== null && (typeof value === 'object' || typeof value === 'function') && !(value instanceof Promise)) {
          const thenable = value
          value = tracker.run(scope, () => adoptThenable(thenable))
        }
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
      return await captureAs(fn, 'capture', CAPTURE)
    },

    async assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
      const { value, end } = await captured(fn, 'detector.assertNoNPlusOne', testOrFunctionName(fn) ?? 'assertNoNPlusOne', ASSERTION)
      const bad = end.findings.filter(failsOnFinding)
      if (bad.length > 0) throw new NPlusOneError(bad)
      return value
    },

    startScope(input: ScopeInput): ScopeHandle {
      return new ManualScope(tracker.open(input, MANUAL, 'detector.startScope'), core)
    },

    wrapJob<F extends (...args: any[]) => unknown>(
      name: ScopeInput | ((...args: Parameters<F>) => JobScopeInput),
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
      // Ended as soon as fn returns: a paused scope records nothing, so its queries (now or from
      // fn's async continuation) pass through either way, and a test runner waiting for the
      // scopes a test opened is not kept waiting for it.
      const paused = tracker.open({ name: 'ignored' }, PAUSED, 'detector.ignore')
      try {
        return tracker.run(paused, fn)
      } finally {
        tracker.endScope(paused)
      }
    },

    currentScope(): ScopeInfo | undefined {
      return tracker.activeScope()?.info()
    },

    staleIgnoreRules() {
      return core.suppressions.staleIgnoreRules()
    },

    staleBaselineEntries() {
      return core.suppressions.staleBaselineEntries()
    },

    checkSchema(pool?: AdvisorDatabase): Promise<UnindexedForeignKey[]> {
      if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof (pool as { Client?: unknown }).Client !== 'function')) {
        return Promise.reject(new TypeError(`n1guard: checkSchema needs a pg Pool (with its Client constructor), got ${describeValue(pool)}`))
      }
      const advisor = core.advisor ?? (schemaAdvisor ??= defaults.advisor?.(resolveAdvisorOptions({}, resolved.threshold, describeValue)!))
      if (advisor === undefined) return Promise.reject(new Error('n1guard: checkSchema is not available in this build (no advisor)'))
      return advisor.checkSchema(pool)
    },
  }
  cores.set(detector, core)
  assertionCaptures.set(detector, (name, fn) => captureAs(fn, name, ASSERTION))
  registerDetector(detector)
  return Object.freeze(detector)
}

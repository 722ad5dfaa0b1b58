import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import type { Candidate } from '../analyze/index.js'
import { captureSite, type DepthHint } from '../callsite/capture-site.js'
import { resolveSite } from '../callsite/resolve-site.js'
import { sqlInfo } from '../fingerprint/index.js'
import { NPlusOneError } from './errors.js'
import { publishScopeEnd } from './hub.js'
import { matchesIgnoreRule } from './ignore.js'
import { internalError } from './internal-error.js'
import { describeValue, resolveOptions, type DetectorOptions, type ResolvedOptions } from './options.js'
import { QueryTrace } from './query-trace.js'
import { registerDetector } from './registry.js'
import { Scope, type ScopeKind } from './scope.js'
import { stableId } from './stable-id.js'
import { scopeOpened } from './scope-start.js'
import { probeTraceContext, traceContextOf } from './trace-context.js'
import type { Finding, QueryError, QueryRecord, Reporter, ScopeInfo, ScopeInput, ScopeReport } from './types.js'

/** What `detector.capture` resolves to. */
export interface CaptureReport<T> {
  /** What `fn` returned. */
  readonly result: T
  /** Every query `fn` ran, in the order they finished (capped at `maxRecords`). */
  readonly queries: QueryRecord[]
  /** N+1 and duplicate findings, nested scopes included. */
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
  /** Resolves to `fn`'s result, or rejects with `NPlusOneError` when `fn` ran an N+1. */
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
  wrapJob<A extends unknown[], R>(
    name: ScopeInput | ((...args: A) => ScopeInput),
    fn: (...args: A) => R | PromiseLike<R>,
  ): (...args: A) => Promise<Awaited<R>>
  /** The innermost open scope of the current async context, if any. */
  currentScope(): ScopeInfo | undefined
}

// The first scopes of a process capture a call site for every query, so tests and the first
// requests after a start are exact; afterwards only shapes that repeat (now, or ever before in
// this process) pay for a stack. See docs/how-it-works.md.
const WARMUP_SCOPES = 1000
const MAX_HOT_SHAPES = 10_000
const SCOPE_PREFIX = `${randomBytes(3).toString('hex')}-`

function errorOf(error: unknown, withMessage: boolean): QueryError {
  if (error === null || typeof error !== 'object') return { name: 'Error', message: withMessage ? String(error) : '' }
  const e = error as { name?: unknown; message?: unknown; code?: unknown }
  const name = typeof e.name === 'string' ? e.name : 'Error'
  const message = withMessage && typeof e.message === 'string' ? e.message : ''
  return typeof e.code === 'string' ? { name, message, code: e.code } : { name, message }
}

function parseScopeInput(input: unknown, what: string): { name: string | undefined; id: string | undefined } {
  if (typeof input === 'string') return { name: input, id: undefined }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const { name, id } = input as { name?: unknown; id?: unknown }
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`n1guard: ${what}: scope name must be a string, got ${describeValue(name)}`)
    }
    if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
      throw new TypeError(`n1guard: ${what}: scope id must be a non-empty string, got ${describeValue(id)}`)
    }
    return { name, id }
  }
  throw new TypeError(`n1guard: ${what}: scope must be a name or { name?, id? }, got ${describeValue(input)}`)
}

function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`n1guard: ${what} needs a function, got ${describeValue(fn)}`)
}

const RUN: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: true }
const MANUAL: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: false }
const CAPTURE: ScopeKind = { exact: true, keepRecords: true, report: false, canThrow: false }

/** Defaults the composition root (`src/index.ts`) supplies, so core never imports the reporters. */
export interface CoreDefaults {
  readonly consoleReporter: () => Reporter
}

/**
 * The detector's machinery. Adapters reach it through `detectorCore(detector)`; users only see the
 * `Detector` facade.
 */
export class DetectorCore {
  readonly als = new AsyncLocalStorage<Scope>()
  readonly hot = new Set<string>()
  scopesOpened = 0
  private counter = 0
  private readonly failedReporters = new WeakSet<object>()
  private consoleFallback: Reporter | undefined

  constructor(
    readonly options: ResolvedOptions,
    private readonly defaults: CoreDefaults,
  ) {}

  /** The open scope a query issued now belongs to, or undefined (pass the query through). */
  activeScope(): Scope | undefined {
    if (!this.options.enabled) return undefined
    const scope = this.als.getStore()
    return scope === undefined || scope.ended ? undefined : scope
  }

  /**
   * Called by an adapter when a statement is issued, in the caller's async context. Returns the
   * trace to complete with `end`, or undefined when the query is outside any scope.
   * `entry` is the adapter function the application called (stack frames above it are n1guard's).
   */
  begin(
    sql: unknown,
    params: readonly unknown[] | undefined,
    adapter: 'kysely' | 'pg',
    entry: Function,
    hint: DepthHint,
    issuedAt?: number,
  ): QueryTrace | undefined {
    const scope = this.activeScope()
    if (scope === undefined || typeof sql !== 'string') return undefined
    try {
      if (scope.issued.size === 0) probeTraceContext(scope)
      const info = sqlInfo(sql)
      let site
      if (info.kind !== 'transaction') {
        const id = info.id
        const repeat = scope.issued.has(id)
        if (!repeat) scope.issued.add(id)
        else if (this.hot.size < MAX_HOT_SHAPES) this.hot.add(id)
        if (repeat || scope.kind.exact || this.hot.has(id)) site = captureSite(entry, hint)
      }
      const now = performance.now()
      return new QueryTrace(scope, info, params, site, adapter, issuedAt ?? now, now, this.options.captureParams)
    } catch (error) {
      internalError('recording the start of a query', error)
      return undefined
    }
  }

  /** Called by an adapter when the statement settled, before the caller sees the outcome. */
  end(trace: QueryTrace, rowCount: number | undefined, error?: unknown): void {
    try {
      trace.endedAt = performance.now()
      trace.rowCount = rowCount
      if (error !== undefined) trace.error = errorOf(error, this.options.captureParams)
      const scope = trace.scope
      // A query still running when its scope ended (fire and forget) is not the scope's any more.
      if (scope.ended) return
      scope.aggregate.add(trace)
      const site = trace.site
      if (site !== undefined && !scope.sites.has(site.key)) scope.sites.set(site.key, site)
      if (scope.kind.keepRecords) {
        if (scope.records.length < this.options.maxRecords) scope.records.push(trace)
        else scope.truncated++
      }
    } catch (err) {
      internalError('recording the end of a query', err)
    }
  }

  open(input: ScopeInput, kind: ScopeKind, what: string): Scope {
    const { name, id } = parseScopeInput(input, what)
    const parent = this.als.getStore()
    if (this.scopesOpened < WARMUP_SCOPES && !kind.exact) kind = { ...kind, exact: true }
    // Inside capture(), nested scopes (middleware served in-process) keep records for it.
    if (parent !== undefined && !parent.ended && parent.kind.keepRecords && !kind.keepRecords) {
      kind = { ...kind, keepRecords: true, exact: true }
    }
    this.scopesOpened++
    const scopeId = id ?? SCOPE_PREFIX + (++this.counter).toString(36)
    const scope = new Scope(scopeId, name, parent === undefined || parent.ended ? undefined : parent, kind, performance.now())
    scopeOpened(scope)
    return scope
  }

  /**
   * Ends a scope: findings from its aggregate, ignore rules applied, handed up to its parent.
   * `surfaced`: the opener is about to throw them (`run` in 'throw' mode).
   */
  close(scope: Scope, surfaced = false): readonly Finding[] {
    if (scope.ended) return scope.findings
    scope.ended = true
    scope.endedAt = performance.now()
    let own: Finding[] = []
    try {
      const info = scope.info()
      for (const c of scope.aggregate.candidates(this.options.threshold)) {
        const finding = this.toFinding(c, scope, info)
        if (!this.ignored(finding)) own.push(finding)
      }
    } catch (error) {
      internalError('analyzing a scope', error)
      own = []
    }
    scope.ownFindings = own
    const all = scope.childFindings === undefined ? own : [...own, ...scope.childFindings]
    scope.findings = all
    publishScopeEnd(() => ({
      scope: scope.info(),
      findings: own,
      queryCount: scope.aggregate.size,
      durationMs: scope.endedAt - scope.startedAt,
      surfaced: surfaced || !scope.kind.report || insideCapture(scope),
    }))
    const parent = scope.parent
    if (parent !== undefined && !parent.ended) {
      if (all.length > 0) (parent.childFindings ??= []).push(...all)
      if (parent.kind.keepRecords) {
        const mine = scope.childRecords === undefined ? scope.records : [...scope.records, ...scope.childRecords]
        ;(parent.childRecords ??= []).push(...mine)
      }
    }
    return all
  }

  private toFinding(c: Candidate, scope: Scope, info: ScopeInfo): Finding {
    const raw = c.siteKey === undefined ? undefined : scope.sites.get(c.siteKey)
    const callSite = raw === undefined ? undefined : resolveSite(raw)
    const where = callSite === undefined ? '' : `${callSite.file}:${callSite.function ?? callSite.line}`
    const finding: Finding = {
      kind: c.kind,
      id: stableId(`${c.kind}\u0000${c.fingerprint}\u0000${where}`),
      fingerprint: c.fingerprint,
      sql: c.shape,
      count: c.count,
      distinctParams: c.distinctParams,
      ...(callSite === undefined ? {} : { callSite }),
      parallel: c.parallel,
      totalDurationMs: c.totalDurationMs,
      scope: info,
      ...(c.tables[0] === undefined ? {} : { table: c.tables[0] }),
      hint: c.hint,
    }
    if (this.options.captureParams) {
      const samples = scope.records
        .filter((r) => r.fingerprint === c.fingerprint && r.siteKey === c.siteKey && r.params !== undefined)
        .slice(0, 5)
        .map((r) => r.params as readonly unknown[])
      if (samples.length > 0) return { ...finding, sampleParams: samples }
    }
    return finding
  }

  private ignored(f: Finding): boolean {
    const rules = this.options.ignore
    if (rules.length === 0) return false
    const subject = {
      sql: f.sql,
      fingerprint: f.fingerprint,
      kind: f.kind,
      ...(f.table === undefined ? {} : { table: f.table }),
      ...(f.callSite === undefined ? {} : { callSite: f.callSite }),
    }
    for (const rule of rules) {
      try {
        if (matchesIgnoreRule(rule, subject)) return true
      } catch (error) {
        internalError('evaluating an ignore rule', error)
      }
    }
    return false
  }

  private reportersFor(scope: Scope, throwing: boolean): readonly Reporter[] {
    const { mode, reporters } = this.options
    if (mode === 'silent' || !scope.kind.report) return []
    if (reporters !== undefined) return reporters
    // In 'throw' mode the rejection is the report; findings that cannot be thrown still get said.
    if (mode === 'throw' && throwing) return []
    this.consoleFallback ??= this.defaults.consoleReporter()
    return [this.consoleFallback]
  }

  /**
   * Hands a closed scope's own findings (nested scopes report their own) to the reporters; a
   * throwing reporter is said once. `throwing`: the caller rejects with the N+1 findings instead.
   */
  report(scope: Scope, throwing: boolean): void {
    const findings = throwing ? scope.ownFindings.filter((f) => f.kind !== 'n-plus-one') : scope.ownFindings
    const reporters = this.reportersFor(scope, throwing)
    if (reporters.length === 0) return
    const report: ScopeReport = {
      scope: scope.info(),
      findings,
      queryCount: scope.aggregate.size,
      durationMs: scope.endedAt - scope.startedAt,
      ...traceContextOf(scope),
    }
    for (const reporter of reporters) {
      try {
        if (typeof reporter === 'function') reporter(report)
        else reporter.report(report)
      } catch (error) {
        if (this.failedReporters.has(reporter)) continue
        this.failedReporters.add(reporter)
        const name = typeof reporter === 'function' ? reporter.name : reporter.constructor?.name
        internalError(`running reporter ${name || '(anonymous)'} (it threw; its later errors are not shown)`, error)
      }
    }
  }

  records(scope: Scope): QueryRecord[] {
    const all = scope.childRecords === undefined ? scope.records : [...scope.records, ...scope.childRecords]
    return all.map(toRecord)
  }
}

const origin = performance.timeOrigin

function toRecord(t: QueryTrace): QueryRecord {
  return {
    sql: t.shape,
    fingerprint: t.fingerprint,
    durationMs: t.endedAt - t.startedAt,
    ...(t.rowCount === undefined ? {} : { rowCount: t.rowCount }),
    startedAt: origin + t.startedAt,
    scopeId: t.scope.id,
    ...(t.site === undefined ? {} : { callSite: resolveSite(t.site) }),
    ...(t.error === undefined ? {} : { error: t.error }),
    ...(t.params === undefined ? {} : { params: t.params }),
    kind: t.kind,
  }
}

function insideCapture(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (!s.kind.report) return true
  return false
}

const cores = new WeakMap<object, DetectorCore>()

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

function nPlusOnes(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.kind === 'n-plus-one')
}

/**
 * Creates a detector (see `createDetector` in the package root for the documented entry point).
 * @internal
 */
export function createDetectorWith(options: DetectorOptions | undefined, defaults: CoreDefaults): Detector {
  const resolved = resolveOptions(options)
  const core = new DetectorCore(Object.freeze(resolved), defaults)

  async function runIn<T>(scope: Scope, fn: () => T | PromiseLike<T>): Promise<{ ok: true; value: Awaited<T> } | { ok: false; error: unknown }> {
    try {
      return { ok: true, value: await core.als.run(scope, fn) }
    } catch (error) {
      return { ok: false, error }
    }
  }

  const detector: Detector = {
    options: core.options,

    async run<T>(input: ScopeInput, fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
      checkFn(fn, 'detector.run')
      if (!resolved.enabled) {
        parseScopeInput(input, 'detector.run')
        return await fn()
      }
      const scope = core.open(input, RUN, 'detector.run')
      const outcome = await runIn(scope, fn)
      const findings = core.close(scope, resolved.mode === 'throw' && outcome.ok)
      const thrown = resolved.mode === 'throw' && outcome.ok ? nPlusOnes(findings) : []
      core.report(scope, thrown.length > 0)
      if (!outcome.ok) throw outcome.error
      if (thrown.length > 0) throw new NPlusOneError(thrown)
      return outcome.value
    },

    async capture<T>(fn: () => T | PromiseLike<T>): Promise<CaptureReport<Awaited<T>>> {
      checkFn(fn, 'detector.capture')
      const scope = core.open({ name: 'capture' }, CAPTURE, 'detector.capture')
      const outcome = await runIn(scope, fn)
      const findings = core.close(scope)
      if (!outcome.ok) throw outcome.error
      const report = { result: outcome.value, queries: core.records(scope), findings: [...findings] }
      // Not enumerable, so the documented shape { result, queries, findings } stays exact.
      Object.defineProperty(report, 'truncated', { value: scope.truncated, enumerable: false })
      return report
    },

    async assertNoNPlusOne<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
      checkFn(fn, 'detector.assertNoNPlusOne')
      const scope = core.open({ name: 'assertNoNPlusOne' }, CAPTURE, 'detector.assertNoNPlusOne')
      const outcome = await runIn(scope, fn)
      const findings = core.close(scope)
      if (!outcome.ok) throw outcome.error
      const bad = nPlusOnes(findings)
      if (bad.length > 0) throw new NPlusOneError(bad)
      return outcome.value
    },

    startScope(input: ScopeInput): ScopeHandle {
      const scope = core.open(input, MANUAL, 'detector.startScope')
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
          if (scope.ended) return scope.findings
          const findings = core.close(scope)
          if (resolved.enabled) core.report(scope, false)
          return findings
        },
      }
    },

    wrapJob<A extends unknown[], R>(
      name: ScopeInput | ((...args: A) => ScopeInput),
      fn: (...args: A) => R | PromiseLike<R>,
    ): (...args: A) => Promise<Awaited<R>> {
      checkFn(fn, 'detector.wrapJob')
      if (typeof name !== 'function') parseScopeInput(name, 'detector.wrapJob')
      const run = detector.run
      return function job(this: unknown, ...args: A): Promise<Awaited<R>> {
        let scope: ScopeInput
        try {
          scope = typeof name === 'function' ? name(...args) : name
        } catch (error) {
          internalError('naming a job scope (the name function threw)', error)
          scope = 'job'
        }
        return run(scope, () => fn.apply(this, args))
      }
    },

    currentScope(): ScopeInfo | undefined {
      return core.activeScope()?.info()
    },
  }
  cores.set(detector, core)
  registerDetector(detector)
  return Object.freeze(detector)
}

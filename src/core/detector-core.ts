import { performance } from 'node:perf_hooks'
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Candidate, CandidateBase, PatternMember, ShapeIssue } from '../analyze/index.js'
import { captureSite, type DepthHint, type RawSite } from '../callsite/capture-site.js'
import { resolveSite } from '../callsite/resolve-site.js'
import { sqlInfo } from '../fingerprint/index.js'
import { Baseline } from './baseline.js'
import { hasScopeEndListeners, publishScopeEnd } from './hub.js'
import { matchesIgnoreRule } from './ignore.js'
import { internalError } from './internal-error.js'
import { whenProcessEnds } from './exit.js'
import { describeValue, type IgnoreRule, type ResolvedOptions } from './options.js'
import { QueryTrace } from './query-trace.js'
import { Scope, type ScopeKind } from './scope.js'
import { parseScopeInput } from './scope-input.js'
import { scopeOpened } from './scope-start.js'
import { stableId } from './stable-id.js'
import { probeTraceContext, traceContextOf } from './trace-context.js'
import type {
  CallSite,
  Finding,
  FindingShape,
  FindingSource,
  QueryError,
  QueryRecord,
  Reporter,
  ScopeInfo,
  ScopeInput,
  ScopeReport,
  Severity,
} from './types.js'

// The first scopes of a process capture a call site for every query, so tests and the first
// requests after a start are exact; afterwards only shapes that repeat (now, or ever before in
// this process) pay for a stack. See docs/how-it-works.md.
const WARMUP_SCOPES = 1000
// After the warm-up, one scope in this many is exact too, so a loop of exactly `threshold`
// iterations (whose first run had no stack) is still found on some of its requests.
const EXACT_EVERY = 256
// Repeats from one stable call site are sampled at doubling intervals up to this gap.
const MAX_SAMPLE_GAP = 64
const MAX_LOST_CONTEXT_WARNINGS = 5
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 }
const NO_FINDINGS: readonly Finding[] = Object.freeze([])

/** Defaults the composition root (`src/index.ts`) supplies, so core never imports the reporters. */
export interface CoreDefaults {
  readonly consoleReporter: () => Reporter
}

function errorOf(error: unknown, withMessage: boolean): QueryError {
  if (error === null || typeof error !== 'object') return { name: 'Error', message: withMessage ? String(error) : '' }
  const e = error as { name?: unknown; message?: unknown; code?: unknown }
  const name = typeof e.name === 'string' ? e.name : 'Error'
  // A driver's message can quote a value ('invalid input syntax for type integer: "…"').
  const message = withMessage && typeof e.message === 'string' ? e.message : ''
  return typeof e.code === 'string' ? { name, message, code: e.code } : { name, message }
}

function bareTable(name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}

function insideCapture(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (!s.kind.report) return true
  return false
}

function insideAssertion(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (s.kind.surfaces === true && !s.ended) return true
  return false
}

/**
 * The detector's machinery. Adapters reach it through `detectorCore(detector)`; users only see the
 * `Detector` facade.
 */
export class DetectorCore {
  readonly als = new AsyncLocalStorage<Scope>()
  scopesOpened = 0
  /** A pool, client or dialect was instrumented for this detector (test helpers tell "saw no queries" from "ran none"). */
  instrumented = false
  /** Scopes open right now: a query with no scope while some are open has lost its context. */
  openScopes = 0
  private counter = 0
  private readonly failedReporters = new WeakSet<object>()
  private consoleFallback: Reporter | undefined
  private readonly ignoreHits: number[]
  private readonly baseline: Baseline | undefined
  private lostWarnings = 0
  private readonly lostSites = new Set<string>()
  private readonly startedAt = Date.now()

  constructor(
    readonly options: ResolvedOptions,
    private readonly defaults: CoreDefaults,
  ) {
    this.ignoreHits = options.ignore.map(() => 0)
    this.baseline = options.baseline === undefined ? undefined : new Baseline(options.baseline)
    if (this.baseline !== undefined || (options.ignore.length > 0 && options.mode === 'warn')) {
      whenProcessEnds(this, () => this.onProcessEnd())
    }
  }

  /** The open scope a query issued now belongs to, or undefined (pass the query through). */
  activeScope(): Scope | undefined {
    if (!this.options.enabled) return undefined
    const scope = this.als.getStore()
    return scope === undefined || scope.ended || scope.kind.paused === true ? undefined : scope
  }

  /**
   * Called by an adapter for a statement issued with no open scope (`activeScope()` was
   * undefined): the query passes through, and n1guard may say once that its context looks lost.
   */
  outside(entry: Function, hint: DepthHint): void {
    if (this.openScopes > 0 && this.lostWarnings < MAX_LOST_CONTEXT_WARNINGS) this.lostContext(entry, hint)
  }

  /**
   * Called by an adapter when a statement is issued in `scope` (from `activeScope()`), in the
   * caller's async context. Returns the trace to complete with `end`, or undefined when the
   * statement cannot be recorded. `entry` is the adapter function the application called (stack
   * frames above it are n1guard's); `issuedAt` is when the application asked for it, if earlier
   * than now (a wait for a connection).
   */
  begin(
    scope: Scope,
    sql: unknown,
    params: readonly unknown[] | undefined,
    adapter: 'kysely' | 'pg',
    entry: Function,
    hint: DepthHint,
    issuedAt?: number,
  ): QueryTrace | undefined {
    if (typeof sql !== 'string') return undefined
    try {
      // A job whose span starts inside its scope: look for the trace context again at the first query.
      if (!scope.probed) {
        scope.probed = true
        probeTraceContext(scope)
      }
      const info = sqlInfo(sql)
      let site: RawSite | undefined
      let siteKey: string | undefined
      if (info.kind !== 'transaction') {
        const state = scope.aggregate.issue(info.id)
        if (++state.issued === 1) {
          // A shape's first run takes no stack unless the scope is exact (tests, warm-up, samples).
          if (scope.kind.exact) site = captureSite(entry, hint)
          siteKey = site?.key
        } else {
          if (scope.kind.exact || state.stableKey === undefined || state.issued >= state.nextSample) {
            site = captureSite(entry, hint)
            siteKey = site?.key
            if (siteKey !== undefined) this.learn(state, siteKey)
          } else {
            siteKey = state.stableKey
          }
        }
      }
      const now = performance.now()
      return new QueryTrace(this, scope, info, params, site, siteKey, adapter, issuedAt ?? now, now, this.options.captureParams)
    } catch (error) {
      internalError('recording the start of a query', error)
      return undefined
    }
  }

  // Two captures in a row from one site make it stable; the stable site is checked again after
  // 2, 4, 8 ... 64 repeats, and a different site goes back to capturing every repeat.
  private learn(state: ShapeIssue, key: string): void {
    if (key === state.stableKey) {
      state.gap = Math.min(state.gap * 2, MAX_SAMPLE_GAP)
      state.nextSample = state.issued + state.gap
    } else if (key === state.lastKey) {
      state.stableKey = key
      state.gap = 2
      state.nextSample = state.issued + 2
    } else {
      state.stableKey = undefined
    }
    state.lastKey = key
  }

  /**
   * Called by an adapter when the statement settled, before the caller sees the outcome. `rows`
   * is the result's row array, by reference (kept, bounded, to find the query that fed a loop).
   */
  end(trace: QueryTrace, rowCount: number | undefined, error?: unknown, rows?: readonly unknown[]): void {
    try {
      trace.endedAt = performance.now()
      trace.rowCount = rowCount
      trace.rows = rows
      if (error !== undefined) trace.error = errorOf(error, this.options.captureParams)
      const scope = trace.scope
      // A query still running when its scope ended (fire and forget) is not the scope's any more.
      if (scope.ended) {
        this.lateQuery(trace)
        return
      }
      scope.aggregate.add(trace)
      const site = trace.site
      if (site !== undefined) {
        const sites = (scope.sites ??= new Map())
        if (!sites.has(site.key)) sites.set(site.key, site)
      }
      if (scope.kind.keepRecords) scope.keep(trace, this.options.maxRecords)
      // Only kept records still need the rows; the aggregate holds its own bounded references.
      if (!scope.kind.keepRecords) trace.rows = undefined
    } catch (err) {
      internalError('recording the end of a query', err)
    }
  }

  private warnOnce(key: string, message: string): void {
    if (!this.options.warnOnLostContext || this.options.mode === 'silent' || this.lostSites.has(key)) return
    this.lostSites.add(key)
    this.lostWarnings++
    try {
      process.stderr.write(`${message}\n`)
    } catch {
      // nowhere to say it
    }
  }

  private lostContext(entry: Function, hint: DepthHint): void {
    if (!this.options.warnOnLostContext || this.options.mode === 'silent' || !this.options.enabled) return
    // A paused block (detector.ignore) is no lost context.
    if (this.als.getStore()?.kind.paused === true) return
    try {
      const raw = captureSite(entry, hint)
      if (raw === undefined) return
      const site = resolveSite(raw)
      const where = `${site.file}:${site.line}`
      this.warnOnce(
        `lost:${where}`,
        `n1guard: a query ran outside any scope at ${where} while ${this.openScopes} scope(s) were open. If it belongs to a request or job, ` +
          `its async context was lost (a callback API, an event emitter, a timer): wrap the work in detector.run() or bind the callback ` +
          `with AsyncResource.bind(). Queries outside scopes are not checked. (said once for this line)`,
      )
    } catch (error) {
      internalError('checking a query outside any scope', error)
    }
  }

  private lateQuery(trace: QueryTrace): void {
    if (this.lostWarnings >= MAX_LOST_CONTEXT_WARNINGS) return
    const site = trace.site === undefined ? undefined : resolveSite(trace.site)
    const where = site === undefined ? 'an unknown call site' : `${site.file}:${site.line}`
    this.warnOnce(
      `late:${where}`,
      `n1guard: a query of ${trace.scope.name ?? `scope ${trace.scope.id}`} finished after the scope ended (at ${where}): ` +
        `fire-and-forget work is not checked; await it inside the scope, or run it in its own detector.run(). (said once for this line)`,
    )
  }

  open(input: ScopeInput, kind: ScopeKind, what: string): Scope {
    let name: string | undefined
    let id: string | undefined
    let maxQueries: number | undefined
    if (typeof input === 'string') name = input
    else ({ name, id, maxQueries } = parseScopeInput(input, what))
    const parent = this.als.getStore()
    if (!kind.exact && (this.scopesOpened < WARMUP_SCOPES || this.scopesOpened % EXACT_EVERY === 0)) kind = { ...kind, exact: true }
    // Inside capture(), nested scopes (middleware served in-process) keep records for it.
    if (parent !== undefined && !parent.ended && parent.kind.keepRecords && !kind.keepRecords) {
      kind = { ...kind, keepRecords: true, exact: true }
    }
    this.scopesOpened++
    if (!kind.paused) this.openScopes++
    const scope = new Scope(
      this,
      id,
      ++this.counter,
      name,
      parent === undefined || parent.ended ? undefined : parent,
      kind,
      performance.now(),
      maxQueries,
    )
    scopeOpened(scope)
    return scope
  }

  private budgetOf(scope: Scope): number | undefined {
    if (scope.maxQueries !== undefined) return scope.maxQueries
    const budget = this.options.maxQueries
    if (typeof budget !== 'function') return budget
    try {
      const value = budget(scope.info())
      if (value === undefined) return undefined
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TypeError(`maxQueries(scope) must return an integer >= 1 or undefined, got ${describeValue(value)}`)
      }
      return value
    } catch (error) {
      internalError('computing a scope query budget (the maxQueries function threw)', error)
      return undefined
    }
  }

  /**
   * Ends a scope: findings from its aggregate, rules and baseline applied, handed up to its
   * parent. `surfaced`: the opener is about to throw them (`run` in 'throw' mode).
   */
  close(scope: Scope, surfaced = false): readonly Finding[] {
    if (scope.ended) return scope.findings
    scope.ended = true
    scope.endedAt = performance.now()
    if (!scope.kind.paused) this.openScopes--
    let own: readonly Finding[] = NO_FINDINGS
    try {
      const candidates = scope.queryCount === 0 ? [] : scope.aggregate.candidates({
        threshold: this.options.threshold,
        maxQueries: this.budgetOf(scope),
        requireMultiRowSource: this.options.requireMultiRowSource,
        minTotalDurationMs: this.options.minTotalDurationMs,
      })
      if (candidates.length > 0) {
        const info = scope.info()
        const min = SEVERITY_RANK[this.options.minSeverity]
        const found: Finding[] = []
        for (const c of candidates) {
          if (SEVERITY_RANK[c.severity] < min) continue
          const finding = this.toFinding(c, scope, info)
          if (!this.ignored(finding)) found.push(finding)
        }
        if (found.length > 0) own = found
      }
    } catch (error) {
      internalError('analyzing a scope', error)
      own = NO_FINDINGS
    }
    scope.ownFindings = own
    const all = scope.childFindings === undefined ? own : [...own, ...scope.childFindings]
    scope.findings = all
    if (hasScopeEndListeners()) {
      publishScopeEnd({
        scope: scope.info(),
        findings: own,
        queryCount: scope.queryCount,
        durationMs: scope.endedAt - scope.startedAt,
        surfaced: surfaced || !scope.kind.report || insideCapture(scope),
      })
    }
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

  private site(scope: Scope, key: string | undefined): CallSite | undefined {
    const raw = key === undefined ? undefined : scope.sites?.get(key)
    return raw === undefined ? undefined : resolveSite(raw)
  }

  private shape(scope: Scope, m: PatternMember): FindingShape {
    const callSite = this.site(scope, m.siteKey)
    const table = bareTable(m.tables[0])
    return {
      sql: m.shape,
      fingerprint: m.fingerprint,
      count: m.count,
      ...(callSite === undefined ? {} : { callSite }),
      ...(table === undefined ? {} : { table }),
    }
  }

  private source(scope: Scope, c: CandidateBase): FindingSource | undefined {
    const s = c.source
    if (s === undefined) return undefined
    const callSite = this.site(scope, s.siteKey)
    const table = bareTable(s.tables[0])
    return {
      sql: s.shape,
      fingerprint: s.fingerprint,
      ...(callSite === undefined ? {} : { callSite }),
      ...(table === undefined ? {} : { table }),
      queries: s.queries,
      rowCount: s.rowCount,
      column: s.column,
      param: s.param,
    }
  }

  private toFinding(c: Candidate, scope: Scope, info: ScopeInfo): Finding {
    const callSite = this.site(scope, c.siteKey)
    const where = callSite === undefined ? '' : `${callSite.file}:${callSite.function ?? callSite.line}`
    const table = bareTable(c.tables[0])
    const source = this.source(scope, c)
    let finding: Finding = {
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
      ...(table === undefined ? {} : { table }),
      hint: c.hint,
      severity: c.severity,
      proven: source !== undefined,
      ...(source === undefined ? {} : { source }),
      ...(c.pattern === undefined ? {} : { pattern: c.pattern.map((m) => this.shape(scope, m)) }),
      ...(c.budget === undefined ? {} : { budget: c.budget }),
      ...(c.topShapes === undefined ? {} : { topShapes: c.topShapes.map((m) => this.shape(scope, m)) }),
    }
    if (c.sampleParams !== undefined) finding = { ...finding, sampleParams: c.sampleParams }
    if (this.baseline?.check(finding) === true) finding = { ...finding, baselined: true }
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
    let hit = false
    rules.forEach((rule, i) => {
      try {
        if (matchesIgnoreRule(rule, subject)) {
          this.ignoreHits[i] = (this.ignoreHits[i] ?? 0) + 1
          hit = true
        }
      } catch (error) {
        internalError('evaluating an ignore rule', error)
      }
    })
    return hit
  }

  /** Ignore rules that have not silenced a single finding so far. */
  staleIgnoreRules(): IgnoreRule[] {
    return this.options.ignore.filter((_, i) => this.ignoreHits[i] === 0)
  }

  /** Baseline entries no finding of this process matched (empty without a baseline). */
  staleBaselineEntries(): ReturnType<Baseline['stale']> {
    return this.baseline?.stale() ?? []
  }

  private onProcessEnd(): void {
    const lines: string[] = []
    if (this.baseline?.updating === true) {
      try {
        const { added, removed, total } = this.baseline.write(this.startedAt)
        lines.push(`n1guard: baseline ${this.baseline.path} written: ${total} known findings (${added} new, ${removed} no longer found).`)
      } catch (error) {
        internalError('writing the baseline file', error)
      }
    } else if (this.baseline !== undefined && this.scopesOpened > 0) {
      const stale = this.baseline.stale()
      if (stale.length > 0) {
        lines.push(
          `n1guard: ${stale.length} baseline entr${stale.length === 1 ? 'y was' : 'ies were'} not found in this process (fixed, or not exercised); ` +
            `rerun with N1GUARD_UPDATE_BASELINE=1 to drop fixed ones from ${this.baseline.path}.`,
        )
      }
    }
    if (this.options.mode === 'warn' && this.scopesOpened > 0) {
      const stale = this.staleIgnoreRules()
      if (stale.length > 0) {
        lines.push(
          `n1guard: ignore rule${stale.length === 1 ? '' : 's'} that never matched a finding in this process: ` +
            `${stale.map((r) => (r instanceof RegExp ? String(r) : describeValue(r))).join(', ')}; remove or fix ${stale.length === 1 ? 'it' : 'them'}.`,
        )
      }
    }
    if (lines.length > 0) {
      try {
        process.stderr.write(`${lines.join('\n')}\n`)
      } catch {
        // stderr closed at exit
      }
    }
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
    // A scope inside an assertion (a request served in-process during assertNoNPlusOne) hands its
    // N+1s to the assertion, which rejects with them: one finding, one report.
    const surfaced = throwing || insideAssertion(scope)
    const findings = surfaced ? scope.ownFindings.filter((f) => !failsOn(f)) : scope.ownFindings
    const reporters = this.reportersFor(scope, surfaced)
    if (reporters.length === 0) return
    const report = new LazyScopeReport(scope, findings)
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

// What reporters get: built on demand, since most scopes end with nothing to report and most
// reporters return at once when `findings` is empty.
class LazyScopeReport implements ScopeReport {
  private info: ScopeInfo | undefined
  readonly queryCount: number
  readonly durationMs: number
  constructor(
    private readonly owner: Scope,
    readonly findings: readonly Finding[],
  ) {
    this.queryCount = owner.queryCount
    this.durationMs = owner.endedAt - owner.startedAt
  }
  get scope(): ScopeInfo {
    return (this.info ??= this.owner.info())
  }
  /** What the trace-context provider (n1guard/otel) captured for the scope, if anything. */
  get traceContext(): unknown {
    return this.owner.traceContext
  }
  toJSON(): ScopeReport {
    return { scope: this.scope, findings: this.findings, queryCount: this.queryCount, durationMs: this.durationMs, ...traceContextOf(this.owner) }
  }
}

/** The findings that fail a test or reject `run` in 'throw' mode: new (not baselined) N+1s. */
export function failsOn(f: Finding): boolean {
  return f.kind === 'n-plus-one' && f.baselined !== true
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

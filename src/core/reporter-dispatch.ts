import { whenProcessEnds } from './exit.js'
import { failsOn } from './fails-on.js'
import { internalError } from './internal-error.js'
import type { ResolvedOptions } from './options.js'
import type { Scope } from './scope.js'
import { traceContextOf } from './trace-context.js'
import type { Finding, Reporter, ScopeInfo, ScopeReport } from './types.js'

/**
 * Hands a closed scope's own findings to the detector's reporters (the console reporter when none
 * were given). A reporter that fails in any way (throws, anything at all; returns a promise that
 * rejects, or a thenable whose `then` throws) is caught and said once; later errors of it are not
 * shown. A promise a reporter returns is never awaited (the scope's opener does not wait for it),
 * and one that has not settled when the process exits is said then, once per reporter. Reporters
 * get the report and its findings deep-frozen: none can change what another one, the scope's
 * opener or an enclosing scope sees.
 *
 * @example
 * dispatch.report(scope, false)
 */
export class ReporterDispatch {
  private readonly failed = new WeakSet<object>()
  private consoleFallback: Reporter | undefined
  /** Promises returned by reporters and not settled yet, per reporter (made on the first one). */
  private pending: Map<Reporter, number> | undefined

  /** `consoleReporter`: supplied by the composition root, so core never imports the reporters. */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly consoleReporter: () => Reporter,
  ) {}

  /**
   * Reports `scope`'s own findings (nested scopes report their own). `throwing`: the opener
   * rejects with the failing findings instead, so only the others are reported.
   */
  report(scope: Scope, throwing: boolean): void {
    // A scope inside an assertion (a request served in-process during assertNoNPlusOne) hands its
    // N+1s to the assertion, which rejects with them: one finding, one report.
    // The built-in console warning says nothing of a clean scope: no report object to build.
    if (this.options.reporters === undefined && scope.ownFindings.length === 0 && scope.untrackedQueries === 0) return
    const surfaced = throwing || insideAssertion(scope)
    const reporters = this.reportersFor(scope, surfaced)
    if (reporters.length === 0) return
    const findings = freezeFindings(surfaced ? scope.ownFindings.filter((f) => !failsOn(f)) : scope.ownFindings)
    const report = new LazyScopeReport(scope, findings)
    // Frozen when reporters share it, so one cannot change what the next sees. A report only one
    // reporter gets is its own (its findings are frozen all the same): freezing an object costs a
    // map transition in V8's runtime, about 0.5 µs a scope on a server.
    if (reporters.length > 1) Object.freeze(report)
    for (let i = 0; i < reporters.length; i++) this.call(reporters[i]!, report)
  }

  private call(reporter: Reporter, report: ScopeReport): void {
    let returned: unknown
    try {
      returned = typeof reporter === 'function' ? reporter(report) : reporter.report(report)
    } catch (error) {
      this.fail(reporter, 'it threw', error)
      return
    }
    if (returned === null || (typeof returned !== 'object' && typeof returned !== 'function')) return
    // An async reporter: its rejection is handled here, or it would be an unhandled rejection
    // (which ends a Node process by default).
    try {
      if (typeof (returned as { then?: unknown }).then !== 'function') return
      this.settle(reporter, +1)
      Promise.resolve(returned as PromiseLike<unknown>).then(
        () => this.settle(reporter, -1),
        (error: unknown) => {
          this.settle(reporter, -1)
          this.fail(reporter, 'its promise rejected', error)
        },
      )
    } catch (error) {
      this.fail(reporter, 'its result could not be read', error)
    }
  }

  private fail(reporter: Reporter, how: string, error: unknown): void {
    if (this.failed.has(reporter)) return
    this.failed.add(reporter)
    internalError(`running reporter ${nameOf(reporter)} (${how}; its later errors are not shown)`, error)
  }

  private settle(reporter: Reporter, delta: number): void {
    if (this.pending === undefined) {
      this.pending = new Map()
      whenProcessEnds(this, () => this.sayUnsettled())
    }
    this.pending.set(reporter, (this.pending.get(reporter) ?? 0) + delta)
  }

  private sayUnsettled(): void {
    for (const [reporter, count] of this.pending ?? []) {
      if (count <= 0 || this.failed.has(reporter)) continue
      this.failed.add(reporter)
      internalError(
        `running reporter ${nameOf(reporter)} (promises it returned never settled)`,
        `${count} promise${count === 1 ? '' : 's'} still pending when the process exited`,
      )
    }
  }

  private reportersFor(scope: Scope, throwing: boolean): readonly Reporter[] {
    const { mode, reporters } = this.options
    if (mode === 'silent' || !scope.kind.report) return []
    if (reporters !== undefined) return reporters
    // In 'throw' mode the rejection is the report; findings that cannot be thrown still get said.
    if (mode === 'throw' && throwing) return []
    this.consoleFallback ??= this.consoleReporter()
    return [this.consoleFallback]
  }
}

function nameOf(reporter: Reporter): string {
  try {
    const name = typeof reporter === 'function' ? reporter.name : reporter.constructor?.name
    return typeof name === 'string' && name !== '' ? name : '(anonymous)'
  } catch {
    return '(anonymous)'
  }
}

// Findings are n1guard's own plain objects and arrays, frozen once, when first reported (the
// findings of an enclosing scope and of the opener are the same objects). Parameter values in
// `sampleParams` are the application's: their arrays (n1guard's copies) are frozen, never the
// values. Anything not a plain object or array is left alone.
function freezeData(value: unknown, depth: number): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return
  Object.freeze(value)
  if (depth === 0) return
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key]
    if (key === 'sampleParams' && Array.isArray(child)) {
      for (const set of child) if (Array.isArray(set)) Object.freeze(set)
      Object.freeze(child)
    } else {
      freezeData(child, depth - 1)
    }
  }
}

function freezeFindings(findings: readonly Finding[]): readonly Finding[] {
  if (findings.length === 0) return findings
  // Finding > pattern > member > callSite is the deepest n1guard nests.
  for (const f of findings) freezeData(f, 3)
  return Object.freeze(findings.slice())
}

function insideAssertion(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (s.kind.surfaces === true && !s.ended) return true
  return false
}

// What reporters get: built on demand, since most scopes end with nothing to report and most
// reporters return at once when `findings` is empty.
// Frozen by the dispatcher when several reporters share it; the lazily made scope info lives in a
// private field, which freezing does not touch.
class LazyScopeReport implements ScopeReport {
  #info: ScopeInfo | undefined
  readonly #owner: Scope
  readonly findings: readonly Finding[]
  readonly queryCount: number
  readonly durationMs: number
  declare readonly untrackedQueries?: number
  constructor(owner: Scope, findings: readonly Finding[]) {
    this.#owner = owner
    this.findings = findings
    this.queryCount = owner.queryCount
    this.durationMs = owner.endedAt - owner.startedAt
    const untracked = owner.untrackedQueries
    if (untracked > 0) (this as { untrackedQueries?: number }).untrackedQueries = untracked
  }
  get scope(): ScopeInfo {
    return (this.#info ??= Object.freeze(this.#owner.info()))
  }
  /** What the trace-context provider (n1guard/otel) captured for the scope, if anything. */
  get traceContext(): unknown {
    return this.#owner.traceContext
  }
  toJSON(): ScopeReport {
    return {
      scope: this.scope,
      findings: this.findings,
      queryCount: this.queryCount,
      durationMs: this.durationMs,
      ...(this.untrackedQueries === undefined ? {} : { untrackedQueries: this.untrackedQueries }),
      ...traceContextOf(this.#owner),
    }
  }
}

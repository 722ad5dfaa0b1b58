import { failsOn } from './fails-on.js'
import { internalError } from './internal-error.js'
import type { ResolvedOptions } from './options.js'
import type { Scope } from './scope.js'
import { traceContextOf } from './trace-context.js'
import type { Finding, Reporter, ScopeInfo, ScopeReport } from './types.js'

/**
 * Hands a closed scope's own findings to the detector's reporters (the console reporter when none
 * were given). A reporter that throws is caught and said once; later errors of it are not shown.
 *
 * @example
 * dispatch.report(scope, false)
 */
export class ReporterDispatch {
  private readonly failed = new WeakSet<object>()
  private consoleFallback: Reporter | undefined

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
    const surfaced = throwing || insideAssertion(scope)
    const reporters = this.reportersFor(scope, surfaced)
    if (reporters.length === 0) return
    const findings = surfaced ? scope.ownFindings.filter((f) => !failsOn(f)) : scope.ownFindings
    const report = new LazyScopeReport(scope, findings)
    for (const reporter of reporters) {
      try {
        if (typeof reporter === 'function') reporter(report)
        else reporter.report(report)
      } catch (error) {
        if (this.failed.has(reporter)) continue
        this.failed.add(reporter)
        const name = typeof reporter === 'function' ? reporter.name : reporter.constructor?.name
        internalError(`running reporter ${name || '(anonymous)'} (it threw; its later errors are not shown)`, error)
      }
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

function insideAssertion(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (s.kind.surfaces === true && !s.ended) return true
  return false
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

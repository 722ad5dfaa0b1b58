import type { DepthHint } from '../callsite/capture-site.js'
import type { AdvisorFactory, AdvisorPort } from './advisor-port.js'
import { ContextDiagnostics } from './context-diagnostics.js'
import { FindingBuilder } from './finding-builder.js'
import type { ResolvedOptions } from './options.js'
import { QueryRecorder } from './query-recorder.js'
import { ReporterDispatch } from './reporter-dispatch.js'
import { ScopeTracker } from './scope-tracker.js'
import { Suppressions } from './suppressions.js'
import type { Reporter } from './types.js'

/** Defaults the composition root (`src/index.ts`) supplies, so core never imports the reporters. */
export interface CoreDefaults {
  readonly consoleReporter: () => Reporter
  /** Makes the query advisor (src/advisor/) when the options turn it on. */
  readonly advisor?: AdvisorFactory
}

/**
 * The machinery behind one detector, wired together: the scope tracker (scopes and `endScope`),
 * the query recorder (with its site sampler), the finding builder, suppressions, reporter dispatch
 * and context diagnostics. Adapters never see it: they go through a `CapturePort`; users see the
 * `Detector` facade.
 *
 * @example
 * const core = new DetectorCore(resolveOptions({}), { consoleReporter })
 */
export class DetectorCore {
  readonly tracker: ScopeTracker
  readonly recorder: QueryRecorder
  readonly suppressions: Suppressions
  private readonly diagnostics: ContextDiagnostics
  /** A pool, client or dialect was instrumented for this detector (test helpers tell "saw no queries" from "ran none"). */
  instrumented = false
  /** The query advisor; undefined when it is off, so a query pays one field read for it. */
  readonly advisor: AdvisorPort | undefined

  constructor(
    readonly options: ResolvedOptions,
    defaults: CoreDefaults,
  ) {
    this.advisor = options.advisor === undefined ? undefined : defaults.advisor?.(options.advisor)
    this.diagnostics = new ContextDiagnostics(options)
    this.recorder = new QueryRecorder(options, this.diagnostics, this.advisor)
    const suppressions = (this.suppressions = new Suppressions(options, () => this.tracker.scopesOpened))
    const builder = new FindingBuilder(options, suppressions, this.advisor)
    const dispatch = new ReporterDispatch(options, defaults.consoleReporter)
    this.tracker = new ScopeTracker(options.enabled, {
      build: (scope) => builder.build(scope),
      report: (scope, throwing) => dispatch.report(scope, throwing),
    })
  }

  /** A statement was issued with no open scope: n1guard may say once that its context looks lost. */
  outside(entry: Function, hint: DepthHint, sql?: unknown): void {
    // DDL outside any scope still refreshes the advisor's catalog cache.
    if (this.advisor !== undefined && sql !== undefined) this.advisor.outside(sql)
    if (this.tracker.openScopes > 0) this.diagnostics.outside(entry, hint, this.tracker)
  }
}

/**
 * n1guard: find N+1 queries in Node.js back ends built on Kysely and node-postgres.
 *
 * @example
 * import { createDetector } from 'n1guard'
 * import { instrumentDialect } from 'n1guard/kysely'
 * const detector = createDetector()
 * const db = new Kysely<DB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
 * await detector.run('GET /people', () => listPeopleWithPets(db))
 * @module n1guard
 */
import { Advisor } from './advisor/advisor.js'
import { emitPoolEvent } from './core/pool-events.js'
import { createDetectorWith, type Detector } from './core/detector.js'
import type { DetectorOptions } from './core/options.js'
import { consoleReporter } from './report/console-reporter.js'

/**
 * Creates a detector. Hand it to `instrumentDialect` / `instrumentPool` and open scopes with
 * `detector.run`, the framework middleware or the test helpers. Bad options throw a `TypeError`
 * that names the bad value.
 *
 * @example
 * const detector = createDetector({ threshold: 2, mode: 'warn' })
 * await detector.run({ name: 'GET /users/:id' }, async () => { ... })
 * const report = await detector.capture(async () => { ... }) // { result, queries, findings }
 * await detector.assertNoNPlusOne(async () => { ... })      // rejects with NPlusOneError
 */
export function createDetector(options?: DetectorOptions): Detector {
  return createDetectorWith(options, { consoleReporter: () => consoleReporter(), advisor: (settings) => new Advisor(settings, emitPoolEvent) })
}

export type { BaselineEntry } from './core/baseline.js'
export type { CaptureReport, Detector, ScopeHandle } from './core/detector.js'
export { explainResolver, explainSource } from './core/explain.js'
export { NPlusOneError } from './core/errors.js'
export { onScopeEnd, type ScopeEndEvent } from './core/hub.js'
export { onScopeStart, type ScopeStartEvent } from './core/scope-start.js'
export { liveDetectors } from './core/registry.js'
export type { AdvisorDatabase, AdvisorOptions, UnindexedForeignKey } from './core/advisor-options.js'
export type { DetectorMode, DetectorOptions, IgnoreRule, IgnoreSubject, SqlcommenterOptions } from './core/options.js'
export type {
  CallSite,
  Finding,
  FindingKind,
  FindingResolver,
  FindingResolverLink,
  FindingShape,
  FindingSource,
  IndexAdvice,
  QueryError,
  QueryRecord,
  Reporter,
  ScopeInfo,
  ScopeInput,
  JobScopeInput,
  ScopeReport,
  Severity,
  StatementKindName,
} from './core/types.js'
export { fingerprint, type Fingerprint } from './fingerprint/index.js'
export { consoleReporter, type ConsoleReporterOptions } from './report/console-reporter.js'
export { formatFinding } from './report/format-finding.js'
export { findingLogEntry, jsonReporter, type JsonField, type JsonReporterOptions } from './report/json-reporter.js'

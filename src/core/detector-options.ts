import type { AdvisorOptions, ResolvedAdvisorOptions } from './advisor-options.js'
import type { CallSite, Finding, Reporter, ScopeInfo, Severity } from './types.js'

/** What the detector does when a scope ends with findings. */
export type DetectorMode = 'warn' | 'throw' | 'silent'

/** What an ignore rule is shown: the finding about to be reported. */
export interface IgnoreSubject {
  readonly sql: string
  readonly fingerprint: string
  readonly table?: string
  readonly callSite?: CallSite
  readonly kind: Finding['kind']
}

/**
 * A rule that silences findings:
 * - a string: the SQL shape contains it (case-insensitive), e.g. `'from "audit_log"'`;
 * - a RegExp: tested against the SQL shape;
 * - an object: every field given must match (`table` exactly, case-insensitive; `file` as a
 *   substring of the call site path or a RegExp; `function` exactly or a RegExp; `sql` as above);
 * - a function: return true to ignore.
 *
 * @example
 * createDetector({ ignore: [/pg_catalog/, { table: 'feature_flag' }, { file: 'src/legacy/' }] })
 */
export type IgnoreRule =
  | string
  | RegExp
  | {
      readonly sql?: string | RegExp
      readonly table?: string
      readonly file?: string | RegExp
      readonly function?: string | RegExp
    }
  | ((subject: IgnoreSubject) => boolean)

/**
 * Options of `createDetector`. Every option is checked when given: a bad value throws a
 * `TypeError` that names it.
 *
 * @example
 * const detector = createDetector({ threshold: 3, mode: process.env.CI ? 'throw' : 'warn' })
 */
export interface DetectorOptions {
  /**
   * Executions of one SQL shape from one call site in one scope, with at least two distinct
   * parameter sets, that make an N+1 (an integer, at least 2).
   * @default 2
   */
  readonly threshold?: number
  /**
   * `'warn'`: reporters run when a scope ends; `'throw'`: `run` rejects with `NPlusOneError` when
   * its scope has an N+1; `'silent'`: record only (read findings from `capture`).
   * @default 'warn'
   */
  readonly mode?: DetectorMode
  /**
   * Where findings go when a scope ends. Replaces the default, which is a console warning in
   * `'warn'` mode (and for scopes that cannot throw, such as middleware, in `'throw'` mode).
   * @default [consoleReporter()]
   */
  readonly reporters?: readonly Reporter[]
  /** Findings to leave out. @default [] */
  readonly ignore?: readonly IgnoreRule[]
  /**
   * Keep parameter values on records and findings. Off by default so values (personal data,
   * secrets) never leave the process; inlined literals in SQL shapes stay masked even when on.
   * @default false
   */
  readonly captureParams?: boolean
  /**
   * Query records kept per scope for `capture()`; counts and findings stay exact past the cap and
   * the scope notes how many records it dropped.
   * @default 10000
   */
  readonly maxRecords?: number
  /**
   * Turn detection off without removing the instrumentation: queries pass straight through.
   * @default true
   */
  readonly enabled?: boolean
  /**
   * A query budget: a scope that runs more queries (transaction control aside) gets a
   * `query-budget` finding listing the shapes that ran most. A number for every scope, or a
   * function of the scope (return undefined for no budget); `run({ name, maxQueries })` overrides.
   * @default undefined (no budget)
   * @example maxQueries: (scope) => (scope.name?.startsWith('GET /reports') ? 500 : 50)
   */
  readonly maxQueries?: number | ((scope: ScopeInfo) => number | undefined)
  /**
   * Report an N+1 only when n1guard proved that an earlier result of two rows or more fed it
   * (as Bullet and Laravel's lazy-loading guard do): fewer findings, no false alarms.
   * @default false
   */
  readonly requireMultiRowSource?: boolean
  /**
   * Leave out findings whose executions took less than this many milliseconds in total: in
   * production, warn only about loops that cost something.
   * @default 0
   */
  readonly minTotalDurationMs?: number
  /**
   * Leave out findings below this severity (`'low'` keeps everything; see `Severity`).
   * @default 'low'
   */
  readonly minSeverity?: Severity
  /**
   * Path of a baseline file that lists known findings (by shape, file and function, not line), for
   * adopting n1guard on an existing codebase: known findings still warn but never fail
   * (`assertNoNPlusOne`, `'throw'` mode); new ones do. Run once with `N1GUARD_UPDATE_BASELINE=1`
   * to write it from what the process finds.
   * @default undefined
   */
  readonly baseline?: string
  /**
   * Warn (once per call site, a few at most) when a query runs with no scope while scopes are open
   * in the process, or after its scope ended: the sign of lost async context (a callback API, an
   * event emitter, a timer) or of fire-and-forget work. Off in `'silent'` mode.
   * @default true
   */
  readonly warnOnLostContext?: boolean
  /**
   * Tag every statement run inside a scope with a sqlcommenter comment
   * (`/*n1guard_scope='…',route='GET%20%2Fusers%2F%3Aid',traceparent='00-…'*\/`), so PostgreSQL's
   * logs and `pg_stat_activity` show which request ran it. `true` adds every key; an object picks
   * them. Named prepared statements and statements that already hold a comment are left alone, and
   * fingerprints never change (comments are not part of a shape).
   * @default false
   */
  readonly sqlcommenter?: boolean | SqlcommenterOptions
  /**
   * The query advisor: `missing-index`, `deep-offset` and `unbounded-select` findings (see
   * docs/advisor.md). `false` turns it off (no per-query work at all); an object sets each rule.
   * @default true
   * @example advisor: { deepOffset: 5000, database: pool }
   */
  readonly advisor?: boolean | AdvisorOptions
}

/**
 * Which keys `sqlcommenter` adds. `traceparent` needs a registered trace context (`n1guard/otel`'s
 * `otelReporter()` or `enableTraceContext()`) and an active span.
 *
 * @example
 * createDetector({ sqlcommenter: { route: true, scopeId: false } })
 */
export interface SqlcommenterOptions {
  /** Add `route`: the scope's name, e.g. `GET /users/:id`. @default true */
  readonly route?: boolean
  /** Add `n1guard_scope`: the scope's id (the request id when the middleware was given one). @default true */
  readonly scopeId?: boolean
  /** Add `traceparent` of the active OpenTelemetry span when there is one. @default true */
  readonly traceparent?: boolean
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly threshold: number
  readonly mode: DetectorMode
  readonly reporters: readonly Reporter[] | undefined
  readonly ignore: readonly IgnoreRule[]
  readonly captureParams: boolean
  readonly maxRecords: number
  readonly enabled: boolean
  readonly maxQueries: number | ((scope: ScopeInfo) => number | undefined) | undefined
  readonly requireMultiRowSource: boolean
  readonly minTotalDurationMs: number
  readonly minSeverity: Severity
  readonly baseline: string | undefined
  readonly warnOnLostContext: boolean
  /** Undefined when statements are not tagged. */
  readonly sqlcommenter: Required<SqlcommenterOptions> | undefined
  /** Undefined when every advisor rule is off. */
  readonly advisor: ResolvedAdvisorOptions | undefined
}

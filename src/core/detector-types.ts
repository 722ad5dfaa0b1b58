import type { AdvisorDatabase, UnindexedForeignKey } from './advisor-options.js'
import type { BaselineEntry } from './baseline.js'
import type { IgnoreRule, ResolvedOptions } from './options.js'
import type { Finding, JobScopeInput, QueryRecord, ScopeInfo, ScopeInput } from './types.js'

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
  /**
   * Waits for the query advisor's catalog lookups and EXPLAINs for this scope's repeated queries,
   * so that `end()` can report a missing index on the first run (test hooks call it before `end`).
   * Never rejects.
   *
   * @example
   * afterEach(async () => { await scope.settle(); scope.end() })
   */
  settle(): Promise<void>
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
   * worker.process(detector.wrapJob((job) => ({ name: `job ${job.name}`, id: job.id }), handleJob)) // id: string or number
   */
  wrapJob<F extends (...args: any[]) => unknown>(
    name: ScopeInput | ((...args: Parameters<F>) => JobScopeInput),
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
  /**
   * Lists the foreign keys of the schemas on the search path that no index leads with, each with
   * the `create index concurrently` statement that fixes it. Reads the catalog on a client of its
   * own made from the pool's `Client` and `options` (never one of the pool's connections). Without
   * `pool`, uses the one the detector knows (`instrumentPool`, `advisor.database`).
   *
   * @example
   * for (const fk of await detector.checkSchema(pool)) console.log(fk.createIndex)
   * // create index concurrently pet_owner_id_idx on pet (owner_id);
   */
  checkSchema(pool?: AdvisorDatabase): Promise<UnindexedForeignKey[]>
}

import type { AnalyzedQuery, OrmName } from '../analyze/index.js'
import type { RawSite } from '../callsite/capture-site.js'
import { literalValues, type ColumnFilter, type SqlInfo, type StatementKind } from '../fingerprint/index.js'
import { paramKey } from '../analyze/index.js'
import { currentAnnotation, type QueryAnnotation } from './query-annotation.js'
import type { QueryError } from './types.js'

/**
 * What a trace knows of its scope. `Scope` satisfies it; a trace is typed by its scope (`QueryTrace<Scope>`
 * in the recorder) so that scope.ts and query-trace.ts need not import each other.
 */
export interface TraceScope {
  readonly id: string
  readonly name: string | undefined
  readonly ended: boolean
}

/**
 * Where a trace goes back to when it settles: the query recorder that began it. An interface here,
 * not the recorder's class, so a trace never imports the detector's machinery (no import circle),
 * and a trace begun by one copy of n1guard can be finished by another's adapter.
 */
export interface TraceSink {
  end(trace: QueryTrace<any>, rowCount: number | undefined, error?: unknown, rows?: readonly unknown[], columns?: readonly string[]): void
  /** The statement text with the scope's sqlcommenter tag, or `sql` unchanged. */
  tag(sql: string, trace: QueryTrace<any>): string
}

/**
 * One statement in flight inside a scope: created when the query is issued, completed when it
 * settles. It is both the detector's record and the analyzer's input, so a query costs a single
 * allocation.
 */
export class QueryTrace<S extends TraceScope = TraceScope> implements AnalyzedQuery {
  readonly siteKey: string | undefined
  /** The hash of the bound values: taken at issue for a shape's repeats, on first use for its first run. */
  private key: number | undefined
  /** When the statement went to the database; `endedAt - startedAt` is its duration. */
  startedAt: number
  endedAt = 0
  rowCount: number | undefined = undefined
  error: QueryError | undefined = undefined
  /** Parameter values, kept only with `captureParams`. */
  readonly params: readonly unknown[] | undefined
  /** The bound values, by reference: sampled once the shape repeats, to find what fed a loop. */
  private readonly bound: readonly unknown[] | undefined
  private inlined: readonly unknown[] | undefined = undefined
  /** The result rows, by reference, until the scope's aggregate has taken what it keeps. */
  rows: readonly unknown[] | undefined = undefined
  /** Column names of array rows (`rowMode: 'array'`). */
  columns: readonly string[] | undefined = undefined
  /** The ORM whose pool issued it (set by the pg adapter for pools an ORM helper instrumented). */
  orm: OrmName | undefined = undefined
  /** What an integration said about where the query ran (see `query-annotation.ts`), read when it began. */
  readonly annotation: QueryAnnotation | undefined = currentAnnotation()
  /**
   * The SQL text as sent, kept only with `captureParams` in scopes that keep records (every scope
   * while n1guard/panel records), for its EXPLAIN. Declared, not initialised: other traces carry no
   * extra field.
   */
  declare text: string | undefined

  constructor(
    /** The recorder that began it, which the capture port's `finish` hands it back to. */
    readonly sink: TraceSink,
    readonly scope: S,
    /** The statement's fingerprint; its shape, tables and filters are read only when needed. */
    readonly info: SqlInfo,
    params: readonly unknown[] | undefined,
    /** The captured frame, when a stack was taken for this query. */
    readonly site: RawSite | undefined,
    /** The call site: the captured one, or the stable site of a sampled repeat. */
    siteKey: string | undefined,
    readonly adapter: 'kysely' | 'pg',
    /** When the application asked for the query (before any wait for a pooled connection). */
    readonly issuedAt: number,
    startedAt: number,
    keepParams: boolean,
    /** The SQL text as sent, by reference: its inlined values are read only when the shape repeats. */
    private readonly sent = '',
    /** Hash the bound values now (the shape ran before in this scope). */
    hashNow = true,
  ) {
    this.startedAt = startedAt
    this.siteKey = siteKey
    // Hashed now, as sent: the caller may reuse the array once the query is on its way.
    // A shape's first run in a scope is usually its only one: its values are hashed only if
    // another run of the shape asks (its parameters are kept by reference until then anyway).
    this.key = hashNow ? paramKey(params, info.literalKey) : undefined
    this.params = keepParams && params !== undefined ? [...params] : undefined
    this.bound = params
  }

  /**
   * The values the statement was run with: its bound parameters, or, for SQL that inlines its
   * values (Sequelize, MikroORM), the literals of its text, read only when asked (a shape repeats).
   */
  get values(): readonly unknown[] | undefined {
    const bound = this.bound
    if ((bound !== undefined && bound.length > 0) || this.info.literalKey === 0) return bound
    return (this.inlined ??= literalValues(this.sent))
  }

  /** How many bound values it was sent with (what holding it back keeps alive). */
  get boundCount(): number {
    return this.bound === undefined ? 0 : this.bound.length
  }

  /** A hash of the values it ran with (`values`): equal for equal parameter sets. */
  get paramKey(): number {
    return (this.key ??= paramKey(this.bound, this.info.literalKey))
  }

  get fingerprint(): string {
    return this.info.id
  }
  get shape(): string {
    return this.info.shape
  }
  get kind(): StatementKind {
    return this.info.kind
  }
  get tables(): readonly string[] {
    return this.info.tables
  }
  get filters(): readonly ColumnFilter[] {
    return this.info.filters
  }
  get housekeeping(): boolean {
    return this.info.housekeeping
  }

  /** Times the statement from `now`: it was issued earlier but waited (for a pooled connection). */
  restartClock(now: number): void {
    this.startedAt = now
  }
}

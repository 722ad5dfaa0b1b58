import type { Candidate, CandidateBase, IndexAdvice } from '../analyze/index.js'
import type { ColumnFilter, SqlInfo } from '../fingerprint/index.js'
import { createIndexStatement, explainPlan, scanOf, tableFacts, unindexedForeignKeys, type ForeignKeyGap, type TableFacts } from './catalog.js'
import { deepOffsetHint, missingIndexHint, unboundedSelectHint } from './hints.js'
import { statementNames, type StatementNames } from './join-columns.js'
import { isPoolSource, OwnConnection, type AnnounceClient, type PoolSource } from './own-connection.js'
import { knownLimits, offsetOf, statementLimits } from './statement-limits.js'

/** The advisor's options (see `AdvisorOptions` in core for what each one means). */
export interface AdvisorSettings {
  readonly missingIndex: number | false
  readonly deepOffset: number | false
  readonly unboundedSelect: number | false
  readonly catalog: boolean | 'auto'
  readonly explain: boolean | 'auto'
  readonly database: unknown
}

/** What the advisor reads of a query. */
interface Query {
  readonly info: SqlInfo
  readonly siteKey: string | undefined
  readonly adapter: 'kysely' | 'pg'
  readonly startedAt: number
  readonly endedAt: number
  readonly rowCount: number | undefined
}

// A repeated shape that filters on columns: the missing-index candidate.
interface ShapeNote {
  readonly info: SqlInfo
  readonly sql: string
  /** One execution's values, for EXPLAIN on servers before 16 only (never printed or reported). */
  values: readonly unknown[] | undefined
  readonly siteKey: string | undefined
  readonly adapter: 'kysely' | 'pg'
  readonly firstSeen: number
  count: number
  /** Its aliases and column-to-column equalities, read from the text when first needed. */
  names?: StatementNames
}

// Executions of one (shape, call site) that a rule picked out: deep OFFSETs, wide results.
interface Picked {
  readonly info: SqlInfo
  readonly siteKey: string | undefined
  readonly adapter: 'kysely' | 'pg'
  readonly firstSeen: number
  count: number
  totalDurationMs: number
  maxRows: number
}

// A scope as the advisor keeps notes on it (AdvisedScope's slot).
interface NotedScope {
  advisorNotes: unknown
}

class ScopeNotes {
  seen = 0
  shapes: Map<string, ShapeNote> | undefined
  /** The note last looked up: a loop repeats one shape, which then costs no Map lookup. */
  lastShape: ShapeNote | undefined
  offsets: Map<string, Picked> | undefined
  wide: Map<string, Picked> | undefined
}

// Memory per scope stays flat however many statements it runs.
const MAX_SHAPES = 256
const MAX_PICKED = 64
const MAX_VALUES = 100
const INDEXABLE = new Set(['=', 'in', 'any', '<', '<=', '>', '>=', 'between', 'is'])
const DDL = /^\s*(?:create|alter|drop|reindex|comment)\b/i

// What the advisor said on stderr, once per process however many detectors there are.
const said = new Set<string>()

// EXPLAIN's JSON output for a shape, or 'failed' when EXPLAIN could not take it.
type Plan = { readonly plan: unknown } | 'failed'

function bare(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1).replace(/"/g, '')
}

function textOf(sql: unknown): string | undefined {
  if (typeof sql === 'string') return sql
  if (sql !== null && typeof sql === 'object' && typeof (sql as { text?: unknown }).text === 'string') return (sql as { text: string }).text
  return undefined
}

/**
 * The query advisor: finds `missing-index`, `deep-offset` and `unbounded-select` from what a scope
 * ran and what the catalog says. Catalog reads and EXPLAIN run on a client of its own, never in a
 * scope, and a failure in them is said once and then left alone. See docs/advisor.md.
 *
 * @example
 * const advisor = new Advisor({ missingIndex: 2, deepOffset: 1000, unboundedSelect: 1000, catalog: 'auto', explain: 'auto', database: pool })
 */
export class Advisor {
  private connection: OwnConnection | undefined
  private readonly facts = new Map<string, TableFacts | undefined>()
  private readonly factsPending = new Map<string, Promise<void>>()
  private readonly plans = new Map<string, Plan>()
  private readonly plansPending = new Map<string, Promise<void>>()
  /** Bumped by DDL: lookups started before it do not fill the cache. */
  private generation = 0
  private databaseFailed = false
  /** NODE_ENV said development or test when the detector was made. */
  private readonly envOn = process.env.NODE_ENV === 'development' || process.env.NODE_ENV === 'test'
  // Two rules' thresholds, read for every statement: kept on the advisor itself, so a statement
  // does not reach the settings object too after its round trip.
  private readonly deepOffset: number | false
  private readonly missingIndex: number | false
  /** The unbounded-select limit; Infinity when that rule is off (see AdvisorPort.wideRows). */
  readonly wideRows: number

  constructor(
    readonly settings: AdvisorSettings,
    /** Sets up the advisor's own clients as the pool sets up its own (its `connect` listeners). */
    private readonly announce: AnnounceClient | undefined = undefined,
  ) {
    this.deepOffset = settings.deepOffset
    this.missingIndex = settings.missingIndex
    this.wideRows = settings.unboundedSelect === false ? Infinity : settings.unboundedSelect
    if (isPoolSource(settings.database)) this.connection = new OwnConnection(settings.database, announce)
  }

  addDatabase(source: unknown): void {
    if (this.connection === undefined && isPoolSource(source)) this.connection = new OwnConnection(source, this.announce)
  }

  // The notes live in a slot on the scope, not in a WeakMap: a WeakMap entry per request scope was
  // the advisor's largest cost per query on a real database (docs/performance.md).
  private notes(scope: NotedScope): ScopeNotes {
    let notes = scope.advisorNotes as ScopeNotes | undefined
    if (notes === undefined) {
      notes = new ScopeNotes()
      scope.advisorNotes = notes
    }
    return notes
  }

  issued(scope: NotedScope, query: Query, sql: string, params: readonly unknown[] | undefined, issued: number): void {
    try {
      const info = query.info
      // An ORM's own statements (session setup, catalog reads) are no advice for the application.
      if (info.housekeeping) return
      const kind = info.kind
      if (kind === 'utility') {
        if (DDL.test(sql)) this.forget()
        return
      }
      const { deepOffset, missingIndex } = this
      if (kind === 'select' && deepOffset !== false) {
        const limits = statementLimits(info, sql)
        if (limits.offset !== undefined) {
          const offset = offsetOf(limits, params)
          if (offset !== undefined && offset >= deepOffset) {
            const notes = this.notes(scope)
            this.pick(((notes.offsets ??= new Map())), notes, query, undefined)
          }
        }
      } else if (kind === 'select' && this.wideRows !== Infinity) {
        statementLimits(info, sql)
      }
      // Only shapes that repeat can be a loop behind a missing index: a shape's first run in the
      // scope (`issued` 1, most statements of most requests) costs no note.
      if (missingIndex !== false && issued >= 2 && info.filters.length > 0 && (kind === 'select' || kind === 'update' || kind === 'delete')) {
        const notes = this.notes(scope)
        let note = notes.lastShape
        if (note === undefined || note.info.id !== info.id) {
          const shapes = (notes.shapes ??= new Map())
          note = shapes.get(info.id)
          if (note === undefined) {
            if (shapes.size >= MAX_SHAPES) return
            note = { info, sql, values: undefined, siteKey: query.siteKey, adapter: query.adapter, firstSeen: notes.seen++, count: 0 }
            shapes.set(info.id, note)
          }
          notes.lastShape = note
        }
        note.count = issued
        if (issued === missingIndex) {
          // Copied only for shapes that repeat (EXPLAIN needs values before PostgreSQL 16).
          note.values = params === undefined ? undefined : params.slice(0, MAX_VALUES)
          // The shape just became a loop: start reading the catalog now, on the advisor's own
          // client, so the facts are often known by the time the scope ends.
          if (this.catalogOn(false)) void this.prepare(note, false)
        }
      }
    } catch (error) {
      this.say('internal', 'n1guard advisor: internal error while reading a statement; the advisor carries on.', error)
    }
  }

  ended(scope: NotedScope, query: Query): void {
    if (query.rowCount === undefined || query.rowCount <= this.wideRows || query.info.kind !== 'select' || query.info.housekeeping) return
    try {
      // issued() read the statement's text, so its limits are cached on its SqlInfo.
      const limits = knownLimits(query.info)
      if (limits === undefined || limits.bounded) return
      const notes = this.notes(scope)
      this.pick((notes.wide ??= new Map()), notes, query, query.rowCount)
    } catch (error) {
      this.say('internal', 'n1guard advisor: internal error while reading a result; the advisor carries on.', error)
    }
  }

  private pick(map: Map<string, Picked>, notes: ScopeNotes, query: Query, rows: number | undefined): void {
    const key = `${query.info.id}\u0000${query.siteKey ?? ''}`
    let p = map.get(key)
    if (p === undefined) {
      if (map.size >= MAX_PICKED) return
      p = { info: query.info, siteKey: query.siteKey, adapter: query.adapter, firstSeen: notes.seen++, count: 0, totalDurationMs: 0, maxRows: 0 }
      map.set(key, p)
    }
    p.count++
    if (query.endedAt > 0) p.totalDurationMs += query.endedAt - query.startedAt
    if (rows !== undefined && rows > p.maxRows) p.maxRows = rows
  }

  outside(sql: unknown): void {
    // Nothing cached, nothing to refresh: unscoped statements cost one check until a lookup ran.
    if (this.facts.size === 0 && this.plans.size === 0) return
    const text = textOf(sql)
    if (text !== undefined && DDL.test(text)) this.forget()
  }

  /** DDL went by: the catalog may have changed. */
  private forget(): void {
    this.generation++
    this.facts.clear()
    this.factsPending.clear()
    this.plans.clear()
    this.plansPending.clear()
  }

  private catalogOn(testing: boolean): boolean {
    const c = this.settings.catalog
    return c === true || (c === 'auto' && (this.envOn || testing))
  }

  private explainOn(testing: boolean): boolean {
    const e = this.settings.explain
    return e === true || (e === 'auto' && (this.envOn || testing))
  }

  advise(scope: NotedScope, testing: boolean, found: readonly Candidate[] = []): Candidate[] {
    const notes = scope.advisorNotes as ScopeNotes | undefined
    if (notes === undefined) return []
    scope.advisorNotes = undefined
    const out: Candidate[] = []
    try {
      for (const p of notes.offsets?.values() ?? []) out.push(this.offsetCandidate(p))
      for (const p of notes.wide?.values() ?? []) out.push(this.wideCandidate(p))
      const min = this.settings.missingIndex
      if (min !== false && notes.shapes !== undefined && this.catalogOn(testing)) {
        for (const note of notes.shapes.values()) {
          if (note.count < min) continue
          const gaps = this.gaps(note)
          if (gaps === undefined) {
            // Facts not known yet: look them up for the scopes that come next (see docs/advisor.md).
            void this.prepare(note, testing)
            continue
          }
          for (const gap of gaps) {
            const c = this.indexCandidate(note, gap, testing, found)
            if (c === 'pending') void this.prepare(note, testing)
            else if (c !== undefined) out.push(c)
          }
        }
      }
    } catch (error) {
      this.say('internal', 'n1guard advisor: internal error while advising on a scope; the advisor carries on.', error)
    }
    out.sort((a, b) => a.firstSeen - b.firstSeen)
    return out
  }

  /** Waits for the catalog facts and plans a scope's repeated shapes need. */
  async settle(scope: NotedScope): Promise<void> {
    const notes = scope.advisorNotes as ScopeNotes | undefined
    const min = this.settings.missingIndex
    if (notes?.shapes === undefined || min === false || !this.catalogOn(true)) return
    const work: Promise<void>[] = []
    for (const note of notes.shapes.values()) if (note.count >= min) work.push(this.prepare(note, true))
    await Promise.all(work)
  }

  /** Looks up every fact `note` needs (tables, then its plan when a column lacks an index); never rejects. */
  private async prepare(note: ShapeNote, testing: boolean): Promise<void> {
    try {
      await Promise.all(note.info.tables.map((t) => this.lookUp(t)))
      const gaps = this.gaps(note)
      if (gaps !== undefined && gaps.length > 0 && note.info.kind === 'select' && this.explainOn(testing)) await this.explain(note)
    } catch (error) {
      this.say('internal', 'n1guard advisor: internal error while reading the catalog; the advisor carries on.', error)
    }
  }

  private database(): OwnConnection | undefined {
    if (this.databaseFailed) return undefined
    if (this.connection === undefined) {
      this.say(
        'no-database',
        'n1guard advisor: no database to read the catalog from, so missing indexes are not checked: ' +
          'instrument the pool with instrumentPool(pool, detector) or pass createDetector({ advisor: { database: pool } }).',
      )
    }
    return this.connection
  }

  private lookUp(table: string): Promise<void> {
    if (this.facts.has(table)) return Promise.resolve()
    const pending = this.factsPending.get(table)
    if (pending !== undefined) return pending
    const connection = this.database()
    if (connection === undefined) return Promise.resolve()
    const generation = this.generation
    const work = connection
      .run((client) => tableFacts(client, table))
      .then(
        (facts) => {
          if (generation === this.generation) this.facts.set(table, facts)
        },
        (error: unknown) => this.failed(error, 'read the catalog (pg_class, pg_index, pg_attribute)'),
      )
      .finally(() => {
        if (this.factsPending.get(table) === work) this.factsPending.delete(table)
      })
    this.factsPending.set(table, work)
    return work
  }

  private failed(error: unknown, what: string): void {
    const e = error as { code?: unknown; message?: unknown } | undefined
    const code = typeof e?.code === 'string' ? e.code : ''
    // No SQLSTATE (ECONNREFUSED, a timeout), a connection or an authentication error: the database
    // cannot be reached, so stop trying. Other errors concern one statement or table.
    if (!/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('28') || code === '57P03') this.databaseFailed = true
    const message = typeof e?.message === 'string' ? e.message : String(error)
    this.say(
      `failed:${what}:${code}`,
      `n1guard advisor: could not ${what} (${code === '' ? '' : `${code} `}${message}); missing-index advice is skipped where it needs this. (said once)`,
    )
  }

  private explain(note: ShapeNote): Promise<void> {
    const key = note.info.id
    if (this.plans.has(key)) return Promise.resolve()
    const pending = this.plansPending.get(key)
    if (pending !== undefined) return pending
    const connection = this.database()
    if (connection === undefined) return Promise.resolve()
    const generation = this.generation
    const work = connection
      .run((client) => explainPlan(client, note.sql, note.values, connection.serverVersion))
      .then(
        (plan) => {
          if (generation === this.generation) this.plans.set(key, { plan })
        },
        (error: unknown) => {
          if (generation === this.generation) this.plans.set(key, 'failed')
          this.failed(error, 'EXPLAIN a repeated SELECT')
        },
      )
      .finally(() => {
        if (this.plansPending.get(key) === work) this.plansPending.delete(key)
      })
    this.plansPending.set(key, work)
    return work
  }

  /**
   * Tables of `note` whose filtered columns no index leads with; undefined while a table's facts
   * are unknown.
   */
  private gaps(note: ShapeNote): Array<{ table: string; columns: string[] }> | undefined {
    const tables: Array<{ written: string; facts: TableFacts }> = []
    for (const t of note.info.tables) {
      if (!this.facts.has(t)) return undefined
      const facts = this.facts.get(t)
      if (facts !== undefined && (facts.kind === 'r' || facts.kind === 'p')) tables.push({ written: t, facts })
    }
    const byTable = new Map<TableFacts, string[]>()
    for (const f of note.info.filters) {
      if (!INDEXABLE.has(f.operator)) continue
      const owner = this.ownerOf(f, tables, note)
      if (owner === undefined) continue
      const cols = byTable.get(owner) ?? []
      if (!cols.includes(f.column)) cols.push(f.column)
      byTable.set(owner, cols)
    }
    const gaps: Array<{ table: string; columns: string[] }> = []
    for (const [facts, columns] of byTable) {
      if (columns.some((c) => facts.leading.includes(c))) continue
      gaps.push({ table: facts.name, columns })
    }
    if (byTable.size > 0 && tables.length > 1) this.joinGaps(note, tables, new Set(byTable.keys()), gaps)
    return gaps
  }

  /**
   * Joins from the filtered tables outwards (`where p.id = $1` then `join note n on n.person_id =
   * p.id`): each table reached needs an index on the column it is reached by, or every run scans it.
   */
  private joinGaps(
    note: ShapeNote,
    tables: ReadonlyArray<{ written: string; facts: TableFacts }>,
    reached: Set<TableFacts>,
    gaps: Array<{ table: string; columns: string[] }>,
  ): void {
    const pairs = (note.names ??= statementNames(note.sql)).pairs
    const factsOf = (name: string) => tables.find((t) => t.written === name || bare(t.written) === bare(name))?.facts
    for (let grew = true; grew; ) {
      grew = false
      for (const p of pairs) {
        for (const [from, to] of [[p.left, p.right], [p.right, p.left]] as const) {
          const a = factsOf(from.table)
          const b = factsOf(to.table)
          if (a === undefined || b === undefined || !reached.has(a) || reached.has(b)) continue
          reached.add(b)
          grew = true
          if (b.columns.includes(to.column) && !b.leading.includes(to.column)) gaps.push({ table: b.name, columns: [to.column] })
        }
      }
    }
  }

  private ownerOf(f: ColumnFilter, tables: ReadonlyArray<{ written: string; facts: TableFacts }>, note: ShapeNote): TableFacts | undefined {
    if (f.table !== undefined) {
      // An alias (`p.id` of `person p`) names its table; several tables need the statement read.
      const aliased = tables.length > 1 ? (note.names ??= statementNames(note.sql)).aliases.get(f.table.toLowerCase()) : undefined
      const q = aliased ?? f.table
      const named = tables.find((t) => t.written === q || bare(t.written) === bare(q) || t.facts.name === q)
      if (named !== undefined) return named.facts.columns.includes(f.column) ? named.facts : undefined
    }
    // Unqualified, or qualified by an alias: the one table that has the column.
    const having = tables.filter((t) => t.facts.columns.includes(f.column))
    return having.length === 1 ? having[0]!.facts : undefined
  }

  private indexCandidate(
    note: ShapeNote,
    gap: { table: string; columns: string[] },
    testing: boolean,
    found: readonly Candidate[],
  ): Candidate | 'pending' | undefined {
    let planNode: string | undefined
    if (note.info.kind === 'select' && this.explainOn(testing)) {
      const plan = this.plans.get(note.info.id)
      if (plan === undefined) return 'pending'
      // EXPLAIN could not confirm it (no permission, a statement it cannot take): say nothing.
      if (plan === 'failed') return undefined
      const scan = scanOf(plan.plan, gap.table)
      if (scan === undefined || !scan.sequential) return undefined
      planNode = scan.node
    }
    const loop = found.find((c) => c.fingerprint === note.info.id && (c.kind === 'n-plus-one' || c.kind === 'duplicate'))
    const index: IndexAdvice = {
      table: gap.table,
      columns: gap.columns,
      createIndex: createIndexStatement(gap.table, gap.columns),
      ...(planNode === undefined ? {} : { planNode }),
    }
    const count = loop?.count ?? note.count
    const base: CandidateBase = {
      kind: 'missing-index',
      fingerprint: note.info.id,
      shape: note.info.shape,
      statementKind: note.info.kind,
      tables: note.info.tables,
      filters: note.info.filters,
      siteKey: loop?.siteKey ?? note.siteKey,
      count,
      distinctParams: loop?.distinctParams ?? 0,
      parallel: loop?.parallel ?? false,
      totalDurationMs: loop?.totalDurationMs ?? 0,
      adapter: note.adapter,
      firstSeen: loop?.firstSeen ?? note.firstSeen,
      severity: count >= 10 ? 'high' : 'medium',
      singleRow: loop?.singleRow ?? false,
      index,
    }
    return { ...base, hint: missingIndexHint(index, count, loop?.kind === 'n-plus-one') }
  }

  private picked(p: Picked, kind: 'deep-offset' | 'unbounded-select'): CandidateBase {
    return {
      kind,
      fingerprint: p.info.id,
      shape: p.info.shape,
      statementKind: p.info.kind,
      tables: p.info.tables,
      filters: p.info.filters,
      siteKey: p.siteKey,
      count: p.count,
      distinctParams: 0,
      parallel: false,
      totalDurationMs: p.totalDurationMs,
      adapter: p.adapter,
      firstSeen: p.firstSeen,
      severity: 'medium',
      singleRow: false,
    }
  }

  private offsetCandidate(p: Picked): Candidate {
    const threshold = this.settings.deepOffset as number
    return { ...this.picked(p, 'deep-offset'), hint: deepOffsetHint(threshold, p.adapter) }
  }

  private wideCandidate(p: Picked): Candidate {
    const threshold = this.settings.unboundedSelect as number
    const base = this.picked(p, 'unbounded-select')
    return {
      ...base,
      severity: p.maxRows >= threshold * 10 ? 'high' : 'medium',
      rowCount: p.maxRows,
      hint: unboundedSelectHint(p.maxRows, threshold, p.adapter),
    }
  }

  /** Foreign keys without an index in the schemas on the search path of `source` (or the known pool). */
  async checkSchema(source: unknown): Promise<ForeignKeyGap[]> {
    let connection: OwnConnection | undefined
    if (source === undefined) connection = this.connection
    else if (isPoolSource(source)) {
      this.addDatabase(source)
      connection = this.connection?.source === source ? this.connection : new OwnConnection(source as PoolSource, this.announce)
    }
    if (connection === undefined) {
      throw new TypeError('n1guard: checkSchema needs a pg Pool (or a detector that knows one through instrumentPool or advisor.database)')
    }
    return connection.run((client) => unindexedForeignKeys(client))
  }

  private say(key: string, message: string, error?: unknown): void {
    if (said.has(key)) return
    said.add(key)
    try {
      const detail = error === undefined ? '' : `\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
      process.stderr.write(`${message}${detail}\n`)
    } catch {
      // nowhere to say it
    }
  }
}

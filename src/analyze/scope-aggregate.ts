import { fixHint } from './fix-hint.js'
import { pathFrames, samePath } from './call-path.js'
import { columnBehind } from './hint-facts.js'
import { repeatSafe } from './repeat-safe.js'
import { findSource, type KeptResult, type RetainedShape } from './source-link.js'
import type { AnalyzedQuery, Candidate, CandidateBase, PatternMember, Severity } from './types.js'
import { valueKey } from './value-hash.js'

// Bounds that keep one scope's memory flat however many queries it runs.
/** Past this many distinct parameter sets a group reports a lower bound. */
export const MAX_DISTINCT = 4096
/** Parameter positions and values per position sampled to match against earlier results. */
const MAX_POSITIONS = 8
const MAX_VALUES = 512
/** Result row arrays kept per shape and per scope (references, never copies), and rows in all. */
const MAX_RESULTS_PER_SHAPE = 32
const MAX_RESULTS_PER_SCOPE = 512
const MAX_ROWS_PER_SCOPE = 50_000
/**
 * Distinct statement shapes one scope tracks. Each costs about 1.5 KB (its groups, samples and
 * first query), and a scope that builds SQL from data (a million distinct shapes) grew to 1.46 GB.
 * Queries of further shapes are counted (`untracked`, and in the query count and any budget), not
 * checked for N+1.
 */
export const MAX_SHAPES_PER_SCOPE = 5000
/** Parameter sets kept per group for `sampleParams` (with captureParams only). */
const MAX_SAMPLE_PARAMS = 5
/** Parameter sets per shape watched for exact repeats, and finished repeat runs kept per shape. */
const MAX_REPEAT_KEYS = 1024
const MAX_CLOSED_REPEATS = 64
/** Call sites listed per duplicate. */
const MAX_REPEAT_SITES = 8
/** Shapes after a scope's first that are found by a scan before a Map takes them. */
const FEW_SHAPES = 8

/** Options of the detection rules. */
export interface RuleOptions {
  /** Executions of one shape from one call site that make a finding (at least 2). */
  readonly threshold: number
  /** Queries a scope may run before it gets a `query-budget` finding. */
  readonly maxQueries?: number | undefined
  /** Report an N+1 only when an earlier result of two rows or more is proven to have fed it. */
  readonly requireMultiRowSource?: boolean | undefined
  /** Leave out findings whose executions took less than this in total. */
  readonly minTotalDurationMs?: number | undefined
}

class Group {
  count = 0
  totalDurationMs = 0
  parallel = false
  maxEnd = Number.NEGATIVE_INFINITY
  minIssued = Number.POSITIVE_INFINITY
  maxIssued = Number.NEGATIVE_INFINITY
  /** The first execution's parameter key, once a second execution made it worth hashing. */
  private firstKey = 0
  distinct: Set<number> | undefined
  /** Most rows one execution returned; -1 while unknown. */
  maxRows = -1
  /** The first execution, kept by reference until a second one makes its values worth reading. */
  firstQuery: AnalyzedQuery | undefined
  /** Per parameter position: keys of the values seen (sampled), each with when it was first sent. */
  values: Map<number, number>[] | undefined
  /** Per parameter position: one raw value, to name a SQL array type in hints. */
  samples: unknown[] | undefined
  /** The first few captured parameter sets (only with captureParams). */
  captured: Array<readonly unknown[]> | undefined
  /** Call paths folded into this group (see `foldPaths`). */
  alsoKeys: Array<string | undefined> | undefined
  /** The first annotation seen (see `AnalyzedQuery.annotation`). */
  annotation: object | undefined

  constructor(
    readonly siteKey: string | undefined,
    readonly firstSeen: number,
  ) {}

  /** The first execution's parameter key (hashed on first use: most groups run once). */
  get firstParam(): number {
    const first = this.firstQuery
    return first !== undefined && this.count === 1 ? first.paramKey : this.firstKey
  }
  set firstParam(key: number) {
    this.firstKey = key
  }

  add(q: AnalyzedQuery): void {
    if (this.count === 0) {
      this.firstQuery = q
    } else {
      if (this.count === 1) this.firstKey = this.firstParam
      if (this.distinct === undefined) {
        if (q.paramKey !== this.firstParam) this.distinct = new Set([this.firstParam, q.paramKey])
      } else if (this.distinct.size < MAX_DISTINCT) {
        this.distinct.add(q.paramKey)
      }
      if (this.count === 1 && this.firstQuery !== undefined) {
        this.sampleValues(this.firstQuery.values, this.firstQuery.issuedAt)
        this.firstQuery = undefined
      }
      this.sampleValues(q.values, q.issuedAt)
    }
    // Queries arrive in completion order, so an earlier one overlaps this one exactly when it
    // ended after this one was issued.
    if (q.issuedAt < this.maxEnd) this.parallel = true
    if (q.endedAt > this.maxEnd) this.maxEnd = q.endedAt
    if (q.issuedAt < this.minIssued) this.minIssued = q.issuedAt
    if (q.issuedAt > this.maxIssued) this.maxIssued = q.issuedAt
    if (q.rowCount !== undefined && q.rowCount > this.maxRows) this.maxRows = q.rowCount
    if (q.params !== undefined && (this.captured?.length ?? 0) < MAX_SAMPLE_PARAMS) (this.captured ??= []).push(q.params)
    if (this.annotation === undefined && q.annotation !== undefined) this.annotation = q.annotation
    this.totalDurationMs += q.endedAt - q.startedAt
    this.count++
  }

  private sampleValues(values: readonly unknown[] | undefined, issuedAt: number): void {
    if (values === undefined) return
    const n = Math.min(values.length, MAX_POSITIONS)
    const sets = (this.values ??= [])
    const samples = (this.samples ??= [])
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v === null || v === undefined || (typeof v === 'object' && !(v instanceof Date))) continue
      const set = (sets[i] ??= new Map())
      const key = valueKey(v)
      const had = set.get(key)
      if (had === undefined ? set.size < MAX_VALUES : issuedAt < had) set.set(key, issuedAt)
      if (samples[i] === undefined) samples[i] = v
    }
  }

  /** Folds another group of the same shape into this one. */
  absorb(other: Group): void {
    if (other.count === 0) return
    if (this.count === 0) {
      this.count = other.count
      this.totalDurationMs = other.totalDurationMs
      this.parallel = other.parallel
      this.maxEnd = other.maxEnd
      this.minIssued = other.minIssued
      this.maxIssued = other.maxIssued
      this.firstParam = other.firstParam
      this.maxRows = other.maxRows
      this.firstQuery = other.firstQuery
      this.distinct = other.distinct === undefined ? undefined : new Set(other.distinct)
      this.values = other.values?.map((set) => new Map(set))
      this.samples = other.samples?.slice()
      this.captured = other.captured?.slice()
      this.annotation = other.annotation
      return
    }
    if (this.minIssued < other.maxEnd && other.minIssued < this.maxEnd) this.parallel = true
    this.parallel ||= other.parallel
    const keys = this.distinct ?? new Set([this.firstParam])
    for (const k of other.distinct ?? [other.firstParam]) if (keys.size < MAX_DISTINCT) keys.add(k)
    this.distinct = keys.size > 1 ? keys : undefined
    const otherValues = other.values ?? []
    otherValues.forEach((set, i) => {
      const mine = ((this.values ??= [])[i] ??= new Map())
      for (const [k, at] of set) {
        const had = mine.get(k)
        if (had === undefined ? mine.size < MAX_VALUES : at < had) mine.set(k, at)
      }
    })
    // Now more than one execution: values held back for a second one are worth hashing.
    if (other.firstQuery !== undefined) this.sampleValues(other.firstQuery.values, other.firstQuery.issuedAt)
    if (this.firstQuery !== undefined) {
      this.sampleValues(this.firstQuery.values, this.firstQuery.issuedAt)
      this.firstQuery = undefined
    }
    other.samples?.forEach((v, i) => {
      const samples = (this.samples ??= [])
      if (samples[i] === undefined) samples[i] = v
    })
    for (const p of other.captured ?? []) if ((this.captured?.length ?? 0) < MAX_SAMPLE_PARAMS) (this.captured ??= []).push(p)
    this.annotation ??= other.annotation
    this.count += other.count
    this.totalDurationMs += other.totalDurationMs
    this.maxEnd = Math.max(this.maxEnd, other.maxEnd)
    this.minIssued = Math.min(this.minIssued, other.minIssued)
    this.maxIssued = Math.max(this.maxIssued, other.maxIssued)
    this.maxRows = Math.max(this.maxRows, other.maxRows)
  }

  get distinctParams(): number {
    return this.count === 0 ? 0 : (this.distinct?.size ?? 1)
  }
}


/**
 * One statement text with one parameter set, run again and again with no write to its tables in
 * between (for a read), from any call sites: a duplicate wherever it was sent from.
 */
class Repeat {
  count = 0
  totalDurationMs = 0
  parallel = false
  maxEnd = Number.NEGATIVE_INFINITY
  maxRows = -1
  /** The first call path and its executions and time; further paths in `more` (rare). */
  site0: string | undefined = undefined
  n0 = 0
  ms0 = 0
  more: Array<{ key: string | undefined; n: number; ms: number }> | undefined
  captured: Array<readonly unknown[]> | undefined
  /** The first annotation seen (see `AnalyzedQuery.annotation`). */
  annotation: object | undefined

  constructor(
    /** The write stamp of its tables when it first ran: a write in between starts a new run. */
    readonly stamp: number,
    readonly firstSeen: number,
  ) {}

  add(q: AnalyzedQuery): void {
    if (q.issuedAt < this.maxEnd) this.parallel = true
    if (q.endedAt > this.maxEnd) this.maxEnd = q.endedAt
    if (q.rowCount !== undefined && q.rowCount > this.maxRows) this.maxRows = q.rowCount
    if (q.params !== undefined && (this.captured?.length ?? 0) < MAX_SAMPLE_PARAMS) (this.captured ??= []).push(q.params)
    if (this.annotation === undefined && q.annotation !== undefined) this.annotation = q.annotation
    const ms = q.endedAt - q.startedAt
    this.totalDurationMs += ms
    if (this.count++ === 0 || q.siteKey === this.site0) {
      this.site0 = q.siteKey
      this.n0++
      this.ms0 += ms
      return
    }
    const more = (this.more ??= [])
    let site = more.find((m) => m.key === q.siteKey)
    if (site === undefined) {
      site = more.length < MAX_REPEAT_SITES - 1 ? { key: q.siteKey, n: 0, ms: 0 } : more[more.length - 1]!
      if (site.n === 0) more.push(site)
    }
    site.n++
    site.ms += ms
  }

  /** Executions and time per call path, the first path first. */
  sites(): Array<{ key: string | undefined; n: number; ms: number }> {
    const first = { key: this.site0, n: this.n0, ms: this.ms0 }
    return this.more === undefined ? [first] : [first, ...this.more]
  }
}

const NO_RESULTS: ReadonlyArray<KeptResult> = []

class ShapeEntry implements RetainedShape {
  /** The first call-site group; most shapes only ever run from one site. */
  private group0: Group | undefined
  /** Further groups by call site: a shape runs from one or a few sites, so a scan beats a Map. */
  private more: Group[] | undefined
  unknown: Group | undefined
  /** The first finished query of the shape (undefined until one finishes). */
  first: AnalyzedQuery = undefined as never
  count = 0
  /** Statements of the shape issued so far (finished or not). */
  issued = 0
  /** Result rows kept by reference, in completion order, with when each result ended. */
  results: KeptResult[] = NO_RESULTS as never
  firstEnded = Number.POSITIVE_INFINITY
  /** Whether a repeat with the same parameters is a duplicate (reads, idempotent writes); known once it runs. */
  repeatable: boolean | undefined
  /** Runs of one parameter set in progress, by parameter key, and finished runs that repeated. */
  repeats: Map<number, Repeat> | undefined
  closedRepeats: Repeat[] | undefined
  /** Most executions any repeat run reached. */
  maxRepeat = 0

  constructor(readonly fingerprint: string) {}

  get shape(): string {
    return this.first.shape
  }
  get tables(): readonly string[] {
    return this.first.tables
  }
  /** Groups by call site, in the order they appeared (unknown-site group not included). */
  get groups(): Group[] {
    if (this.group0 === undefined) return []
    return this.more === undefined ? [this.group0] : [this.group0, ...this.more]
  }

  /** The call site of the shape's first known group (where its results come from). */
  get siteKey(): string | undefined {
    return this.group0?.siteKey
  }

  /**
   * True when some parameter position of this shape was run with every one of `wanted` (value
   * keys): the shape took those keys as input, so its rows echo them and cannot be their source.
   */
  ranWith(wanted: ReadonlyMap<number, number>): boolean {
    const groups = this.unknown === undefined ? this.groups : [...this.groups, this.unknown]
    for (const g of groups) {
      for (const have of g.values ?? []) {
        if (have === undefined || have.size < wanted.size) continue
        let all = true
        for (const k of wanted.keys()) {
          if (!have.has(k)) {
            all = false
            break
          }
        }
        if (all) return true
      }
    }
    return false
  }

  /**
   * True when this shape runs once per iteration of the same loop as a group of `count` queries
   * issued from `minIssued` to `maxIssued`: one of its groups ran as often, interleaved with it.
   */
  loopsWith(count: number, minIssued: number, maxIssued: number): boolean {
    for (const g of this.groups) {
      if (g.count === count && g.minIssued < maxIssued && minIssued < g.maxIssued) return true
    }
    return false
  }

  /** The write stamp the shape's first execution saw (its repeat run starts only with a second execution). */
  firstStamp = 0
  firstPosition = 0

  /** Notes one execution for exact repeats: same parameters, and for a read the same write stamp. */
  repeat(q: AnalyzedQuery, stamp: number, position: number): void {
    if (this.count === 1) {
      // Most shapes run once per scope: nothing to allocate until a second execution.
      this.firstStamp = stamp
      this.firstPosition = position
      return
    }
    let map = this.repeats
    if (map === undefined) {
      map = this.repeats = new Map()
      const first = new Repeat(this.firstStamp, this.firstPosition)
      first.add(this.first)
      map.set(this.first.paramKey, first)
    }
    const had = map.get(q.paramKey)
    let r = had
    if (r !== undefined && r.stamp !== stamp) {
      if (r.count >= 2 && (this.closedRepeats ??= []).length < MAX_CLOSED_REPEATS) this.closedRepeats.push(r)
      r = undefined
    }
    if (r === undefined) {
      // A new key past the cap is not tracked; a stale run's key is replaced in place. (`had`, not
      // a second lookup: a long loop of distinct keys asks this on every query.)
      if (had === undefined && map.size >= MAX_REPEAT_KEYS) return
      r = new Repeat(stamp, position)
      map.set(q.paramKey, r)
    }
    r.add(q)
    if (r.count > this.maxRepeat) this.maxRepeat = r.count
  }

  group(siteKey: string, position: number): Group {
    const g0 = this.group0
    if (g0 === undefined) return (this.group0 = new Group(siteKey, position))
    if (g0.siteKey === siteKey) return g0
    const more = (this.more ??= [])
    for (const g of more) if (g.siteKey === siteKey) return g
    const g = new Group(siteKey, position)
    more.push(g)
    return g
  }
}

// Functions called for their effect, not their result: repeating one is not a cache miss.
const EFFECT_CALL = /\b(?:pg_(?:try_)?advisory_\w*|pg_notify|set_config|nextval|setval)\s*\(/i

/**
 * Statements that are neither reads nor row writes: DDL, SET, LOCK, VACUUM and the like (kind
 * `utility`), and a select that only calls a lock, notify, config or sequence function. Running
 * one again is not a missed cache and not a loop over rows (a migration's `create table if not
 * exists`, a lock taken and released per job), so they never make a finding.
 */
function isUtility(q: AnalyzedQuery): boolean {
  if (q.kind === 'utility') return true
  return q.kind === 'select' && q.tables.length === 0 && EFFECT_CALL.test(q.shape)
}

function isWrite(kind: AnalyzedQuery['kind']): boolean {
  return kind === 'insert' || kind === 'update' || kind === 'delete' || kind === 'merge'
}

function paramType(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? (Math.abs(value) > 2_147_483_647 ? 'bigint' : 'int') : 'numeric'
    case 'bigint':
      return 'bigint'
    case 'boolean':
      return 'bool'
    case 'string':
      if (/^\d{1,19}$/.test(value)) return 'bigint'
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return 'uuid'
      return 'text'
    default:
      return value instanceof Date ? 'timestamptz' : undefined
  }
}

function severityOf(c: Omit<CandidateBase, 'severity'>): Severity {
  if (c.kind === 'query-budget') return 'medium'
  // Without an application frame n1guard cannot tell one loop from several lines: never evidence.
  if (c.siteUnknown === true) return 'low'
  if (c.kind === 'duplicate') return c.count >= 5 ? 'medium' : 'low'
  if (c.source !== undefined || c.count >= 10) return 'high'
  // Two or three lookups by key with no earlier result behind them: often two different rows a
  // handler needs (author and editor), not a loop.
  if (c.singleRow && c.count < 4) return 'low'
  return 'medium'
}

/**
 * Everything one scope needs to decide on findings, updated query by query in bounded memory:
 * counts, distinct parameter sets, overlap and time stay exact however many queries the scope
 * runs; parameter values and result rows are sampled (by reference, hashed only once a shape
 * repeats) to prove which query fed a loop.
 *
 * @example
 * const agg = new ScopeAggregate()
 * for (const q of queries) agg.add(q)
 * agg.candidates({ threshold: 2 })
 */
export class ScopeAggregate {
  // A scope that runs a handful of shapes (most requests) never makes the Map: its shapes after
  // the first are found by a scan of `few`, and the Map takes them all past FEW_SHAPES.
  private shape0: ShapeEntry | undefined
  private few: ShapeEntry[] | undefined
  private more: Map<string, ShapeEntry> | undefined
  private seen = 0
  private housekept = 0
  private counted = 0
  /** Shapes that ran more than once: without any, there is nothing but a budget to report. */
  private repeated = 0
  private resultsKept = 0
  private rowsKept = 0
  /** Writes seen so far, and the number of the last write to each table (for repeats of reads). */
  private writes = 0
  private tableWrites: Map<string, number> | undefined

  // The number of the last write to any of `tables`: reads with the same number saw the same data.
  private stampOf(tables: readonly string[]): number {
    const writes = this.tableWrites
    if (writes === undefined) return 0
    let stamp = 0
    for (const t of tables) {
      const w = writes.get(t)
      if (w !== undefined && w > stamp) stamp = w
    }
    return stamp
  }
  private shapeCount = 0
  /** Queries of shapes past `MAX_SHAPES_PER_SCOPE`: counted, not analyzed. */
  untracked = 0

  /** Every shape seen, in the order it was first issued. */
  private get shapes(): ShapeEntry[] {
    if (this.shape0 === undefined) return []
    if (this.more !== undefined) return [this.shape0, ...this.more.values()]
    return this.few === undefined ? [this.shape0] : [this.shape0, ...this.few]
  }

  /** Queries added so far, transaction control included, ORM housekeeping left out. */
  get size(): number {
    return this.seen - this.housekept
  }

  /** No query added yet (shapes may have been issued). */
  get empty(): boolean {
    return this.seen === 0
  }

  /**
   * Notes a shape when it is issued (before it finishes), so shapes keep the order they were
   * first issued in even when their queries finish out of order. Returns how many times the shape
   * has been issued in the scope, this one included; 0 for a shape past `MAX_SHAPES_PER_SCOPE`
   * (not tracked: take no stack for it).
   */
  issued(fingerprint: string): number {
    const entry = this.entry(fingerprint)
    return entry === undefined ? 0 : ++entry.issued
  }

  private entry(fingerprint: string): ShapeEntry | undefined {
    const first = this.shape0
    if (first === undefined) {
      this.shapeCount = 1
      return (this.shape0 = new ShapeEntry(fingerprint))
    }
    if (first.fingerprint === fingerprint) return first
    let more = this.more
    if (more === undefined) {
      // Fingerprints come from the statement cache: usually the same string, compared by pointer.
      const few = (this.few ??= [])
      for (let i = 0; i < few.length; i++) if (few[i]!.fingerprint === fingerprint) return few[i]
      if (few.length < FEW_SHAPES) {
        this.shapeCount++
        const entry = new ShapeEntry(fingerprint)
        few.push(entry)
        return entry
      }
      more = this.more = new Map()
      for (const e of few) more.set(e.fingerprint, e)
      this.few = undefined
    }
    let entry = more.get(fingerprint)
    if (entry === undefined) {
      if (this.shapeCount >= MAX_SHAPES_PER_SCOPE) return undefined
      this.shapeCount++
      entry = new ShapeEntry(fingerprint)
      more.set(fingerprint, entry)
    }
    return entry
  }

  /** Adds a finished query. Queries must be added in the order they finished. */
  add(q: AnalyzedQuery): void {
    const position = this.seen++
    // BEGIN / COMMIT / SAVEPOINT repeat in every loop that opens a transaction: never a finding.
    if (q.kind === 'transaction') return
    if (q.housekeeping === true) {
      this.housekept++
      return
    }
    this.counted++
    const entry = this.entry(q.fingerprint)
    if (entry === undefined) {
      this.untracked++
      return
    }
    if (entry.count === 0) entry.first = q
    if (++entry.count === 2) this.repeated++
    if (q.endedAt < entry.firstEnded) entry.firstEnded = q.endedAt
    const rows = q.rows
    if (
      rows !== undefined &&
      rows.length > 0 &&
      entry.results.length < MAX_RESULTS_PER_SHAPE &&
      this.resultsKept < MAX_RESULTS_PER_SCOPE &&
      this.rowsKept < MAX_ROWS_PER_SCOPE
    ) {
      if (entry.results === NO_RESULTS) entry.results = []
      entry.results.push(
        q.columns === undefined ? { rows, endedAt: q.endedAt, siteKey: q.siteKey } : { rows, endedAt: q.endedAt, siteKey: q.siteKey, columns: q.columns },
      )
      this.resultsKept++
      this.rowsKept += rows.length
    }
    const group = q.siteKey === undefined ? (entry.unknown ??= new Group(undefined, position)) : entry.group(q.siteKey, position)
    group.add(q)
    const read = q.kind === 'select'
    if ((entry.repeatable ??= repeatSafe(q.shape, q.kind))) entry.repeat(q, read ? this.stampOf(q.tables) : 0, position)
    if (!read && q.tables.length > 0) {
      const n = ++this.writes
      const writes = (this.tableWrites ??= new Map())
      for (const t of q.tables) writes.set(t, n)
    }
  }

  /** False when `candidates` would find nothing: no shape ran twice and the budget (if any) holds. */
  mayFind(budget: number | undefined): boolean {
    return this.repeated > 0 || (budget !== undefined && this.counted > budget)
  }

  /**
   * Findings before presentation, in the order their first query ran.
   *
   * A query whose call site was not captured (the first run of a shape n1guard had no reason to
   * watch yet) joins the shape's only known call site when that site is a finding by itself, so
   * loop counts stay exact; it never tips a site over the threshold, so one run from line A and
   * one from line B are never mistaken for a loop.
   */
  candidates(options: RuleOptions): Candidate[] {
    const { threshold } = options
    const budget = options.maxQueries
    const overBudget = budget !== undefined && this.counted > budget
    if (this.repeated === 0 && !overBudget) return []
    const found: Array<CandidateBase & { group: Group | undefined }> = []
    const shapes = this.shapes
    for (const entry of shapes) {
      if (entry.count === 0 || isUtility(entry.first)) continue
      const groups = [...entry.groups]
      if (groups.length > 1) foldPaths(groups, threshold)
      let unknownJoined = false
      if (entry.unknown !== undefined) {
        const only = groups.length === 1 ? groups[0]! : undefined
        if (only !== undefined && only.count >= threshold) {
          const merged = new Group(only.siteKey, Math.min(only.firstSeen, entry.unknown.firstSeen))
          merged.absorb(only)
          merged.absorb(entry.unknown)
          merged.alsoKeys = only.alsoKeys
          groups[0] = merged
          unknownJoined = true
        } else if (groups.length === 0) {
          groups.push(entry.unknown)
        }
      }
      const q = entry.first
      // Call paths that are loops: their repeats of one parameter set are part of the loop's finding.
      const loops = new Set<string | undefined>()
      for (const g of groups) {
        if (g.count < threshold) continue
        // A write repeated from one call path is a loop of writes whatever its values (the same
        // audit row per item): its fix is one multi-row statement, not a cached result. One path
        // running one read with one parameter set is judged with the shape's other exact repeats
        // below, wherever they were sent from.
        if (g.distinctParams < 2 && !isWrite(q.kind)) continue
        loops.add(g.siteKey)
        for (const k of g.alsoKeys ?? []) loops.add(k)
        if (unknownJoined && g === groups[0]) loops.add(undefined)
        const linked =
          g.values !== undefined
            ? findSource(g.values, g, entry, shapes)
            : undefined
        // An ORM's select alias (TypeORM's "Author_id") names the column it selects.
        const source = linked === undefined ? undefined : { ...linked, column: columnBehind(linked.shape, linked.column) }
        const fed = source?.param ?? q.filters.find((f) => f.param !== undefined)?.param ?? 1
        const type = paramType(g.samples?.[fed - 1])
        const siteUnknown = g.siteKey === undefined
        const base = {
          kind: 'n-plus-one',
          fingerprint: q.fingerprint,
          shape: q.shape,
          statementKind: q.kind,
          tables: q.tables,
          filters: q.filters,
          siteKey: g.siteKey,
          count: g.count,
          distinctParams: g.distinctParams,
          parallel: g.parallel,
          totalDurationMs: g.totalDurationMs,
          adapter: q.adapter,
          ...(q.orm === undefined ? {} : { orm: q.orm }),
          firstSeen: g.firstSeen,
          singleRow: g.maxRows >= 0 && g.maxRows <= 1,
          ...(siteUnknown ? { siteUnknown } : {}),
          ...(source === undefined ? {} : { source }),
          ...(type === undefined ? {} : { paramType: type }),
          ...(g.captured === undefined ? {} : { sampleParams: g.captured }),
          ...(g.annotation === undefined ? {} : { annotation: g.annotation }),
        } as const
        found.push({ ...base, severity: severityOf(base), group: g })
      }
      if (entry.maxRepeat >= threshold) {
        for (const d of duplicatesOf(entry, loops, threshold)) {
          const base = {
            kind: 'duplicate',
            fingerprint: q.fingerprint,
            shape: q.shape,
            statementKind: q.kind,
            tables: q.tables,
            filters: q.filters,
            siteKey: d.siteKeys[0],
            ...(d.siteKeys.length > 1 ? { sites: d.siteKeys } : {}),
            count: d.count,
            distinctParams: 1,
            parallel: d.parallel,
            totalDurationMs: d.totalDurationMs,
            adapter: q.adapter,
            ...(q.orm === undefined ? {} : { orm: q.orm }),
            firstSeen: d.firstSeen,
            singleRow: d.maxRows >= 0 && d.maxRows <= 1,
            ...(d.siteKeys.every((k) => k === undefined) ? { siteUnknown: true } : {}),
            ...(d.captured === undefined ? {} : { sampleParams: d.captured }),
            ...(d.annotation === undefined ? {} : { annotation: d.annotation }),
          } as const
          found.push({ ...base, severity: severityOf(base), group: undefined })
        }
      }
    }
    found.sort((a, b) => a.firstSeen - b.firstSeen)

    let out: CandidateBase[] = mergePatterns(found)
    if (options.requireMultiRowSource === true) {
      out = out.filter((c) => c.kind !== 'n-plus-one' || (c.source !== undefined && c.source.rowCount >= 2))
    }
    const minMs = options.minTotalDurationMs
    if (minMs !== undefined && minMs > 0) out = out.filter((c) => c.totalDurationMs >= minMs)
    if (overBudget) out.push(this.budgetCandidate(budget))
    return out.map((c) => ({ ...c, hint: fixHint(c) }))
  }

  private budgetCandidate(budget: number): CandidateBase {
    const shapes = this.shapes.filter((e) => e.count > 0).sort((a, b) => b.count - a.count)
    const top: PatternMember[] = shapes.slice(0, 5).map((e) => ({
      fingerprint: e.fingerprint,
      shape: e.shape,
      siteKey: e.siteKey,
      tables: e.tables,
      count: e.count,
    }))
    const head = shapes[0]!
    let total = 0
    for (const e of shapes) for (const g of [...e.groups, ...(e.unknown === undefined ? [] : [e.unknown])]) total += g.totalDurationMs
    const base = {
      kind: 'query-budget',
      fingerprint: head.fingerprint,
      shape: head.shape,
      statementKind: head.first.kind,
      tables: head.tables,
      filters: head.first.filters,
      siteKey: head.siteKey,
      count: this.counted,
      distinctParams: 0,
      parallel: false,
      totalDurationMs: total,
      adapter: head.first.adapter,
      firstSeen: this.seen,
      singleRow: false,
      budget,
      topShapes: top,
    } as const
    return { ...base, severity: severityOf(base) }
  }
}

/**
 * A loop that runs several shapes per row (A B A B ...) shows up as N+1 groups with the same
 * count whose executions interleave: report it once, listing every shape, on the first of them.
 */
function mergePatterns(found: Array<CandidateBase & { group: Group | undefined }>): CandidateBase[] {
  const out: CandidateBase[] = []
  const taken = new Set<number>()
  found.forEach((a, i) => {
    if (taken.has(i)) return
    const { group: ga, ...ca } = a
    if (a.kind !== 'n-plus-one' || ga === undefined) {
      out.push(ca)
      return
    }
    const members: Array<CandidateBase & { group: Group | undefined }> = [a]
    for (let j = i + 1; j < found.length; j++) {
      const b = found[j]!
      if (taken.has(j) || b.kind !== 'n-plus-one' || b.count !== a.count) continue
      const gb = b.group
      if (gb === undefined) continue
      // Interleaved: each one's executions start before the other's last one. Or run with the
      // same keys: in Promise.all(rows.map(async r => { await a(r.id); await b(r.id) })) every a
      // is issued before the first b, yet both run once per row of one loop.
      if ((gb.minIssued < ga.maxIssued && ga.minIssued < gb.maxIssued) || sameKeys(ga, gb)) {
        members.push(b)
        taken.add(j)
      }
    }
    if (members.length === 1) {
      out.push(ca)
      return
    }
    const pattern: PatternMember[] = members.map((m) => ({
      fingerprint: m.fingerprint,
      shape: m.shape,
      siteKey: m.siteKey,
      tables: m.tables,
      count: m.count,
    }))
    const total = members.reduce((sum, m) => sum + m.totalDurationMs, 0)
    const best = members.find((m) => m.source !== undefined)
    out.push({
      ...ca,
      pattern,
      totalDurationMs: total,
      parallel: members.some((m) => m.parallel),
      severity: members.some((m) => m.severity === 'high') ? 'high' : ca.severity,
      ...(ca.source === undefined && best?.source !== undefined ? { source: best.source } : {}),
    })
  })
  return out
}

// Two loop groups run with the same set of keys (at least two) at some parameter position.
function sameKeys(a: Group, b: Group): boolean {
  for (const x of a.values ?? []) {
    if (x === undefined || x.size < 2) continue
    for (const y of b.values ?? []) {
      if (y === undefined || y.size !== x.size) continue
      let all = true
      for (const k of x.keys()) {
        if (!y.has(k)) {
          all = false
          break
        }
      }
      if (all) return true
    }
  }
  return false
}

interface Duplicate {
  siteKeys: Array<string | undefined>
  count: number
  totalDurationMs: number
  parallel: boolean
  firstSeen: number
  maxRows: number
  captured: Array<readonly unknown[]> | undefined
  annotation: object | undefined
}

/**
 * A shape's exact repeats that make duplicates: runs of one parameter set (with no write to a read's
 * tables in between) of at least `threshold` executions, leaving out executions from call paths
 * that are loops (`loops`, reported as N+1). Runs from the same call sites fold into one.
 */
function duplicatesOf(entry: ShapeEntry, loops: ReadonlySet<string | undefined>, threshold: number): Duplicate[] {
  const out = new Map<string, Duplicate>()
  const runs = [...(entry.closedRepeats ?? []), ...(entry.repeats?.values() ?? [])]
  for (const r of runs) {
    if (r.count < threshold) continue
    let count = 0
    let ms = 0
    const kept = r.sites().filter((site) => !loops.has(site.key))
    for (const site of kept) {
      count += site.n
      ms += site.ms
    }
    if (count < threshold) continue
    // Most executions first: the site to look at before the others.
    const order = kept.sort((x, y) => y.n - x.n).map((x) => x.key)
    const id = order.map((k) => k ?? '').join('\u0001')
    const had = out.get(id)
    if (had === undefined) {
      out.set(id, { siteKeys: order, count, totalDurationMs: ms, parallel: r.parallel, firstSeen: r.firstSeen, maxRows: r.maxRows, captured: r.captured, annotation: r.annotation })
    } else {
      had.count += count
      had.totalDurationMs += ms
      had.parallel ||= r.parallel
      had.firstSeen = Math.min(had.firstSeen, r.firstSeen)
      had.maxRows = Math.max(had.maxRows, r.maxRows)
      had.annotation ??= r.annotation
    }
  }
  return [...out.values()]
}

// Folds two groups into `into` in the order they began, so sampled parameter sets stay in order.
function absorbInOrder(into: Group, a: Group, b: Group): void {
  const [first, second] = a.firstSeen <= b.firstSeen ? [a, b] : [b, a]
  into.absorb(first)
  into.absorb(second)
}

/**
 * Folds groups of one shape whose call paths are one path seen synchronously and after an await
 * (see `samePath`) into the one that ran most: one loop is one group.
 */
function foldPaths(groups: Group[], threshold: number): void {
  const order = groups.map((g, i) => ({ g, i, frames: g.siteKey === undefined ? undefined : pathFrames(g.siteKey) }))
  order.sort((x, y) => y.g.count - x.g.count || x.i - y.i)
  const kept: typeof order = []
  for (const item of order) {
    const into = item.frames === undefined ? undefined : kept.find((k) => k.frames !== undefined && samePath(k.frames, item.frames!))
    if (into === undefined) {
      kept.push(item)
      continue
    }
    const merged = new Group(into.g.siteKey, Math.min(into.g.firstSeen, item.g.firstSeen))
    absorbInOrder(merged, into.g, item.g)
    merged.alsoKeys = [...(into.g.alsoKeys ?? []), ...(item.g.alsoKeys ?? []), item.g.siteKey]
    into.g = merged
  }
  kept.sort((x, y) => x.i - y.i)
  // A loop whose next run is sent from the previous run's callback (or from any other path) has a
  // first run on a path of its own: a lone run sent from the same line just before a loop that is
  // a finding by itself joins it. It never tips a path over the threshold, so a helper called once
  // each from two lines stays clean.
  for (const lone of kept) {
    if (lone.g === undefined || lone.g.count !== 1 || lone.frames === undefined) continue
    const into = kept.filter(
      (k) => k !== lone && k.g !== undefined && k.g.count >= threshold && k.frames !== undefined && k.frames[0] === lone.frames![0] && lone.g.maxIssued < k.g.minIssued,
    )
    if (into.length !== 1) continue
    const target = into[0]!
    const merged = new Group(target.g.siteKey, Math.min(target.g.firstSeen, lone.g.firstSeen))
    absorbInOrder(merged, target.g, lone.g)
    merged.alsoKeys = [...(target.g.alsoKeys ?? []), lone.g.siteKey]
    target.g = merged
    lone.g = undefined as never
  }
  groups.length = 0
  for (const k of kept) if (k.g !== undefined) groups.push(k.g)
}

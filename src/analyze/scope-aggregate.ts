import { fixHint } from './fix-hint.js'
import type { AnalyzedQuery, Candidate, CandidateBase } from './types.js'

// Past this many distinct parameter sets a group stops remembering new ones: the count it reports
// is then a lower bound, which is all the rules need, and memory stays bounded.
const MAX_DISTINCT = 4096

class Group {
  count = 0
  totalDurationMs = 0
  parallel = false
  maxEnd = Number.NEGATIVE_INFINITY
  minIssued = Number.POSITIVE_INFINITY
  firstParam = 0
  distinct: Set<number> | undefined

  constructor(
    readonly siteKey: string | undefined,
    readonly firstSeen: number,
  ) {}

  add(q: AnalyzedQuery): void {
    if (this.count === 0) {
      this.firstParam = q.paramKey
    } else if (this.distinct === undefined) {
      if (q.paramKey !== this.firstParam) this.distinct = new Set([this.firstParam, q.paramKey])
    } else if (this.distinct.size < MAX_DISTINCT) {
      this.distinct.add(q.paramKey)
    }
    // Queries arrive in completion order, so an earlier one overlaps this one exactly when it
    // ended after this one was issued.
    if (q.issuedAt < this.maxEnd) this.parallel = true
    if (q.endedAt > this.maxEnd) this.maxEnd = q.endedAt
    if (q.issuedAt < this.minIssued) this.minIssued = q.issuedAt
    this.totalDurationMs += q.endedAt - q.startedAt
    this.count++
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
      this.firstParam = other.firstParam
      this.distinct = other.distinct === undefined ? undefined : new Set(other.distinct)
      return
    }
    if (this.minIssued < other.maxEnd && other.minIssued < this.maxEnd) this.parallel = true
    this.parallel ||= other.parallel
    const keys = this.distinct ?? new Set([this.firstParam])
    for (const k of other.distinct ?? [other.firstParam]) if (keys.size < MAX_DISTINCT) keys.add(k)
    this.distinct = keys.size > 1 ? keys : undefined
    this.count += other.count
    this.totalDurationMs += other.totalDurationMs
    this.maxEnd = Math.max(this.maxEnd, other.maxEnd)
    this.minIssued = Math.min(this.minIssued, other.minIssued)
  }

  get distinctParams(): number {
    return this.count === 0 ? 0 : (this.distinct?.size ?? 1)
  }
}

class ShapeEntry {
  readonly groups = new Map<string, Group>()
  unknown: Group | undefined
  constructor(readonly first: AnalyzedQuery) {}
}

/**
 * Everything one scope needs to decide on findings, updated query by query in O(1) memory per
 * (shape, call site) group: counts, distinct parameter sets, overlap and time stay exact however
 * many queries the scope runs.
 *
 * @example
 * const agg = new ScopeAggregate()
 * for (const q of queries) agg.add(q)
 * agg.candidates(2) // groups run at least twice
 */
export class ScopeAggregate {
  private readonly shapes = new Map<string, ShapeEntry>()
  private seen = 0

  /** Queries added so far, transaction control included. */
  get size(): number {
    return this.seen
  }

  /** Adds a finished query. Queries must be added in the order they finished. */
  add(q: AnalyzedQuery): void {
    const position = this.seen++
    // BEGIN / COMMIT / SAVEPOINT repeat in every loop that opens a transaction: never a finding.
    if (q.kind === 'transaction') return
    let entry = this.shapes.get(q.fingerprint)
    if (entry === undefined) {
      entry = new ShapeEntry(q)
      this.shapes.set(q.fingerprint, entry)
    }
    let group: Group | undefined
    if (q.siteKey === undefined) {
      group = entry.unknown ??= new Group(undefined, position)
    } else {
      group = entry.groups.get(q.siteKey)
      if (group === undefined) {
        group = new Group(q.siteKey, position)
        entry.groups.set(q.siteKey, group)
      }
    }
    group.add(q)
  }

  /**
   * Groups that ran at least `threshold` times, in the order their first query ran.
   *
   * A query whose call site was not captured (the first run of a shape n1guard had no reason to
   * watch yet) joins the shape's only known call site when that site is a finding by itself, so
   * loop counts stay exact; it never tips a site over the threshold, so one run from line A and
   * one from line B are never mistaken for a loop.
   */
  candidates(threshold: number): Candidate[] {
    const out: Candidate[] = []
    for (const entry of this.shapes.values()) {
      const groups = [...entry.groups.values()]
      if (entry.unknown !== undefined) {
        const only = groups.length === 1 ? groups[0]! : undefined
        if (only !== undefined && only.count >= threshold) {
          const merged = new Group(only.siteKey, Math.min(only.firstSeen, entry.unknown.firstSeen))
          merged.absorb(only)
          merged.absorb(entry.unknown)
          groups[0] = merged
        } else if (groups.length === 0) {
          groups.push(entry.unknown)
        }
      }
      for (const g of groups) {
        if (g.count < threshold) continue
        const q = entry.first
        const base: CandidateBase = {
          kind: g.distinctParams >= 2 ? 'n-plus-one' : 'duplicate',
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
          firstSeen: g.firstSeen,
        }
        out.push({ ...base, hint: fixHint(base) })
      }
    }
    return out.sort((a, b) => a.firstSeen - b.firstSeen)
  }
}

import { samePath, type Candidate, type CandidateBase, type PatternMember } from '../analyze/index.js'
import { resolveSite, resolveStack } from '../callsite/resolve-site.js'
import type { AdvisorPort } from './advisor-port.js'
import { bareTable } from './bare-table.js'
import { internalError } from './internal-error.js'
import { refineAnnotated, type QueryAnnotation } from './query-annotation.js'
import { describeValue, type ResolvedOptions } from './options.js'
import type { Scope } from './scope.js'
import { stableId } from './stable-id.js'
import type { Suppressions } from './suppressions.js'
import type { CallSite, Finding, FindingShape, FindingSource, ScopeInfo, Severity } from './types.js'

// A scope of capture() or a test helper, or one opened inside one: the advisor may read the
// catalog there whatever NODE_ENV says.
function testing(scope: Scope): boolean {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) if (!s.kind.report) return true
  return false
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 }
const NO_FINDINGS: readonly Finding[] = Object.freeze([])

function siteOf(scope: Scope, key: string | undefined): CallSite | undefined {
  const raw = key === undefined ? undefined : scope.sites?.get(key)
  return raw === undefined ? undefined : resolveSite(raw)
}

function stackOf(scope: Scope, key: string | undefined): CallSite[] | undefined {
  const raw = key === undefined ? undefined : scope.sites?.get(key)
  return raw === undefined ? undefined : resolveStack(raw)
}

// For each call path of a duplicate, the innermost frame that tells it apart from the others (two
// calls of one helper from two lines share the helper's frame and differ at the caller's).
function sitesOf(scope: Scope, keys: ReadonlyArray<string | undefined>): CallSite[] {
  const raws = keys.map((k) => (k === undefined ? undefined : scope.sites?.get(k)))
  const out: CallSite[] = []
  raws.forEach((raw) => {
    if (raw === undefined) return
    let at = 0
    while (
      at < raw.frameKeys.length - 1 &&
      raws.every((other) => other === undefined || other === raw || other.frameKeys[at] === raw.frameKeys[at])
    ) {
      at++
    }
    const stack = resolveStack(raw)
    out.push(stack[at] ?? stack[0]!)
  })
  return out
}

/**
 * The frames that name a finding in its id: the innermost one (the line that sent the query), and
 * when the scope reached that line from other callers too (a shared helper), the callers down to
 * the one that tells this path apart. A loop reached from several tests keeps one id; a helper
 * under two loops gets two.
 */
function idFrames(scope: Scope, key: string, stack: readonly CallSite[]): string {
  const raw = scope.sites?.get(key)
  let depth = 1
  if (raw !== undefined && scope.sites !== undefined) {
    for (const other of scope.sites.values()) {
      if (other === raw || other.frameKeys[0] !== raw.frameKeys[0] || samePath(other.frameKeys, raw.frameKeys)) continue
      let i = 1
      while (i < raw.frameKeys.length && other.frameKeys[i] === raw.frameKeys[i]) i++
      depth = Math.max(depth, i + 1)
    }
  }
  return stack
    .slice(0, depth)
    .map((s) => `${s.file}:${s.function ?? s.line}`)
    .join('\u0001')
}

function at(site: CallSite): string {
  return `${site.function ?? '<anonymous>'} (${site.file}:${site.line})`
}

// Which frame to change: the query's own line is often a repository helper that every caller
// shares; the loop is in a caller.
function withLoopFrame(hint: string, stack: readonly CallSite[] | undefined): string {
  if (stack === undefined || stack.length < 2) return hint
  const helper = stack[0]!.function ?? 'the first frame'
  const callers = stack
    .slice(1, 3)
    .map((s) => `${s.file}:${s.line}`)
    .join(', then ')
  return `${hint}. Fix it in the frame that loops over the rows: the query is sent from ${at(stack[0]!)}, called from ${callers}; when ${helper} is a data-access helper, the loop is in a caller (give the helper a batched variant that takes every key)`
}

function shapeOf(scope: Scope, m: PatternMember): FindingShape {
  const callSite = siteOf(scope, m.siteKey)
  const table = bareTable(m.tables[0])
  return {
    sql: m.shape,
    fingerprint: m.fingerprint,
    count: m.count,
    ...(callSite === undefined ? {} : { callSite }),
    ...(table === undefined ? {} : { table }),
  }
}

function sourceOf(scope: Scope, c: CandidateBase): FindingSource | undefined {
  const s = c.source
  if (s === undefined) return undefined
  const callSite = siteOf(scope, s.siteKey)
  const table = bareTable(s.tables[0])
  return {
    sql: s.shape,
    fingerprint: s.fingerprint,
    ...(callSite === undefined ? {} : { callSite }),
    ...(table === undefined ? {} : { table }),
    queries: s.queries,
    rowCount: s.rowCount,
    column: s.column,
    param: s.param,
  }
}

/**
 * Turns a closed scope's aggregate into findings: the analyzer's candidates, filtered by
 * `minSeverity`, with call sites resolved for display, marked `baselined` and dropped by ignore
 * rules (through `Suppressions`). Never throws: a failure is said once and yields no findings.
 *
 * @example
 * const own = new FindingBuilder(options, suppressions).build(scope)
 */
export class FindingBuilder {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly suppressions: Suppressions,
    /** The query advisor, when it is on: its findings join the analyzer's. */
    private readonly advisor: AdvisorPort | undefined = undefined,
  ) {}

  /** The scope's own findings (its children's are not included). */
  build(scope: Scope): readonly Finding[] {
    if (scope.queryCount === 0) return NO_FINDINGS
    try {
      const o = this.options
      const budget = this.budgetOf(scope)
      // Most scopes: no shape repeated, within budget, nothing the advisor noted.
      if (!scope.mayFind(budget) && scope.advisorNotes === undefined) return NO_FINDINGS
      let candidates = scope.aggregate.candidates({
        threshold: o.threshold,
        maxQueries: budget,
        requireMultiRowSource: o.requireMultiRowSource,
        minTotalDurationMs: o.minTotalDurationMs,
      })
      if (this.advisor !== undefined) {
        const advice = this.advisor.advise(scope, testing(scope), candidates)
        if (advice.length > 0) candidates = [...candidates, ...advice]
      }
      if (candidates.length === 0) return NO_FINDINGS
      const info = scope.info()
      const min = SEVERITY_RANK[o.minSeverity]
      const found: Finding[] = []
      const notes: Array<QueryAnnotation | undefined> = []
      for (const c of candidates) {
        if (SEVERITY_RANK[c.severity] < min) continue
        const finding = this.toFinding(c, scope, info)
        if (!this.suppressions.ignored(finding)) {
          found.push(finding)
          notes.push(c.annotation as QueryAnnotation | undefined)
        }
      }
      if (found.length === 0) return NO_FINDINGS
      // Integrations that annotated the queries (n1guard/graphql) say the findings in their terms.
      return notes.some((n) => n !== undefined) ? refineAnnotated(found, notes) : found
    } catch (error) {
      internalError('analyzing a scope', error)
      return NO_FINDINGS
    }
  }

  private budgetOf(scope: Scope): number | undefined {
    if (scope.maxQueries !== undefined) return scope.maxQueries
    const budget = this.options.maxQueries
    if (typeof budget !== 'function') return budget
    try {
      const value = budget(scope.info())
      if (value === undefined) return undefined
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TypeError(`maxQueries(scope) must return an integer >= 1 or undefined, got ${describeValue(value)}`)
      }
      return value
    } catch (error) {
      internalError('computing a scope query budget (the maxQueries function threw)', error)
      return undefined
    }
  }

  private toFinding(c: Candidate, scope: Scope, info: ScopeInfo): Finding {
    const callSite = siteOf(scope, c.siteKey)
    const stack = stackOf(scope, c.siteKey)
    const where = stack === undefined ? '' : idFrames(scope, c.siteKey!, stack)
    const sites = c.sites === undefined ? undefined : sitesOf(scope, c.sites)
    const table = bareTable(c.tables[0])
    const source = sourceOf(scope, c)
    let finding: Finding = {
      kind: c.kind,
      id: stableId(`${c.kind}\u0000${c.fingerprint}\u0000${where}`),
      fingerprint: c.fingerprint,
      sql: c.shape,
      count: c.count,
      distinctParams: c.distinctParams,
      ...(callSite === undefined ? {} : { callSite }),
      ...(stack === undefined ? {} : { stack }),
      ...(sites === undefined || sites.length < 2 ? {} : { sites }),
      parallel: c.parallel,
      totalDurationMs: c.totalDurationMs,
      scope: info,
      ...(table === undefined ? {} : { table }),
      hint: c.kind === 'n-plus-one' ? withLoopFrame(c.hint, stack) : c.hint,
      severity: c.severity,
      proven: source !== undefined,
      ...(source === undefined ? {} : { source }),
      ...(c.pattern === undefined ? {} : { pattern: c.pattern.map((m) => shapeOf(scope, m)) }),
      ...(c.budget === undefined ? {} : { budget: c.budget }),
      ...(c.topShapes === undefined ? {} : { topShapes: c.topShapes.map((m) => shapeOf(scope, m)) }),
      ...(c.index === undefined ? {} : { index: c.index }),
      ...(c.rowCount === undefined ? {} : { rowCount: c.rowCount }),
    }
    if (c.sampleParams !== undefined) finding = { ...finding, sampleParams: c.sampleParams }
    if (this.suppressions.baselined(finding)) finding = { ...finding, baselined: true }
    return finding
  }
}

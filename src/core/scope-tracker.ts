import { performance } from 'node:perf_hooks'
import { currentContext, runInContext, type ContextLink } from '../callsite/context-store.js'
import { failsOn } from './fails-on.js'
import { hasScopeEndListeners, publishScopeEnd } from './hub.js'
import { recordsOf } from './query-record.js'
import { deliverRecorded, type ScopeRecorder } from './recorder.js'
import { Scope, type ScopeKind } from './scope.js'
import { parseScopeInput } from './scope-input.js'
import { scopeOpened } from './scope-start.js'
import type { Finding, QueryRecord, ScopeInput } from './types.js'

// The first scopes of a process capture a call site for every query, so tests and the first
// requests after a start are exact; afterwards only shapes that repeat pay for a stack (see
// site-sampler.ts and docs/how-it-works.md).
const WARMUP_SCOPES = 1000
// After the warm-up, one scope in this many is exact too, so a loop of exactly `threshold`
// iterations (whose first run had no stack) is still found on some of its requests. An exact scope
// takes a stack for every statement (30–150 µs each on a server, caches cold after the round
// trip): at one in 1024 that averages about 0.1 µs per statement.
const EXACT_EVERY = 1024
const NONE: readonly Finding[] = Object.freeze([])
const NO_RECORDS: QueryRecord[] = []

/** What `endScope` hands back to the entry point that opened the scope. */
export interface ScopeEnd {
  /** The scope's findings, its nested scopes' included. */
  readonly findings: readonly Finding[]
  /** With `canThrow`: the findings the opener must reject with (new N+1s); else empty. */
  readonly thrown: readonly Finding[]
  /** The records the scope kept (`capture()`), nested scopes' included; empty otherwise. */
  readonly records: QueryRecord[]
  readonly truncated: number
}

/** How an entry point ends its scope. */
export interface EndOptions {
  /** The opener rejects with the scope's N+1s (`run` in 'throw' mode, when `fn` succeeded). */
  readonly canThrow?: boolean
  /** Run the reporters (false for a detector that is disabled). @default true */
  readonly report?: boolean
}

/** What the tracker needs from the rest of the detector when a scope ends. */
export interface ScopeEndWork {
  /** A closed scope's own findings. */
  build(scope: Scope): readonly Finding[]
  /** Reports a closed scope's own findings; `throwing`: the failing ones are thrown instead. */
  report(scope: Scope, throwing: boolean): void
}

/**
 * A detector's scope as a link of n1guard's one async context (see callsite/context-store.ts): the
 * scope each detector has in an async context is its newest link there.
 */
export interface ContextFrame extends ContextLink {
  readonly scope: Scope
  readonly owner: ScopeTracker
}

function insideCapture(scope: Scope): boolean {
  for (let s = scope.parent; s !== undefined; s = s.parent) if (!s.kind.report) return true
  return false
}

/**
 * The scopes of one detector: the AsyncLocalStorage that carries them, opening (warm-up and exact
 * sampling policy, nesting under the caller's scope, the scope-start event) and ending. Every entry
 * point (`run`, `capture`, `assertNoNPlusOne`, `startScope().end()`, `wrapJob`, `ignore`) ends its
 * scope with the one `endScope`: close → scope-end event → report → release.
 *
 * @example
 * const scope = tracker.open('GET /users', RUN, 'detector.run')
 * await tracker.als.run(scope, fn)
 * const { thrown } = tracker.endScope(scope, { canThrow: true })
 */
export class ScopeTracker {
  scopesOpened = 0
  /** Scopes open right now (paused ones not counted): a query with no scope while some are open has lost its context. */
  openScopes = 0
  private counter = 0
  /** Set while n1guard/panel records (see recorder.ts): every scope then keeps its records. */
  recorders: Set<ScopeRecorder> | undefined = undefined

  constructor(
    private readonly enabled: boolean,
    private readonly work: ScopeEndWork,
  ) {}

  /** This detector's scope in the caller's async context, open or not. */
  current(): Scope | undefined {
    for (let link = currentContext(); link !== undefined; link = link.next) {
      if ((link as Partial<ContextFrame>).owner === this) return (link as ContextFrame).scope
    }
    return undefined
  }

  /** Runs `fn` with `scope` as this detector's scope (other detectors' scopes stay as they are). */
  run<T>(scope: Scope, fn: () => T): T {
    const outer = currentContext()
    // Alone in the context (the usual case): the scope's own frame, made once.
    const alone = outer === undefined || ((outer as Partial<ContextFrame>).owner === this && outer.next === undefined)
    const frame: ContextFrame = alone ? ((scope.frame ??= { scope, owner: this, next: undefined }) as ContextFrame) : { scope, owner: this, next: outer }
    return runInContext(frame, fn)
  }

  /** The open scope a query issued now belongs to, or undefined (pass the query through). */
  activeScope(): Scope | undefined {
    if (!this.enabled) return undefined
    const scope = this.current()
    return scope === undefined || scope.ended || scope.kind.paused === true ? undefined : scope
  }

  /** True when the caller runs inside `detector.ignore()`. */
  paused(): boolean {
    return this.current()?.kind.paused === true
  }

  open(input: ScopeInput, kind: ScopeKind, what: string): Scope {
    let name: string | undefined
    let id: string | undefined
    let maxQueries: number | undefined
    if (typeof input === 'string') name = input
    else ({ name, id, maxQueries } = parseScopeInput(input, what))
    const store = this.current()
    // An ignore() block ends as soon as its function returns, but still parents what it starts
    // later: scopes opened inside it stay "inside" (see insideCapture).
    const parent = store === undefined || (store.ended && store.kind.paused !== true) ? undefined : store
    if (!kind.exact && (this.scopesOpened < WARMUP_SCOPES || this.scopesOpened % EXACT_EVERY === 0)) kind = { ...kind, exact: true }
    // Inside capture(), nested scopes (middleware served in-process) keep records for it.
    if (parent !== undefined && !parent.ended && parent.kind.keepRecords && !kind.keepRecords) {
      kind = { ...kind, keepRecords: true, exact: true }
    }
    if (this.recorders !== undefined && !kind.keepRecords && !kind.paused) kind = { ...kind, keepRecords: true }
    this.scopesOpened++
    if (!kind.paused) this.openScopes++
    const scope = new Scope(id, ++this.counter, name, parent, kind, performance.now(), maxQueries)
    scopeOpened(scope)
    return scope
  }

  /**
   * Ends a scope: findings made (rules and baseline applied), published to scope-end listeners,
   * handed up to an open parent, reported, and the scope's memory released. Ending an ended scope
   * returns its findings again and does nothing else.
   */
  endScope(scope: Scope, options?: EndOptions): ScopeEnd {
    if (scope.ended) return { findings: scope.findings, thrown: NONE, records: NO_RECORDS, truncated: scope.truncated }
    const canThrow = options?.canThrow === true
    const all = this.close(scope, canThrow)
    const thrown = canThrow && all.length > 0 ? all.filter(failsOn) : NONE
    if (options?.report !== false) this.work.report(scope, thrown.length > 0)
    const records = scope.kind.keepRecords ? recordsOf(scope) : NO_RECORDS
    const truncated = scope.truncated
    scope.release()
    return { findings: all, thrown, records, truncated }
  }

  private close(scope: Scope, surfaced: boolean): readonly Finding[] {
    scope.ended = true
    scope.endedAt = performance.now()
    if (!scope.kind.paused) this.openScopes--
    const own = this.work.build(scope)
    scope.ownFindings = own
    const all = scope.childFindings === undefined ? own : [...own, ...scope.childFindings]
    scope.findings = all
    if (hasScopeEndListeners()) {
      publishScopeEnd({
        scope: scope.info(),
        findings: own,
        queryCount: scope.queryCount,
        durationMs: scope.endedAt - scope.startedAt,
        surfaced: surfaced || !scope.kind.report || insideCapture(scope),
      })
    }
    if (this.recorders !== undefined) deliverRecorded(this, scope, own)
    const parent = scope.parent
    if (parent !== undefined && !parent.ended) {
      if (all.length > 0) (parent.childFindings ??= []).push(...all)
      if (parent.kind.keepRecords) {
        const mine = scope.childRecords === undefined ? scope.records : [...scope.records, ...scope.childRecords]
        ;(parent.childRecords ??= []).push(...mine)
      }
    }
    return all
  }
}

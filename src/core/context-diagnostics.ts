import { captureSite, type DepthHint } from '../callsite/capture-site.js'
import { resolveSite } from '../callsite/resolve-site.js'
import { internalError } from './internal-error.js'
import { printable } from './printable.js'
import type { ResolvedOptions } from './options.js'
import type { QueryTrace } from './query-trace.js'

const MAX_LOST_CONTEXT_WARNINGS = 5
/**
 * Most queries outside any scope let pass between two stack captures. A capture costs ~8 µs; a
 * query outside any scope on a busy server (background work while requests are open) would pay
 * it every time. Each capture that finds nothing new (a line already said, or no application frame)
 * doubles the gap, up to this, so the steady cost is a counter decrement; a line not yet said is
 * still found, once it has run a few hundred times at most.
 */
const MAX_CAPTURE_GAP = 1024

/** What the diagnostics read of the scope tracker. */
export interface OpenScopes {
  readonly openScopes: number
  /** True when the caller runs inside `detector.ignore()`. */
  paused(): boolean
}

/**
 * Says, once per line and at most five times per detector, that a query's async context looks
 * lost: it ran outside any scope while scopes were open, or it finished after its scope ended.
 *
 * @example
 * diagnostics.outside(entry, hint, tracker)
 */
export class ContextDiagnostics {
  private warnings = 0
  private readonly said = new Set<string>()
  /** Queries outside any scope to let pass before the next stack capture. */
  private skip = 0
  private gap = 1

  constructor(private readonly options: ResolvedOptions) {}

  /**
   * A statement was issued with no open scope while `scopes.openScopes` were open elsewhere. A
   * `detector.ignore()` block (`scopes.paused()`) is no lost context.
   */
  outside(entry: Function, hint: DepthHint, scopes: OpenScopes): void {
    const openScopes = scopes.openScopes
    if (openScopes === 0 || this.warnings >= MAX_LOST_CONTEXT_WARNINGS) return
    if (this.skip > 0) {
      this.skip--
      return
    }
    const o = this.options
    if (!o.warnOnLostContext || o.mode === 'silent' || !o.enabled || scopes.paused()) return
    try {
      const raw = captureSite(entry, hint)
      const site = raw === undefined ? undefined : resolveSite(raw)
      const where = site === undefined ? undefined : `${site.file}:${site.line}`
      if (where === undefined || this.said.has(`lost:${where}`)) {
        this.skip = this.gap
        this.gap = Math.min(this.gap * 2, MAX_CAPTURE_GAP)
        return
      }
      this.warnOnce(
        `lost:${where}`,
        `n1guard: a query ran outside any scope at ${where} while ${openScopes} scope(s) were open. If it belongs to a request or job, ` +
          `its async context was lost (a callback API, an event emitter, a timer): wrap the work in detector.run() or bind the callback ` +
          `with AsyncResource.bind(). Queries outside scopes are not checked. (said once for this line)`,
      )
    } catch (error) {
      internalError('checking a query outside any scope', error)
    }
  }

  /** A query of `trace.scope` finished after the scope ended (fire and forget). */
  late(trace: QueryTrace): void {
    if (this.warnings >= MAX_LOST_CONTEXT_WARNINGS) return
    const site = trace.site === undefined ? undefined : resolveSite(trace.site)
    const where = site === undefined ? 'an unknown call site' : `${site.file}:${site.line}`
    this.warnOnce(
      `late:${where}`,
      `n1guard: a query of ${trace.scope.name ?? `scope ${trace.scope.id}`} finished after the scope ended (at ${where}): ` +
        `fire-and-forget work is not checked; await it inside the scope, or run it in its own detector.run(). (said once for this line)`,
    )
  }

  private warnOnce(key: string, message: string): void {
    if (!this.options.warnOnLostContext || this.options.mode === 'silent' || this.said.has(key)) return
    this.said.add(key)
    this.warnings++
    try {
      process.stderr.write(`${printable(message)}\n`)
    } catch {
      // nowhere to say it
    }
  }
}

import { Baseline, type BaselineEntry } from './baseline.js'
import { whenProcessEnds } from './exit.js'
import { matchesIgnoreRule } from './ignore.js'
import { internalError } from './internal-error.js'
import { describeValue, type IgnoreRule, type ResolvedOptions } from './options.js'
import type { Finding } from './types.js'

/**
 * What keeps a finding from failing or being reported: ignore rules (with hit counts, to name
 * stale ones), the baseline file (known findings are marked, never fail), and the work done when
 * the process ends (writing the baseline in update mode, naming stale rules and entries).
 *
 * @example
 * const s = new Suppressions(options, () => tracker.scopesOpened)
 * if (!s.ignored(finding)) keep(finding)
 */
export class Suppressions {
  private readonly hits: number[]
  private readonly baseline: Baseline | undefined
  private readonly startedAt = Date.now()

  /** `scopesOpened`: how many scopes the detector opened so far (nothing is said for none). */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly scopesOpened: () => number,
  ) {
    this.hits = options.ignore.map(() => 0)
    this.baseline = options.baseline === undefined ? undefined : new Baseline(options.baseline)
    if (this.baseline !== undefined || (options.ignore.length > 0 && options.mode === 'warn')) {
      whenProcessEnds(this, () => this.onProcessEnd())
    }
  }

  /** True when an ignore rule matches the finding (counted as a hit for that rule). */
  ignored(f: Finding): boolean {
    const rules = this.options.ignore
    if (rules.length === 0) return false
    const subject = {
      sql: f.sql,
      fingerprint: f.fingerprint,
      kind: f.kind,
      ...(f.table === undefined ? {} : { table: f.table }),
      ...(f.callSite === undefined ? {} : { callSite: f.callSite }),
    }
    let hit = false
    rules.forEach((rule, i) => {
      try {
        if (matchesIgnoreRule(rule, subject)) {
          this.hits[i] = (this.hits[i] ?? 0) + 1
          hit = true
        }
      } catch (error) {
        internalError('evaluating an ignore rule', error)
      }
    })
    return hit
  }

  /** Notes the finding against the baseline; true when the baseline lists it. */
  baselined(f: Finding): boolean {
    return this.baseline?.check(f) === true
  }

  /** Ignore rules that have not silenced a single finding so far. */
  staleIgnoreRules(): IgnoreRule[] {
    return this.options.ignore.filter((_, i) => this.hits[i] === 0)
  }

  /** Baseline entries no finding of this process matched (empty without a baseline). */
  staleBaselineEntries(): BaselineEntry[] {
    return this.baseline?.stale() ?? []
  }

  private onProcessEnd(): void {
    const lines: string[] = []
    const opened = this.scopesOpened()
    if (this.baseline?.updating === true) {
      try {
        const { added, removed, total } = this.baseline.write(this.startedAt)
        lines.push(`n1guard: baseline ${this.baseline.path} written: ${total} known findings (${added} new, ${removed} no longer found).`)
      } catch (error) {
        internalError('writing the baseline file', error)
      }
    } else if (this.baseline !== undefined && opened > 0) {
      const stale = this.baseline.stale()
      if (stale.length > 0) {
        lines.push(
          `n1guard: ${stale.length} baseline entr${stale.length === 1 ? 'y was' : 'ies were'} not found in this process (fixed, or not exercised); ` +
            `rerun with N1GUARD_UPDATE_BASELINE=1 to drop fixed ones from ${this.baseline.path}.`,
        )
      }
    }
    if (this.options.mode === 'warn' && opened > 0) {
      const stale = this.staleIgnoreRules()
      if (stale.length > 0) {
        lines.push(
          `n1guard: ignore rule${stale.length === 1 ? '' : 's'} that never matched a finding in this process: ` +
            `${stale.map((r) => (r instanceof RegExp ? String(r) : describeValue(r))).join(', ')}; remove or fix ${stale.length === 1 ? 'it' : 'them'}.`,
        )
      }
    }
    if (lines.length > 0) {
      try {
        process.stderr.write(`${lines.join('\n')}\n`)
      } catch {
        // stderr closed at exit
      }
    }
  }
}

import type { Reporter, ScopeReport } from '../core/types.js'
import { printable } from '../core/printable.js'
import { MAX_SHAPES_PER_SCOPE } from '../core/scope.js'
import { COLORS, formatFinding, PLAIN, type Palette } from './format-finding.js'

/** Options of `consoleReporter`. */
export interface ConsoleReporterOptions {
  /**
   * Colour the output. Default: when the stream is a TTY and neither NO_COLOR nor
   * NODE_DISABLE_COLORS is set (FORCE_COLOR forces it on).
   */
  readonly colors?: boolean
  /** Where to write. @default process.stderr */
  readonly stream?: { write(chunk: string): unknown; isTTY?: boolean }
  /** Longest SQL shape printed before it is cut. @default 600 */
  readonly maxSql?: number
}

function wantColors(stream: { isTTY?: boolean }): boolean {
  const env = process.env
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true
  if (env.NO_COLOR !== undefined || env.NODE_DISABLE_COLORS !== undefined) return false
  return stream.isTTY === true
}

/** Said once per scope report, after its findings. */
function untrackedLine(report: ScopeReport, untracked: number, palette: Palette): string {
  const scope = printable(report.scope.name ?? `scope ${report.scope.id}`)
  return palette.dim(
    `n1guard: ${scope} ran more than ${MAX_SHAPES_PER_SCOPE.toLocaleString('en')} distinct SQL shapes; ` +
      `${untracked.toLocaleString('en')} ${untracked === 1 ? 'query' : 'queries'} of further shapes were counted, not checked for N+1`,
  )
}

/**
 * Prints one readable warning per finding when a scope ends: the SQL shape, the count, the call
 * site `file:line`, the scope name and a one-line fix. Parameter values are never printed.
 *
 * @example
 * createDetector({ reporters: [consoleReporter({ colors: false })] })
 */
export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stderr
  const maxSql = options.maxSql ?? 600
  return {
    report(report: ScopeReport): void {
      const untracked = report.untrackedQueries ?? 0
      if (report.findings.length === 0 && untracked === 0) return
      const palette = options.colors ?? wantColors(stream) ? COLORS : PLAIN
      const lines: string[] = []
      for (const f of report.findings) lines.push(...formatFinding(f, palette, { maxSql }), '')
      if (untracked > 0) lines.push(untrackedLine(report, untracked, palette), '')
      stream.write(`${lines.join('\n')}\n`)
    },
  }
}

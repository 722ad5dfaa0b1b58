import type { CallSite, Finding } from '../core/types.js'

/** Colour functions; identity when the output is not a terminal. */
export interface Palette {
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
  readonly red: (s: string) => string
}

const id = (s: string): string => s
const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`

/** No colours. */
export const PLAIN: Palette = { bold: id, dim: id, yellow: id, cyan: id, red: id }
/** ANSI colours for terminals. */
export const COLORS: Palette = {
  bold: ansi(1, 22),
  dim: ansi(2, 22),
  yellow: ansi(33, 39),
  cyan: ansi(36, 39),
  red: ansi(31, 39),
}

/** `file:line:column (function)` for a call site, or a note when it is unknown. */
export function formatCallSite(site: CallSite | undefined): string {
  if (site === undefined) return '(call site unknown: no application frame on the stack)'
  const where = `${site.file}:${site.line}:${site.column}`
  return site.function === undefined ? where : `${where} (${site.function})`
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`
}

/** Caps a SQL shape for terminal output; error messages keep the whole shape. */
export function clip(sql: string, max: number): string {
  return sql.length <= max ? sql : `${sql.slice(0, max - 1)}…`
}

/** The headline: what kind of problem and how often. */
export function findingTitle(f: Finding): string {
  const what = f.kind === 'n-plus-one' ? 'N+1 query' : 'duplicate query'
  return `${what}: ${f.count} × the same ${f.kind === 'n-plus-one' ? 'shape' : 'query'}${f.table === undefined ? '' : ` on ${f.table}`}`
}

/**
 * A finding as readable lines: headline, SQL shape, call site, numbers, fix.
 *
 * @example
 * formatFinding(finding, PLAIN, { maxSql: 400 }).join('\n')
 */
export function formatFinding(f: Finding, palette: Palette = PLAIN, options: { maxSql?: number } = {}): string[] {
  const sql = options.maxSql === undefined ? f.sql : clip(f.sql, options.maxSql)
  const scope = f.scope.name === undefined ? `scope ${f.scope.id}` : f.scope.name
  const details = [
    `${f.count} queries`,
    `${f.distinctParams} distinct parameter set${f.distinctParams === 1 ? '' : 's'}`,
    `${ms(f.totalDurationMs)} total`,
  ]
  if (f.parallel) details.push('in parallel')
  const color = f.kind === 'n-plus-one' ? palette.yellow : palette.cyan
  return [
    `${color(palette.bold(`n1guard: ${findingTitle(f)}`))} ${palette.dim(`in ${scope}`)}`,
    `  ${palette.bold(sql)}`,
    `  at ${formatCallSite(f.callSite)}`,
    `  ${palette.dim(details.join(', '))}`,
    `  fix: ${f.hint}`,
  ]
}

import { explainResolver, explainSource } from '../core/explain.js'
import { printable } from '../core/printable.js'
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

/** `file:line:column (function)` for a call site, or a note when it is unknown; control characters escaped. */
export function formatCallSite(site: CallSite | undefined): string {
  if (site === undefined) return '(call site unknown: no application frame on the stack)'
  const where = `${site.file}:${site.line}:${site.column}`
  return printable(site.function === undefined ? where : `${where} (${site.function})`)
}

/** Frames of a finding's stack shown in text output; the rest are in `finding.stack`. */
const STACK_LINES = 4

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`
}

/** Caps a SQL shape for terminal output; error messages keep the whole shape. */
export function clip(sql: string, max: number): string {
  return sql.length <= max ? sql : `${sql.slice(0, max - 1)}…`
}

/** The headline: what kind of problem and how often; control characters escaped. */
export function findingTitle(f: Finding): string {
  return printable(title(f))
}

function title(f: Finding): string {
  const on = f.table === undefined ? '' : ` on ${f.table}`
  if (f.kind === 'query-budget') return `query budget exceeded: ${f.count} queries, budget ${f.budget ?? '?'}`
  if (f.kind === 'duplicate') return `duplicate query: ${f.count} × the same query${on}`
  if (f.kind === 'missing-index') {
    const i = f.index
    return `missing index: ${i === undefined ? f.table ?? '?' : `${i.table} (${i.columns.join(', ')})`}, ${f.count} × the same query${i?.planNode === undefined ? '' : `, ${i.planNode}`}`
  }
  if (f.kind === 'deep-offset') return `deep OFFSET page: ${f.count} × an OFFSET past the threshold${on}`
  if (f.kind === 'unbounded-select') return `unbounded SELECT: ${f.rowCount ?? '?'} rows without a LIMIT${on}`
  if (f.pattern !== undefined && f.pattern.length > 1) {
    return `N+1 query: ${f.count} × a loop of ${f.pattern.length} queries per row (${f.pattern.map((m) => m.table ?? '?').join(', ')})`
  }
  return `N+1 query: ${f.count} × the same shape${on}`
}

/**
 * A finding as readable lines: headline, SQL shape, call site, numbers, fix. Every value that came
 * from outside (SQL, names, files) has its control characters escaped: one line each, no escape
 * sequence but the palette's own.
 *
 * @example
 * formatFinding(finding, PLAIN, { maxSql: 400 }).join('\n')
 */
export function formatFinding(f: Finding, palette: Palette = PLAIN, options: { maxSql?: number } = {}): string[] {
  const clipped = (s: string) => printable(options.maxSql === undefined ? s : clip(s, options.maxSql))
  const sql = clipped(f.sql)
  const scope = printable(f.scope.name === undefined ? `scope ${f.scope.id}` : f.scope.name)
  const details =
    f.kind === 'query-budget'
      ? [`${ms(f.totalDurationMs)} in queries`]
      : f.kind === 'deep-offset' || f.kind === 'unbounded-select'
        ? [`${f.count} ${f.count === 1 ? 'query' : 'queries'}`, `${ms(f.totalDurationMs)} total`]
        : [`${f.count} queries`, `${f.distinctParams} distinct parameter set${f.distinctParams === 1 ? '' : 's'}`, `${ms(f.totalDurationMs)} total`]
  if (f.parallel) details.push('in parallel')
  details.push(`severity ${f.severity}`)
  if (f.baselined === true) details.push('known (baseline)')
  const color = f.kind === 'n-plus-one' ? palette.yellow : palette.cyan
  const lines = [`${color(palette.bold(`n1guard: ${findingTitle(f)}`))} ${palette.dim(`in ${scope}`)}`]
  if (f.kind === 'query-budget') {
    for (const t of f.topShapes ?? []) lines.push(`  ${t.count} × ${palette.bold(clipped(t.sql))}`, `      at ${formatCallSite(t.callSite)}`)
  } else {
    const graphql = explainResolver(f)
    if (graphql !== undefined) lines.push(`  graphql: ${graphql}`)
    lines.push(`  ${palette.bold(sql)}`, `  at ${formatCallSite(f.callSite)}`)
    // The callers, so the loop is in view when the query is sent from a shared helper.
    const callers = f.stack?.slice(1, STACK_LINES) ?? []
    for (const s of callers) lines.push(palette.dim(`     called from ${formatCallSite(s)}`))
    if (f.stack !== undefined && f.stack.length > STACK_LINES) lines.push(palette.dim(`     … ${f.stack.length - STACK_LINES} more frames`))
    for (const s of f.sites ?? []) lines.push(`  sent from ${formatCallSite(s)}`)
    for (const m of f.pattern?.slice(1) ?? []) lines.push(`  and per row: ${palette.bold(clipped(m.sql))}`, `      at ${formatCallSite(m.callSite)}`)
    const proof = explainSource(f)
    if (proof !== undefined) lines.push(`  proof: ${printable(proof)}`, `      the first query ran at ${formatCallSite(f.source?.callSite)}`)
  }
  lines.push(`  ${palette.dim(details.join(', '))}`, `  fix: ${printable(f.hint)}`)
  return lines
}

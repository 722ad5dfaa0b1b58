import type { Finding } from '../core/types.js'
import { renderPage } from './render-page.js'
import { scopesFromFindings, type PanelScope } from './view-model.js'

/** What `renderReport` turns into a page: scopes from the panel, or bare findings (grouped by scope). */
export interface ReportInput {
  readonly title?: string
  /** Scopes with their queries (the panel's `report.html`). */
  readonly scopes?: readonly PanelScope[]
  /** Findings, for example `jsonReporter` lines; grouped into one scope per `scope.id`. */
  readonly findings?: readonly Finding[]
}

/**
 * One self-contained HTML file (inline CSS and script, nothing loaded from the network) with the
 * panel's views: every scope, its findings, and its waterfall when the input has timings.
 *
 * @example
 * writeFileSync('n1guard-report.html', renderReport({ findings: readFindingsNdjson(readFileSync('findings.ndjson', 'utf8')) }))
 */
export function renderReport(input: ReportInput): string {
  const scopes = [...(input.scopes ?? []), ...(input.findings === undefined ? [] : scopesFromFindings(input.findings))]
  return renderPage({ mode: 'static', title: input.title ?? 'n1guard report', scopes })
}

/**
 * The findings in `jsonReporter` output (one JSON object per line); lines that are not findings
 * (other logs mixed in, a truncated last line) are skipped.
 *
 * @example
 * readFindingsNdjson('{"kind":"n-plus-one","sql":"select …","count":20,…}\n').length // 1
 */
export function readFindingsNdjson(text: string): Finding[] {
  const out: Finding[] = []
  for (const line of text.split(/\r?\n/)) {
    const start = line.indexOf('{')
    if (start < 0) continue
    let value: unknown
    try {
      value = JSON.parse(line.slice(start))
    } catch {
      continue
    }
    if (value === null || typeof value !== 'object') continue
    const f = value as Partial<Finding>
    if (typeof f.kind !== 'string') continue
    // jsonReporter may be told to write fewer fields: fill what the page needs.
    out.push({
      ...(f as Finding),
      scope: f.scope !== null && typeof f.scope === 'object' && typeof f.scope.id === 'string' ? f.scope : { id: '(unknown scope)' },
      sql: typeof f.sql === 'string' ? f.sql : '',
      count: typeof f.count === 'number' ? f.count : 0,
      fingerprint: typeof f.fingerprint === 'string' ? f.fingerprint : typeof f.sql === 'string' ? f.sql : '',
      hint: typeof f.hint === 'string' ? f.hint : '',
      severity: f.severity ?? 'medium',
    } as Finding)
  }
  return out
}

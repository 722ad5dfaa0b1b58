/**
 * The local query panel and the static HTML report: every recent scope with a waterfall of its
 * queries, its queries grouped by shape, its findings, and EXPLAIN. Development only.
 *
 * @example
 * import { startPanel } from 'n1guard/panel'
 * const panel = await startPanel(detector, { pool }) // prints: n1guard panel: http://127.0.0.1:4874/
 * @module n1guard/panel
 */
export { startPanel, type Panel, type PanelOptions } from './start-panel.js'
export type { ExplainPool } from './explain-runner.js'
export { renderReport, readFindingsNdjson, type ReportInput } from './report.js'
export type { PanelFinding, PanelQuery, PanelScope, PanelScopeSummary, PanelShape } from './view-model.js'

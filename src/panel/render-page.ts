import { CLIENT_CSS } from './client-css.js'
import { CLIENT_JS } from './client-script.js'
import type { PanelScope } from './view-model.js'

/** What the page is: the live panel (reads the server) or a static report (data inlined). */
export type PageInput =
  | { readonly mode: 'live'; readonly title: string; readonly maxScopes: number }
  | { readonly mode: 'static'; readonly title: string; readonly scopes: readonly PanelScope[]; readonly generatedAt?: number }

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

// JSON inside <script>: `<` escaped so no value (a scope name like `</script><img onerror=…>`)
// can close the element; U+2028/2029 for old parsers.
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/**
 * The one HTML document behind both the panel and the report: inline CSS and script, no external
 * asset, and a Content-Security-Policy that lets the report load nothing at all.
 */
export function renderPage(input: PageInput): string {
  const live = input.mode === 'live'
  const csp = live
    ? "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
    : "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
  const data = live
    ? { mode: 'live', maxScopes: input.maxScopes }
    : { mode: 'static', scopes: input.scopes, generatedAt: input.generatedAt ?? Date.now() }
  const subtitle = live ? 'query panel' : 'report'
  const right = live
    ? '<a href="report.html" download="n1guard-report.html">Download HTML report</a><span class="dot" id="status"></span><span>connecting…</span>'
    : `<span class="dot" id="status"></span><span>generated ${escapeHtml(new Date((data as { generatedAt: number }).generatedAt).toISOString().replace('T', ' ').slice(0, 19))} UTC</span>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(input.title)}</title>
<style>${CLIENT_CSS}</style>
</head>
<body>
<header class="top"><div class="brand">n1guard<span>${subtitle}</span></div><div class="status">${right}</div></header>
<main>
<aside>
<div class="filters"><input type="search" id="filter-route" placeholder="Filter by route or name" aria-label="Filter by route or name"><select id="filter-kind" aria-label="Finding kind"><option value="">All kinds</option></select><label><input type="checkbox" id="filter-findings"> Only with findings</label></div>
<div class="count-line" id="count-line"></div>
<ul class="scopes" id="scopes"></ul>
</aside>
<section class="detail" id="detail"><div class="empty">Select a scope to see its queries.</div></section>
</main>
<script type="application/json" id="n1guard-data">${jsonForScript(data)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`
}

// The page's stylesheet, inlined into the panel and the HTML report (no external assets).
export const CLIENT_CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--line:#e3e6eb;--text:#1d2330;--muted:#667085;--accent:#2563eb;--hot:#dc2626;--warn:#d97706;--ok:#16a34a;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);background:var(--bg);display:flex;flex-direction:column}
header.top{display:flex;align-items:center;gap:14px;padding:10px 18px;background:#111827;color:#f9fafb}
header.top .brand{font-weight:700;font-size:16px;letter-spacing:.2px}
header.top .brand span{font-weight:400;color:#9ca3af;margin-left:6px}
header.top .status{margin-left:auto;font-size:12px;color:#d1d5db;display:flex;align-items:center;gap:6px}
header.top .dot{width:8px;height:8px;border-radius:50%;background:#6b7280}
header.top .dot.on{background:#22c55e;box-shadow:0 0 0 3px rgba(34,197,94,.25)}
header.top a{color:#93c5fd;font-size:12px;text-decoration:none}
main{flex:1;display:flex;min-height:0}
aside{width:360px;min-width:300px;border-right:1px solid var(--line);background:var(--panel);display:flex;flex-direction:column;min-height:0}
.filters{padding:10px 12px;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:12px;color:var(--muted)}
.filters input[type=search]{flex:1 1 140px;padding:5px 8px;border:1px solid var(--line);border-radius:6px;font:inherit;color:var(--text)}
.filters select{padding:4px 6px;border:1px solid var(--line);border-radius:6px;font:inherit;color:var(--text);background:#fff}
.filters label{display:flex;align-items:center;gap:4px;cursor:pointer}
.count-line{padding:6px 12px;font-size:12px;color:var(--muted);border-bottom:1px solid var(--line)}
ul.scopes{list-style:none;margin:0;padding:0;overflow:auto;flex:1}
li.scope-item{padding:9px 12px;border-bottom:1px solid #f0f1f4;cursor:pointer;border-left:3px solid transparent}
li.scope-item:hover{background:#f8fafc}
li.scope-item.selected{background:#eff6ff;border-left-color:var(--accent)}
li.scope-item.has-findings{border-left-color:#fca5a5}
li.scope-item.selected.has-findings{border-left-color:var(--hot)}
.scope-row{display:flex;align-items:baseline;gap:8px}
.scope-name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;flex:1}
.scope-time{font-size:11px;color:var(--muted);font-variant-numeric:tabular-nums}
.scope-meta{font-size:12px;color:var(--muted);margin-top:2px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.badge{display:inline-block;padding:1px 7px;border-radius:999px;font-size:11px;font-weight:600;background:#e5e7eb;color:#374151;white-space:nowrap}
.badge.kind-n-plus-one{background:#fee2e2;color:#991b1b}
.badge.kind-duplicate{background:#fef3c7;color:#92400e}
.badge.kind-query-budget{background:#ede9fe;color:#5b21b6}
.badge.kind-missing-index,.badge.kind-deep-offset,.badge.kind-unbounded-select{background:#dbeafe;color:#1e40af}
.sev{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.4px}
.sev-high{color:var(--hot)}.sev-medium{color:var(--warn)}.sev-low{color:var(--muted)}
section.detail{flex:1;overflow:auto;padding:18px 24px 40px}
.empty{color:var(--muted);padding:40px 10px;text-align:center}
h2.scope-title{margin:0 0 4px;font-size:20px;word-break:break-all}
.scope-facts{display:flex;flex-wrap:wrap;gap:18px;color:var(--muted);font-size:13px;margin-bottom:18px}
.scope-facts b{color:var(--text);font-variant-numeric:tabular-nums}
h3{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);margin:22px 0 8px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin-bottom:10px}
.finding{border-left:4px solid var(--hot)}
.finding.kind-duplicate{border-left-color:var(--warn)}
.finding.kind-query-budget{border-left-color:#7c3aed}
.finding.kind-missing-index,.finding.kind-deep-offset,.finding.kind-unbounded-select{border-left-color:var(--accent)}
.finding-head{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:8px}
.finding-head .headline{font-weight:600}
pre.sql{margin:0 0 8px;padding:8px 10px;background:#f8fafc;border:1px solid #eef0f3;border-radius:6px;font:12.5px/1.5 var(--mono);white-space:pre-wrap;word-break:break-word}
dl.facts{display:grid;grid-template-columns:110px 1fr;gap:3px 12px;margin:0;font-size:13px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-word;white-space:pre-wrap}
code,.mono{font-family:var(--mono);font-size:12.5px}
.waterfall{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 12px 10px}
.wf-axis,.wf-row{display:grid;grid-template-columns:minmax(180px,34%) 1fr 70px;gap:10px;align-items:center}
.wf-axis{font-size:11px;color:var(--muted);border-bottom:1px solid var(--line);padding-bottom:4px;margin-bottom:4px}
.wf-ticks{position:relative;height:14px}
.wf-ticks span{position:absolute;transform:translateX(-50%);font-variant-numeric:tabular-nums;white-space:nowrap}
.wf-ticks span:first-child{transform:none}.wf-ticks span:last-child{transform:translateX(-100%)}
.wf-row{height:20px;font-size:12px}
.wf-row:hover{background:#f8fafc}
.wf-label{font-family:var(--mono);font-size:11.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#374151}
.wf-label .idx{color:var(--muted);display:inline-block;min-width:26px}
.wf-track{position:relative;height:12px;background:repeating-linear-gradient(90deg,transparent 0,transparent calc(25% - 1px),#eef0f3 calc(25% - 1px),#eef0f3 25%)}
.wf-bar{position:absolute;top:1px;height:10px;border-radius:3px;min-width:2px;background:#94a3b8}
.wf-bar.hot{background:var(--hot)}
.wf-bar.err{background:#111827}
.wf-dur{text-align:right;font-variant-numeric:tabular-nums;color:var(--muted);font-size:11.5px}
.c0{background:#60a5fa}.c1{background:#34d399}.c2{background:#a78bfa}.c3{background:#fbbf24}.c4{background:#f472b6}.c5{background:#22d3ee}.c6{background:#a3e635}.c7{background:#fb923c}
table.shapes{width:100%;border-collapse:collapse;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
table.shapes th{font-size:11px;text-transform:uppercase;letter-spacing:.5px;color:var(--muted);text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);background:#fafbfc}
table.shapes td{padding:7px 10px;border-bottom:1px solid #f0f1f4;vertical-align:top}
table.shapes td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.shapes td.sqlcell{font-family:var(--mono);font-size:12px;word-break:break-word}
table.shapes tr.hot td.num:first-child{color:var(--hot);font-weight:700}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
button.explain{font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:6px;cursor:pointer;white-space:nowrap}
button.explain:hover{background:#eff6ff}
button.explain:disabled{border-color:var(--line);color:#9ca3af;cursor:not-allowed;background:#fafafa}
.why{display:block;font-size:11px;color:var(--muted);margin-top:3px;max-width:260px}
pre.plan{margin:0;padding:10px 12px;background:#0f172a;color:#e2e8f0;border-radius:6px;font:12px/1.5 var(--mono);white-space:pre-wrap;overflow:auto}
.plan-error{color:var(--hot);font-size:12px}
.note{font-size:12px;color:var(--muted);margin:6px 0}
.tag{font-size:11px;padding:1px 6px;border-radius:4px;background:#f1f5f9;color:#475569}
`

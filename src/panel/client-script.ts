// The page's script, inlined into the panel and the HTML report: one renderer for both. It builds
// the DOM with textContent only, so SQL, scope names and file paths (which come from requests)
// always render as text. Plain ES2017 in a string: the page loads nothing from anywhere.
export const CLIENT_JS = String.raw`
(function () {
  'use strict'
  var cfg = JSON.parse(document.getElementById('n1guard-data').textContent)
  var live = cfg.mode === 'live'
  var MAX = cfg.maxScopes || 200
  var scopes = []
  var details = {}
  var selectedId = null
  var filters = { findings: false, route: '', kind: '' }
  var KIND_LABEL = { 'n-plus-one': 'N+1', 'duplicate': 'duplicate', 'query-budget': 'query budget' }
  var KIND_ORDER = ['n-plus-one', 'duplicate', 'query-budget']
  var KNOWN_FIELDS = ['kind', 'id', 'fingerprint', 'sql', 'count', 'distinctParams', 'callSite', 'parallel', 'totalDurationMs', 'scope', 'table',
    'hint', 'sampleParams', 'severity', 'proven', 'source', 'pattern', 'budget', 'topShapes', 'baselined', 'proof', 'stack', 'time', 'level', 'msg']

  function el(tag, cls, text) {
    var e = document.createElement(tag)
    if (cls) e.className = cls
    if (text !== undefined && text !== null) e.textContent = String(text)
    return e
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i])
    return parent
  }
  function kindLabel(k) { return KIND_LABEL[k] || String(k).replace(/-/g, ' ') }
  function kindClass(k) { return 'kind-' + String(k).replace(/[^a-z0-9-]/gi, '') }
  function ms(x) {
    if (typeof x !== 'number' || !isFinite(x)) return '-'
    if (x < 1) return x.toFixed(2) + ' ms'
    if (x < 100) return x.toFixed(1) + ' ms'
    return Math.round(x) + ' ms'
  }
  function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n }
  function clock(t) {
    if (typeof t !== 'number') return ''
    var d = new Date(t)
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3)
  }
  function day(t) {
    var d = new Date(t)
    return d.getFullYear() + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2)
  }
  function site(cs) {
    if (!cs) return 'unknown'
    return cs.file + ':' + cs.line + ':' + cs.column + (cs.function ? ' (' + cs.function + ')' : '')
  }
  function sortedKinds(kinds) {
    return Object.keys(kinds || {}).sort(function (a, b) {
      var ia = KIND_ORDER.indexOf(a), ib = KIND_ORDER.indexOf(b)
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1)
    })
  }
  function badge(kind, n) {
    var b = el('span', 'badge ' + kindClass(kind), kindLabel(kind) + (n > 1 ? ' \u00d7' + n : ''))
    b.setAttribute('data-kind', kind)
    return b
  }
  function hasFindings(s) { return Object.keys(s.kinds || {}).length > 0 }

  // ---- scope list -------------------------------------------------------------------------------
  var list = document.getElementById('scopes')
  var countLine = document.getElementById('count-line')
  var kindSelect = document.getElementById('filter-kind')
  var knownKinds = {}

  function matches(s) {
    if (filters.findings && !hasFindings(s)) return false
    if (filters.route && String(s.name || '').toLowerCase().indexOf(filters.route) < 0) return false
    if (filters.kind && !(s.kinds && s.kinds[filters.kind])) return false
    return true
  }
  function noteKinds(s) {
    Object.keys(s.kinds || {}).forEach(function (k) {
      if (knownKinds[k]) return
      knownKinds[k] = true
      var o = el('option', null, kindLabel(k))
      o.value = k
      kindSelect.appendChild(o)
    })
  }
  function scopeItem(s) {
    var li = el('li', 'scope-item' + (hasFindings(s) ? ' has-findings' : '') + (s.id === selectedId ? ' selected' : ''))
    li.setAttribute('data-scope-id', s.id)
    var row = add(el('div', 'scope-row'), el('span', 'scope-name', s.name || '(unnamed scope)'), el('span', 'scope-time', clock(s.startedAt)))
    var meta = el('div', 'scope-meta')
    add(meta, el('span', 'q', s.queryCount + (s.queryCount === 1 ? ' query' : ' queries')), el('span', null, '\u00b7'), el('span', 'qt', ms(s.queryMs) + ' in SQL'))
    sortedKinds(s.kinds).forEach(function (k) { meta.appendChild(badge(k, s.kinds[k])) })
    add(li, row, meta)
    li.tabIndex = 0
    li.addEventListener('click', function () { select(s.id) })
    li.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(s.id) } })
    return li
  }
  function renderList() {
    list.textContent = ''
    var shown = 0
    scopes.forEach(function (s) {
      if (!matches(s)) return
      shown++
      list.appendChild(scopeItem(s))
    })
    if (shown === 0) list.appendChild(el('li', 'empty', scopes.length === 0 ? (live ? 'Waiting for scopes: make a request to your app.' : 'No scopes in this report.') : 'No scope matches the filters.'))
    var withF = scopes.filter(hasFindings).length
    countLine.textContent = scopes.length + (scopes.length === 1 ? ' scope' : ' scopes') + ', ' + withF + ' with findings' + (shown !== scopes.length ? ' (' + shown + ' shown)' : '')
  }

  document.getElementById('filter-findings').addEventListener('change', function (e) { filters.findings = e.target.checked; renderList() })
  document.getElementById('filter-route').addEventListener('input', function (e) { filters.route = e.target.value.trim().toLowerCase(); renderList() })
  kindSelect.addEventListener('change', function (e) { filters.kind = e.target.value; renderList() })

  // ---- one scope --------------------------------------------------------------------------------
  var detail = document.getElementById('detail')

  function select(id) {
    selectedId = id
    if (location.hash !== '#scope=' + encodeURIComponent(id)) history.replaceState(null, '', '#scope=' + encodeURIComponent(id))
    Array.prototype.forEach.call(list.children, function (li) { li.classList.toggle('selected', li.getAttribute('data-scope-id') === id) })
    if (details[id]) return renderDetail(details[id])
    if (!live) return renderMissing(id)
    detail.textContent = ''
    detail.appendChild(el('div', 'empty', 'Loading\u2026'))
    fetch('api/scopes/' + encodeURIComponent(id)).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status)
      return r.json()
    }).then(function (d) {
      details[id] = d
      if (selectedId === id) renderDetail(d)
    }).catch(function () { if (selectedId === id) renderMissing(id) })
  }
  function renderMissing(id) {
    detail.textContent = ''
    detail.appendChild(el('div', 'empty', 'Scope ' + id + ' is no longer held (the panel keeps the last ' + MAX + ').'))
  }

  function fact(label, value) { return add(el('span'), document.createTextNode(label + ' '), el('b', null, value)) }

  function renderDetail(s) {
    detail.textContent = ''
    var head = el('div')
    add(head, el('h2', 'scope-title', s.name || '(unnamed scope)'))
    var facts = el('div', 'scope-facts')
    add(facts, fact('queries', String(s.queryCount)), fact('query time', ms(s.queryMs)))
    if (typeof s.durationMs === 'number') facts.appendChild(fact('duration', ms(s.durationMs)))
    if (typeof s.startedAt === 'number') facts.appendChild(fact('at', day(s.startedAt) + ' ' + clock(s.startedAt)))
    facts.appendChild(fact('id', s.id))
    add(head, facts)
    detail.appendChild(head)

    var hotShapes = {}
    ;(s.findings || []).forEach(function (f) { if (f.fingerprint) hotShapes[f.fingerprint] = true })

    detail.appendChild(el('h3', null, 'Findings (' + (s.findings || []).length + ')'))
    if (!s.findings || s.findings.length === 0) detail.appendChild(el('div', 'note', 'No findings in this scope.'))
    else s.findings.forEach(function (f) { detail.appendChild(findingCard(f)) })

    var color = {}
    ;(s.shapes || []).forEach(function (sh, i) { color[sh.fingerprint] = 'c' + (i % 8) })

    detail.appendChild(el('h3', null, 'Waterfall'))
    detail.appendChild(waterfall(s, color, hotShapes))

    detail.appendChild(el('h3', null, 'Queries by shape (' + (s.shapes || []).length + ')'))
    detail.appendChild(shapeTable(s, color, hotShapes))
  }

  function findingCard(f) {
    var card = el('div', 'card finding ' + kindClass(f.kind))
    card.setAttribute('data-finding-kind', f.kind)
    var head = el('div', 'finding-head')
    var headline
    if (f.kind === 'query-budget') headline = f.count + ' queries, over the budget of ' + f.budget
    else if (f.kind === 'n-plus-one' || f.kind === 'duplicate') {
      headline = f.count + ' \u00d7 the same shape' + (typeof f.distinctParams === 'number' ? ', ' + f.distinctParams + ' distinct parameter set' + (f.distinctParams === 1 ? '' : 's') : '')
    } else {
      headline = kindLabel(f.kind) + (f.table ? ' on ' + f.table : '') + (typeof f.count === 'number' && f.count > 0 ? ', ' + f.count + (f.count === 1 ? ' query' : ' queries') : '')
    }
    add(head, badge(f.kind, 1), el('span', 'sev sev-' + f.severity, f.severity || ''), el('span', 'headline', headline))
    if (f.parallel) head.appendChild(el('span', 'tag', 'parallel'))
    if (f.baselined) head.appendChild(el('span', 'tag', 'baselined'))
    card.appendChild(head)
    if (f.sql) card.appendChild(el('pre', 'sql', f.sql))
    var dl = el('dl', 'facts')
    function row(k, v, cls) { if (v === undefined || v === null || v === '') return; add(dl, el('dt', null, k), el('dd', cls || null, v)) }
    row('Call site', f.callSite ? site(f.callSite) : undefined, 'mono callsite')
    if (f.stack && f.stack.length > 1) row('Stack', f.stack.map(site).join('\n'), 'mono stack')
    row('Proof', f.proof, 'proof')
    row('Fix', f.hint, 'hint')
    if (f.table) row('Table', f.table)
    if (typeof f.totalDurationMs === 'number') row('Time spent', ms(f.totalDurationMs))
    if (f.pattern && f.pattern.length > 1) row('Per row', f.pattern.map(function (p) { return p.count + ' \u00d7 ' + p.sql }).join('\n'), 'mono')
    if (f.topShapes) row('Top shapes', f.topShapes.map(function (p) { return p.count + ' \u00d7 ' + p.sql }).join('\n'), 'mono')
    if (f.sampleParams) row('Sample params', f.sampleParams.map(function (p) { return JSON.stringify(p) }).join('  '), 'mono')
    // Kinds and fields this page does not know (the advisor's, a newer n1guard's) still show.
    Object.keys(f).forEach(function (k) {
      if (KNOWN_FIELDS.indexOf(k) >= 0) return
      var v = f[k]
      if (v === undefined || v === null || v === '') return
      row(k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, function (c) { return c.toUpperCase() }), typeof v === 'object' ? JSON.stringify(v) : String(v), typeof v === 'object' ? 'mono extra' : 'extra')
    })
    card.appendChild(dl)
    return card
  }

  function waterfall(s, color, hot) {
    var box = el('div', 'waterfall')
    var qs = s.queries || []
    if (!s.timed) {
      box.appendChild(el('div', 'note', 'This input holds findings only, no per-query timings: open the live panel (n1guard/panel) for the waterfall.'))
      return box
    }
    if (qs.length === 0) { box.appendChild(el('div', 'note', 'No queries recorded in this scope.')); return box }
    var span = typeof s.durationMs === 'number' ? s.durationMs : 0
    qs.forEach(function (q) { span = Math.max(span, q.offsetMs + q.durationMs) })
    if (!(span > 0)) span = 1
    var axis = el('div', 'wf-axis')
    var ticks = el('div', 'wf-ticks')
    ;[0, 0.25, 0.5, 0.75, 1].forEach(function (p) { var t = el('span', null, ms(span * p)); t.style.left = (p * 100) + '%'; ticks.appendChild(t) })
    add(axis, el('span', null, qs.length + ' queries, from the scope\u2019s start'), ticks, el('span', 'wf-dur', 'duration'))
    box.appendChild(axis)
    qs.forEach(function (q, i) {
      var row = el('div', 'wf-row')
      row.setAttribute('data-fingerprint', q.fingerprint)
      var label = el('div', 'wf-label')
      add(label, el('span', 'idx', i + 1), document.createTextNode(q.sql))
      label.title = q.sql + (q.callSite ? '\n' + site(q.callSite) : '') + (q.params ? '\nparams: ' + JSON.stringify(q.params) : '') + (q.error ? '\n' + q.error : '')
      var track = el('div', 'wf-track')
      var bar = el('div', 'wf-bar ' + (q.error ? 'err' : hot[q.fingerprint] ? 'hot' : (color[q.fingerprint] || 'c0')))
      bar.style.left = (q.offsetMs / span * 100).toFixed(3) + '%'
      bar.style.width = Math.max(q.durationMs / span * 100, 0.25).toFixed(3) + '%'
      bar.setAttribute('data-offset', String(q.offsetMs))
      bar.setAttribute('data-duration', String(q.durationMs))
      bar.title = ms(q.offsetMs) + ' + ' + ms(q.durationMs) + (typeof q.rowCount === 'number' ? ', ' + q.rowCount + ' rows' : '')
      track.appendChild(bar)
      add(row, label, track, el('div', 'wf-dur', ms(q.durationMs)))
      box.appendChild(row)
    })
    if (s.truncated > 0) box.appendChild(el('div', 'note', s.truncated + ' more queries not shown (per-scope cap).'))
    return box
  }

  function shapeTable(s, color, hot) {
    var t = el('table', 'shapes')
    var head = el('tr')
    ;['Count', 'Time', 'SQL shape', ''].forEach(function (h) { head.appendChild(el('th', null, h)) })
    add(t, add(el('thead'), head))
    var body = el('tbody')
    ;(s.shapes || []).forEach(function (sh) {
      var tr = el('tr', 'shape-row' + (hot[sh.fingerprint] ? ' hot' : ''))
      tr.setAttribute('data-fingerprint', sh.fingerprint)
      var sqlCell = el('td', 'sqlcell')
      var sw = el('span', 'swatch ' + (hot[sh.fingerprint] ? '' : (color[sh.fingerprint] || 'c0')))
      if (hot[sh.fingerprint]) sw.style.background = 'var(--hot)'
      add(sqlCell, sw, document.createTextNode(sh.sql))
      var act = el('td')
      if (sh.kind === 'select') {
        var btn = el('button', 'explain', 'EXPLAIN')
        btn.type = 'button'
        if (sh.explain === true && live) {
          btn.addEventListener('click', function () { runExplain(s.id, sh.fingerprint, tr, btn) })
        } else {
          btn.disabled = true
          var why = sh.explain === true ? 'EXPLAIN runs in the live panel.' : sh.explain
          btn.title = why
          add(act, btn, el('span', 'why', why))
          btn = null
        }
        if (btn) act.appendChild(btn)
      }
      add(tr, el('td', 'num count', sh.count), el('td', 'num', ms(sh.totalMs)), sqlCell, act)
      body.appendChild(tr)
    })
    t.appendChild(body)
    return t
  }

  function runExplain(scopeId, fingerprint, tr, btn) {
    var next = tr.nextSibling
    if (next && next.classList && next.classList.contains('plan-row')) next.parentNode.removeChild(next)
    var planRow = el('tr', 'plan-row')
    var cell = el('td')
    cell.colSpan = 4
    cell.appendChild(el('div', 'note', 'Running EXPLAIN\u2026'))
    planRow.appendChild(cell)
    tr.parentNode.insertBefore(planRow, tr.nextSibling)
    btn.disabled = true
    fetch('api/explain', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-n1guard-panel': '1' },
      body: JSON.stringify({ scope: scopeId, fingerprint: fingerprint }),
    }).then(function (r) { return r.json() }).then(function (res) {
      cell.textContent = ''
      if (res.plan) cell.appendChild(el('pre', 'plan', res.plan))
      else cell.appendChild(el('div', 'plan-error', res.error || 'EXPLAIN failed'))
    }).catch(function (e) {
      cell.textContent = ''
      cell.appendChild(el('div', 'plan-error', 'EXPLAIN failed: ' + e.message))
    }).then(function () { btn.disabled = false })
  }

  // ---- data sources -----------------------------------------------------------------------------
  function addScope(summary) {
    for (var i = 0; i < scopes.length; i++) if (scopes[i].id === summary.id) return
    scopes.unshift(summary)
    if (scopes.length > MAX) {
      var gone = scopes.splice(MAX)
      gone.forEach(function (g) { delete details[g.id] })
    }
    noteKinds(summary)
  }
  function initialSelection() {
    var m = /^#scope=(.+)$/.exec(location.hash)
    if (m) return select(decodeURIComponent(m[1]))
    if (!live) {
      var first = scopes.filter(hasFindings)[0] || scopes[0]
      if (first) select(first.id)
    }
  }

  var status = document.getElementById('status')
  if (!live) {
    ;(cfg.scopes || []).slice().reverse().forEach(function (s) { details[s.id] = s; addScope(s) })
    renderList()
    initialSelection()
  } else {
    // Subscribe first and hold what arrives until the list is in: no scope falls between the two.
    var loaded = false
    var pending = []
    var es = new EventSource('events')
    es.addEventListener('open', function () { status.classList.add('on'); status.nextSibling.textContent = 'live' })
    es.addEventListener('error', function () { status.classList.remove('on'); status.nextSibling.textContent = 'reconnecting\u2026' })
    es.addEventListener('scope', function (e) {
      var summary = JSON.parse(e.data)
      if (!loaded) return pending.push(summary)
      addScope(summary)
      renderList()
    })
    fetch('api/scopes').then(function (r) { return r.json() }).then(function (all) {
      all.slice().reverse().forEach(addScope)
      pending.forEach(addScope)
      loaded = true
      renderList()
      initialSelection()
    })
  }
})()
`

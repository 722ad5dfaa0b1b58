// The query panel and the HTML report as a person uses them: the demo app with the panel, driven
// in a real headless Chromium (playwright-core; the browser comes from npm install, see
// test/support/browser.ts). Imports n1guard by name, from the built dist/.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { searchPath } from '../../examples/support/pet-shop-db.js'
import { launchChromium } from '../support/browser.js'
import type { PanelDemo } from '../support/panel-demo.js'
import { onSchema } from '../support/schema-path.js'
import { siteOf } from '../support/sites.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "quotes"'

let browser: Browser
let demo: PanelDemo
let started = 0

beforeAll(async () => {
  started = performance.now()
  // Built in place (no rm -rf dist): other test files may be reading dist/ right now.
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root })
  const { startPanelDemo } = await import('../support/panel-demo.js')
  ;[demo, browser] = await Promise.all([startPanelDemo(inject('databaseUrl')), launchChromium()])
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
  process.stdout.write(`panel browser tests: ${((performance.now() - started) / 1000).toFixed(1)} s including build and browser start\n`)
})

async function openPanel(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  await page.goto(demo.panelUrl)
  await page.locator('#status.on').waitFor()
  return page
}

const item = (page: Page, name: string) => page.locator('li.scope-item').filter({ has: page.locator('.scope-name', { hasText: name }) })

describe('query panel in a browser', () => {
  test('an N+1 request appears live; opened, its waterfall is a staircase with the grouped counts and the finding', async () => {
    const page = await openPanel()
    expect(await page.locator('li.scope-item .scope-name', { hasText: 'GET /people/slow' }).count()).toBe(0)
    const body = await fetch(`${demo.base}/people/slow`).then((r) => r.json())
    expect(body).toHaveLength(20)

    // Live: no reload, the scope arrives over Server-Sent Events.
    const row = item(page, 'GET /people/slow').first()
    await row.waitFor()
    expect(await row.locator('.q').textContent()).toBe('21 queries')
    expect(await row.locator('.badge').allTextContents()).toEqual(['N+1'])

    await row.click()
    const bars = page.locator('.waterfall .wf-bar')
    await bars.first().waitFor()
    expect(await bars.count()).toBe(21)
    const spans = await bars.evaluateAll((els) => els.map((e) => ({ offset: Number(e.getAttribute('data-offset')), duration: Number(e.getAttribute('data-duration')), left: parseFloat((e as unknown as { style: { left: string } }).style.left) })))
    // A sequential loop: each query starts after the one before it ended, and the bars step right.
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.offset).toBeGreaterThanOrEqual(spans[i - 1]!.offset + spans[i - 1]!.duration - 0.001)
      expect(spans[i]!.left).toBeGreaterThan(spans[i - 1]!.left)
    }
    expect(await page.locator('.wf-bar.hot').count()).toBe(20)

    const counts = await page.locator('tr.shape-row').evaluateAll((rows) => rows.map((r) => [r.querySelector('.count')!.textContent, r.querySelector('.sqlcell')!.textContent]))
    expect(counts).toEqual([
      ['20', 'select "name", "species" from "pet" where "owner_id" = ? order by "id"'],
      ['1', 'select "id", "name" from "person" order by "id"'],
    ])

    const card = page.locator('.card.finding')
    expect(await card.count()).toBe(1)
    const loop = siteOf(pathToFileURL(join(root, 'examples', 'demo', 'app.ts')).href, 'loop')
    expect(await card.locator('.callsite').textContent()).toContain(`${loop.file}:${loop.line}:`)
    expect(await card.locator('.proof').textContent()).toBe('1 query on person returned 20 rows; its id column fed 20 queries on pet')
    expect(await card.locator('.sev').textContent()).toBe('high')
    expect(await card.locator('.hint').textContent()).toContain("where('owner_id', 'in', ids)")
    await page.close()
  }, 60_000)

  test('a Promise.all loop looks parallel: its bars overlap, and the finding says parallel', async () => {
    const page = await openPanel()
    await demo.parallelJob('job parallel-pets')
    await item(page, 'job parallel-pets').first().click()
    await page.locator('.wf-bar').first().waitFor()
    const spans = await page.locator('.wf-bar.hot').evaluateAll((els) => els.map((e) => ({ offset: Number(e.getAttribute('data-offset')), duration: Number(e.getAttribute('data-duration')) })))
    expect(spans).toHaveLength(8)
    const overlapping = spans.some((a, i) => spans.some((b, j) => i !== j && a.offset < b.offset + b.duration && b.offset < a.offset + a.duration))
    expect(overlapping).toBe(true)
    expect(await page.locator('.card.finding .tag').allTextContents()).toContain('parallel')
    await page.close()
  }, 60_000)

  test('EXPLAIN on the loop shape shows the plan (EXPLAIN only, never ANALYZE)', async () => {
    await fetch(`${demo.base}/people/slow`).then((r) => r.text())
    const page = await openPanel()
    await item(page, 'GET /people/slow').first().click()
    const hot = page.locator('tr.shape-row.hot')
    await hot.locator('button.explain').click()
    const plan = page.locator('pre.plan')
    await plan.waitFor()
    const text = (await plan.textContent()) ?? ''
    expect(text).toMatch(/Scan on pet/)
    expect(text).toMatch(/cost=/)
    expect(text).not.toMatch(/actual time/)
    await page.close()
  }, 60_000)

  test('a hostile scope name renders as text, and nothing in it runs', async () => {
    const page = await openPanel()
    await demo.detector.run(HOSTILE, () => demo.pool.query('select 1'))
    // The demo's detector instruments Kysely, not this raw pool: the scope has no queries but shows.
    const name = page.locator('li.scope-item .scope-name', { hasText: 'window.__pwned' }).first()
    await name.waitFor()
    expect(await name.textContent()).toBe(HOSTILE)
    await name.click()
    expect(await page.locator('h2.scope-title').textContent()).toBe(HOSTILE)
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined()
    expect(await page.locator('main img, main script').count()).toBe(0)
    // A request path the app does not route never reaches a scope name (route patterns only):
    // it is the fixed `GET (unmatched)`.
    await fetch(`${demo.base}/<marquee>x</marquee>`).then((r) => r.text())
    await page.locator('li.scope-item .scope-name', { hasText: 'GET (unmatched)' }).first().waitFor()
    expect(await page.locator('li.scope-item .scope-name', { hasText: 'marquee' }).count()).toBe(0)
    expect(await page.locator('main marquee').count()).toBe(0)
    await page.close()
  }, 60_000)

  test('filters: only scopes with findings, by route, by kind', async () => {
    await fetch(`${demo.base}/people/fast`).then((r) => r.text())
    const page = await openPanel()
    await item(page, 'GET /people/fast').first().waitFor()
    const names = () => page.locator('li.scope-item .scope-name').allTextContents()
    await page.locator('#filter-findings').check()
    expect(await names()).not.toContain('GET /people/fast')
    expect(await names()).toContain('GET /people/slow')
    await page.locator('#filter-findings').uncheck()
    await page.locator('#filter-route').fill('people/fa')
    expect(new Set(await names())).toEqual(new Set(['GET /people/fast']))
    await page.locator('#filter-route').fill('')
    await page.locator('#filter-kind').selectOption('n-plus-one')
    const withKind = await names()
    expect(withKind.length).toBeGreaterThan(0)
    expect(withKind).not.toContain('GET /people/fast')
    await page.close()
  }, 60_000)

  test('without captureParams the EXPLAIN button is disabled and says why', async () => {
    const { createDetector } = await import('n1guard')
    const { instrumentPool } = await import('n1guard/pg')
    const { startPanel } = await import('n1guard/panel')
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(onSchema(new pg.Pool({ connectionString: inject('databaseUrl'), options: searchPath(demo.schema), max: 2 }), demo.schema), detector)
    const panel = await startPanel(detector, { pool, port: 0, log: false })
    try {
      await detector.run('GET /people/:id', async () => {
        for (const id of [1, 2, 3]) await pool.query('select name from pet where owner_id = $1', [id])
      })
      const page = await browser.newPage()
      await page.goto(panel.url)
      await item(page, 'GET /people/:id').first().click()
      const button = page.locator('tr.shape-row button.explain')
      expect(await button.isDisabled()).toBe(true)
      expect(await page.locator('tr.shape-row .why').textContent()).toContain('captureParams: true')
      // and no parameter value reached the page
      const api = await page.evaluate(async () => (await fetch('api/scopes')).text())
      expect(api).not.toContain('"params"')
      await page.close()
    } finally {
      await panel.close()
      await pool.end()
    }
  }, 60_000)
})

describe('HTML report in a browser', () => {
  test('npx n1guard report turns jsonReporter lines into one file that opens offline', async () => {
    const { createDetector, jsonReporter } = await import('n1guard')
    const { instrumentPool } = await import('n1guard/pg')
    const lines: string[] = []
    const detector = createDetector({ reporters: [jsonReporter({ stream: { write: (s: string) => lines.push(s) } })] })
    const pool = instrumentPool(onSchema(new pg.Pool({ connectionString: inject('databaseUrl'), options: searchPath(demo.schema), max: 2 }), demo.schema), detector)
    try {
      await detector.run(HOSTILE, async () => {
        const people = await pool.query<{ id: number }>('select id from person order by id limit 5')
        for (const p of people.rows) await pool.query('select name from pet where owner_id = $1', [p.id])
      })
    } finally {
      await pool.end()
    }
    expect(lines.length).toBe(1)
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-report-'))
    try {
      const ndjson = join(dir, 'findings.ndjson')
      const html = join(dir, 'report.html')
      writeFileSync(ndjson, `not json, a log line\n${lines.join('')}`)
      const { stdout } = await run(process.execPath, [join(root, 'dist', 'panel', 'cli.js'), 'report', ndjson, '-o', html], { cwd: root })
      expect(stdout).toBe(`n1guard: 1 finding in 1 scope written to ${html}\n`)
      expect(readFileSync(html, 'utf8')).not.toMatch(/<(?:link|img)\b|src=["']http/)

      const page = await browser.newPage()
      const requests: string[] = []
      page.on('request', (r) => requests.push(r.url()))
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()))
      await page.goto(pathToFileURL(html).href)
      expect(await page.locator('li.scope-item .scope-name').allTextContents()).toEqual([HOSTILE])
      expect(await page.locator('h2.scope-title').textContent()).toBe(HOSTILE)
      expect(await page.locator('.card.finding .badge').textContent()).toBe('N+1')
      expect(await page.locator('tr.shape-row .count').textContent()).toBe('5')
      expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined()
      expect(requests.every((u) => u.startsWith('file:'))).toBe(true)
      await page.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  test('a finding kind the page does not know (the advisor\'s) renders generically, extra fields included', async () => {
    const { renderReport } = await import('n1guard/panel')
    const advice = {
      kind: 'missing-index',
      id: 'a1',
      fingerprint: 'f1',
      sql: 'select * from "pet" where "owner_id" = ?',
      count: 20,
      distinctParams: 20,
      parallel: false,
      totalDurationMs: 12,
      scope: { id: 's1', name: 'GET /people/slow' },
      table: 'pet',
      hint: 'create index on pet (owner_id)',
      severity: 'medium',
      proven: false,
      suggestedIndex: 'create index pet_owner_id_idx on pet (owner_id)',
    }
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-report-'))
    try {
      const file = join(dir, 'advice.html')
      writeFileSync(file, renderReport({ findings: [advice as never] }))
      const page = await browser.newPage()
      await page.goto(pathToFileURL(file).href)
      expect(await page.locator('li.scope-item .badge').allTextContents()).toEqual(['missing index'])
      const card = page.locator('.card.finding')
      expect(await card.getAttribute('data-finding-kind')).toBe('missing-index')
      expect(await card.locator('.headline').textContent()).toBe('missing index on pet, 20 queries')
      expect(await card.locator('.hint').textContent()).toBe('create index on pet (owner_id)')
      expect(await card.locator('.extra').textContent()).toBe('create index pet_owner_id_idx on pet (owner_id)')
      await page.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  test("the panel's report.html download holds the waterfall and works offline", async () => {
    const html = await fetch(new URL('report.html', demo.panelUrl), { headers: {} }).then((r) => r.text())
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-report-'))
    try {
      const file = join(dir, 'panel-report.html')
      writeFileSync(file, html)
      const page = await browser.newPage()
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()))
      await page.goto(pathToFileURL(file).href)
      await item(page, 'GET /people/slow').first().click()
      expect(await page.locator('.wf-bar').count()).toBe(21)
      expect(await page.locator('button.explain').first().isDisabled()).toBe(true)
      await page.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

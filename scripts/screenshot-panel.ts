// `npm run screenshot:panel`: docs/panel.png, the query panel on the demo app, as a user sees it
// after a few requests with the N+1 scope open and one EXPLAIN run.
import { fileURLToPath } from 'node:url'
import { startPostgres } from '../examples/support/postgres.js'
import { launchChromium } from '../test/support/browser.js'
import { startPanelDemo } from '../test/support/panel-demo.js'

const out = fileURLToPath(new URL('../docs/panel.png', import.meta.url))
const server = await startPostgres()
const demo = await startPanelDemo(server.url, { advisor: true })
const browser = await launchChromium()
try {
  await fetch(`${demo.base}/people/fast`).then((r) => r.text())
  await demo.parallelJob()
  // Twice, as the demo does: the first request starts the advisor's catalog lookups.
  await fetch(`${demo.base}/people/slow`).then((r) => r.text())
  await new Promise((resolve) => setTimeout(resolve, 500))
  await fetch(`${demo.base}/people/slow`).then((r) => r.text())
  await fetch(`${demo.base}/people/fast`).then((r) => r.text())
  const page = await browser.newPage({ viewport: { width: 1440, height: 1500 }, deviceScaleFactor: 1 })
  await page.goto(demo.panelUrl)
  await page.locator('li.scope-item', { hasText: 'GET /people/slow' }).first().click()
  await page.locator('.wf-bar').first().waitFor()
  const loop = page.locator('tr.shape-row.hot').first()
  await loop.locator('button.explain').click()
  await page.locator('pre.plan').waitFor()
  await page.locator('#detail').evaluate((el) => el.scrollTo(0, 0))
  await page.screenshot({ path: out })
  process.stdout.write(`wrote ${out}\n`)
} finally {
  await browser.close()
  await demo.close()
  await server.stop()
}

// `npm run demo`: starts PostgreSQL (embedded, or DATABASE_URL), seeds a pet shop, serves the app
// of ./app.ts with the query panel (n1guard/panel), calls its N+1 endpoint and its one-query
// endpoint, and prints what n1guard found. `npm run demo -- --panel` (or N1GUARD_PANEL=1) keeps the
// app and the panel running until Ctrl+C, so you can look at the page.
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { consoleReporter, createDetector, type ScopeReport } from 'n1guard'
import { startPanel } from 'n1guard/panel'
import { createPetShopSchema, dropSchema, searchPath } from '../support/pet-shop-db.js'
import { startPostgres } from '../support/postgres.js'
import { createApp } from './app.js'

const PEOPLE = 20
const KEEP_OPEN = process.argv.includes('--panel') || process.env.N1GUARD_PANEL === '1'
// Ctrl+C reaches the embedded PostgreSQL too (same process group): it may be gone before cleanup.
let interrupted = false
const bold = (s: string) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[22m` : s)

async function main(): Promise<void> {
  const started = Date.now()
  process.stdout.write(`${bold('n1guard demo')}: an Express + Kysely app on a real PostgreSQL\n`)
  const server = await startPostgres()
  // A schema of its own, so the demo can run against any DATABASE_URL without touching its tables.
  const schema = await createPetShopSchema(server.url, { people: PEOPLE, petsPerPerson: 2, toysPerPet: 1 }, 'demo')
  const pool = new pg.Pool({ connectionString: server.url, options: searchPath(schema), max: 4 })
  try {
    // On purpose: the demo's pet.owner_id foreign key loses its index, so the advisor has the
    // classic to find (the N+1 below filters on it).
    await pool.query('drop index pet_owner_id')
    process.stdout.write(`PostgreSQL ${server.embedded ? '(embedded) ' : ''}is up and seeded: ${PEOPLE} people, ${PEOPLE * 2} pets\n\n`)

    const reports: ScopeReport[] = []
    const detector = createDetector({
      // Parameter values stay in this process; the panel needs them to EXPLAIN a statement.
      captureParams: true,
      reporters: [consoleReporter({ stream: process.stdout }), (report) => reports.push(report)],
      // The query advisor reads the catalog and EXPLAINs on a client of its own made from this
      // pool. It does so by default only where NODE_ENV is development or test; the demo says so.
      advisor: { database: pool, catalog: true, explain: true },
    })
    for (const fk of await detector.checkSchema(pool)) {
      process.stdout.write(`${bold('checkSchema')}: foreign key ${fk.table} (${fk.columns.join(', ')}) -> ${fk.references} has no index: ${fk.createIndex}\n`)
    }
    process.stdout.write('\n')
    const { app, db } = createApp(pool, detector)
    const http = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => http.once('listening', resolve))
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    // The query panel: every request's queries on one page (a free port unless kept open).
    const panel = await startPanel(detector, { pool, ...(KEEP_OPEN ? {} : { port: 0 }) })
    process.stdout.write('\n')

    const results: Array<{ path: string; queries: number; findings: number; advice: string[]; ms: number; body: string }> = []
    // The slow endpoint twice: the first request starts the advisor's catalog lookups (they never
    // hold up a request), the second is reported with the facts it found.
    for (const path of ['/people/slow', '/people/fast', '/people/slow']) {
      process.stdout.write(`${bold(`GET ${path}`)}\n`)
      const t0 = performance.now()
      const response = await fetch(base + path)
      const body = await response.text()
      const ms = performance.now() - t0
      // The scope ends on the response's 'finish' event, right after the body is sent.
      while (reports.length < results.length + 1) await new Promise((resolve) => setImmediate(resolve))
      const report = reports[results.length]!
      const loops = report.findings.filter((f) => f.kind === 'n-plus-one').length
      const advice = report.findings.filter((f) => f.kind !== 'n-plus-one').map((f) => f.kind)
      results.push({ path, queries: report.queryCount, findings: loops, advice, ms, body })
      const people = (JSON.parse(body) as unknown[]).length
      process.stdout.write(
        `  -> ${response.status}, ${people} people with their pets, ${report.queryCount} ${report.queryCount === 1 ? 'query' : 'queries'}, ` +
          `${loops === 0 ? 'no N+1' : `${loops} N+1 finding`}${advice.length === 0 ? '' : `, advisor: ${advice.join(', ')}`} (${ms.toFixed(1)} ms)\n\n`,
      )
    }
    const [slow, fast, again] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]]
    const same = JSON.stringify(JSON.parse(slow.body)) === JSON.stringify(JSON.parse(fast.body))
    process.stdout.write(
      `${bold('Summary')}: the same response (${same ? 'identical JSON' : 'DIFFERENT JSON'}) from ${slow.queries} queries ` +
        `and from ${fast.queries}. n1guard named the line of the loop and the fix, and the advisor the index the loop lacks.\n`,
    )
    if (KEEP_OPEN) {
      process.stdout.write(`\nThe app is at ${base}/people/slow and the panel at ${panel.url} (Ctrl+C to stop).\n`)
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
      interrupted = true
    } else {
      process.stdout.write(`The panel closes with the demo; keep it open with: npm run demo -- --panel\n`)
    }
    await panel.close()
    await new Promise<void>((resolve) => http.close(() => resolve()))
    await db.destroy()
    if (!same || slow.findings !== 1 || fast.findings !== 0 || again.findings !== 1 || !again.advice.includes('missing-index') || fast.advice.length > 0) {
      throw new Error(`unexpected demo outcome: ${JSON.stringify(results.map(({ body: _b, ...r }) => r))}`)
    }
  } finally {
    await pool.end().catch(() => undefined)
    await dropSchema(server.url, schema).catch((error: unknown) => {
      if (!interrupted) throw error
    })
    await server.stop()
  }
  process.stdout.write(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

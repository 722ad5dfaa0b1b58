// `npx tsx examples/fastify/main.ts` (after `npm run build`): starts PostgreSQL (embedded, or
// DATABASE_URL), seeds a pet shop in a schema of its own, serves the Fastify app of ./app.ts,
// calls its N+1 endpoint and its one-query endpoint, and prints what n1guard found.
import { consoleReporter, createDetector } from 'n1guard'
import { runExample } from '../support/pet-shop-db.js'
import { ReportQueue } from '../support/report-queue.js'
import { createApp } from './app.js'

const PETS_PER_PERSON = 5

runExample({ people: 3, petsPerPerson: PETS_PER_PERSON, toysPerPet: 2 }, async (pool) => {
  process.stdout.write('n1guard Fastify example: a Fastify + Kysely app on a real PostgreSQL\n\n')
  const reports = new ReportQueue()
  const detector = createDetector({ reporters: [consoleReporter({ stream: process.stdout }), reports.reporter] })
  const { app, db } = await createApp(pool, detector)
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const outcomes = []
    for (const path of ['/owners/1/pets/slow', '/owners/1/pets/fast']) {
      process.stdout.write(`GET ${path}\n`)
      const response = await fetch(base + path)
      const body = await response.text()
      // The scope ends in onResponse, right after the body is sent.
      const report = await reports.next()
      outcomes.push({ path, body, report })
      const n = report.queryCount
      process.stdout.write(
        `  -> ${response.status}, scope "${report.scope.name}", ${n} ${n === 1 ? 'query' : 'queries'}, ` +
          `${report.findings.length === 0 ? 'no N+1' : `${report.findings.length} N+1 finding`}\n\n`,
      )
    }
    const [slow, fast] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]]
    const same = JSON.stringify(JSON.parse(slow.body)) === JSON.stringify(JSON.parse(fast.body))
    process.stdout.write(
      `Summary: the same response (${same ? 'identical JSON' : 'DIFFERENT JSON'}) from ${slow.report.queryCount} queries ` +
        `and from ${fast.report.queryCount}.\n`,
    )
    const finding = slow.report.findings[0]
    if (!same || slow.report.findings.length !== 1 || finding?.count !== PETS_PER_PERSON || fast.report.findings.length !== 0) {
      throw new Error(`unexpected outcome: ${JSON.stringify(outcomes.map((o) => o.report))}`)
    }
  } finally {
    await app.close()
    await db.destroy()
  }
})

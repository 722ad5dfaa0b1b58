// `npm run example:graphql`: starts PostgreSQL (embedded, or DATABASE_URL), seeds a pet shop in a
// schema of its own, serves the GraphQL Yoga app of ./app.ts twice (Person.pets resolved per
// person, then through a per-request DataLoader), sends the same query to both and prints what
// n1guard found.
import type { AddressInfo } from 'node:net'
import { consoleReporter, createDetector, explainResolver } from 'n1guard'
import { runExample } from '../support/pet-shop-db.js'
import { ReportQueue } from '../support/report-queue.js'
import { createApp } from './app.js'

const PEOPLE = 8
const QUERY = 'query PeopleWithPets { people { name pets { name species } } }'

runExample({ people: PEOPLE, petsPerPerson: 2 }, async (pool) => {
  process.stdout.write('n1guard GraphQL example: GraphQL Yoga + Kysely on a real PostgreSQL\n\n')
  const reports = new ReportQueue()
  const detector = createDetector({ reporters: [consoleReporter({ stream: process.stdout }), reports.reporter] })
  const outcomes = []
  for (const fixed of [false, true]) {
    const { server } = createApp(pool, detector, fixed)
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
      process.stdout.write(`${fixed ? 'After: Person.pets through a DataLoader' : 'Before: Person.pets queries per person'}\nPOST ${url}  ${QUERY}\n`)
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) })
      const body = await response.text()
      // The operation's scope ends when its execution does, before the response is sent.
      const report = await reports.next()
      outcomes.push({ body, report })
      const f = report.findings[0]
      process.stdout.write(
        `  -> ${response.status}, scope "${report.scope.name}", ${report.queryCount} queries, ` +
          `${f === undefined ? 'no N+1' : `N+1: ${explainResolver(f) ?? f.sql}`}\n\n`,
      )
    } finally {
      // Not db.destroy(): it would end the shared pool, which runExample ends at the end.
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  const [before, after] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]]
  const same = before.body === after.body
  process.stdout.write(
    `Summary: the same response (${same ? 'identical JSON' : 'DIFFERENT JSON'}) from ${before.report.queryCount} queries ` +
      `and from ${after.report.queryCount}.\n`,
  )
  const finding = before.report.findings[0]
  if (!same || before.report.findings.length !== 1 || finding?.resolver?.parents !== PEOPLE || after.report.findings.length !== 0) {
    throw new Error(`unexpected outcome: ${JSON.stringify(outcomes.map((o) => o.report))}`)
  }
})

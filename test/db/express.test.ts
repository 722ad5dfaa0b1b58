// Express middleware: one scope per request, named by route pattern, on a real server.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import { Kysely, PostgresDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type ScopeReport } from '../../src/index.js'
import { expressMiddleware } from '../../src/http/express.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { siteOf } from '../support/sites.js'
import { until } from '../support/until.js'

const here = import.meta.url
let db: TestDatabase
let kdb: Kysely<PetShopDB>
let server: Server
let base: string
const reports: ScopeReport[] = []
const detector = createDetector({ reporters: [(r) => reports.push(r)] })

beforeAll(async () => {
  db = await createTestDatabase({ people: 8, petsPerPerson: 3 })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
  const app = express()
  app.use(expressMiddleware(detector))
  const api = express.Router()
  api.get('/people/:limit/slow', async (req, res) => {
    const people = await kdb.selectFrom('person').select(['id', 'name']).orderBy('id').limit(Number(req.params.limit)).execute()
    const out = []
    for (const person of people) {
      const pets = await kdb.selectFrom('pet').select('name').where('owner_id', '=', person.id).execute() // @site:route
      out.push({ ...person, pets })
    }
    res.json(out)
  })
  api.get('/people/:limit/fast', async (req, res) => {
    const people = await kdb.selectFrom('person').select(['id', 'name']).orderBy('id').limit(Number(req.params.limit)).execute()
    const pets = await kdb.selectFrom('pet').select(['owner_id', 'name']).where('owner_id', 'in', people.map((p) => p.id)).execute()
    res.json(people.map((p) => ({ ...p, pets: pets.filter((x) => x.owner_id === p.id) })))
  })
  api.get('/boom', async () => {
    for (const id of [1, 2]) await kdb.selectFrom('pet').select('id').where('owner_id', '=', id).execute()
    throw new Error('handler failed')
  })
  app.use('/api', api)
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message })
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await kdb.destroy()
  await db.drop()
})

describe('expressMiddleware', () => {
  test('concurrent requests: each finding goes to its own request, named by route pattern', async () => {
    reports.length = 0
    const limits = [2, 3, 4, 5, 6, 7]
    const responses = await Promise.all(
      limits.flatMap((n) => [fetch(`${base}/api/people/${n}/slow?x=1`), fetch(`${base}/api/people/${n}/fast`)]),
    )
    expect(responses.every((r) => r.status === 200)).toBe(true)
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<Array<{ pets: unknown[] }>>
    expect(bodies.map((b) => b.length)).toEqual(limits.flatMap((n) => [n, n]))
    await until(() => reports.length === limits.length * 2)
    const slow = reports.filter((r) => r.scope.name === 'GET /api/people/:limit/slow')
    const fast = reports.filter((r) => r.scope.name === 'GET /api/people/:limit/fast')
    expect(slow).toHaveLength(limits.length)
    expect(fast).toHaveLength(limits.length)
    expect(fast.every((r) => r.findings.length === 0 && r.queryCount === 2)).toBe(true)
    // A slow request for n people runs 1 + n queries: its finding counts exactly n.
    const counts = slow.map((r) => [r.queryCount, r.findings.map((f) => f.count)]).sort((a, b) => Number(a[0]) - Number(b[0]))
    expect(counts).toEqual(limits.map((n) => [n + 1, [n]]))
    for (const r of slow) {
      expect(r.findings[0]!.callSite).toMatchObject(siteOf(here, 'route'))
      expect(r.findings[0]!.scope).toEqual(r.scope)
    }
    expect(new Set(reports.map((r) => r.scope.id)).size).toBe(reports.length)
  })

  test('a handler that throws still closes its scope with its findings', async () => {
    reports.length = 0
    const response = await fetch(`${base}/api/boom`)
    expect(response.status).toBe(500)
    await until(() => reports.length === 1)
    expect(reports[0]!.scope.name).toBe('GET /api/boom')
    expect(reports[0]!.findings.map((f) => f.count)).toEqual([2])
  })

  test('unmatched routes are named by path without the query string', async () => {
    reports.length = 0
    const response = await fetch(`${base}/nowhere?token=abc`)
    expect(response.status).toBe(404)
    await until(() => reports.length === 1)
    expect(reports[0]!.scope.name).toBe('GET /nowhere')
  })
})

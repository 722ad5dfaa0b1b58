// GraphQL Yoga (Envelop) with useN1guard, on the real database: operation scopes named by
// operation, resolver paths on findings, DataLoader batches clean and a per-field one caught,
// nested loops as one chain, batched requests and subscription events apart, resolver errors
// untouched, and operation scopes nested in the Express middleware's request scope.
import express from 'express'
import { createYoga, type YogaServerInstance } from 'graphql-yoga'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expressMiddleware } from '../../src/http/express.js'
import { useN1guard } from '../../src/graphql/index.js'
import { baseUrl } from '../support/http.js'
import {
  ANONYMOUS,
  batch,
  BOOM,
  BOOM_MESSAGE,
  expectPetsLoop,
  GraphQLFixture,
  type GraphQLContext,
  PEOPLE_BATCHED,
  PEOPLE_PETS_TOYS,
  PEOPLE_UNBATCHED,
  PEOPLE_WITH_PETS,
  PEOPLE_WITH_PETS_RAW,
  SUBSCRIPTION,
  theLoop,
  TOYS_SITE,
  UNBATCHED_SITE,
} from '../support/graphql.js'
const fx = new GraphQLFixture()
const { log, detector } = fx
type Yoga = YogaServerInstance<Record<string, any>, GraphQLContext>
let yoga: Yoga
let plain: Yoga

async function post(server: typeof yoga, body: string, accept = 'application/json'): Promise<Response> {
  return await server.fetch('http://yoga/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept }, body })
}

async function run(query: string, server = yoga): Promise<{ data?: unknown; errors?: Array<{ message: string; path?: unknown }> }> {
  return (await (await post(server, JSON.stringify({ query }))).json()) as never
}

beforeAll(async () => {
  await fx.open()
  const context = () => fx.context()
  yoga = createYoga({ schema: fx.schema(), context, batching: true, plugins: [useN1guard(detector)], logging: false, maskedErrors: false })
  plain = createYoga({ schema: fx.schema(), context, logging: false, maskedErrors: false })
})

afterAll(async () => {
  await fx.close()
})

describe('useN1guard (GraphQL Yoga)', () => {
  test('the N+1 field: Person.pets ran 5 queries for 5 Person parents in query PeopleWithPets', async () => {
    log.clear()
    const result = await run(PEOPLE_WITH_PETS)
    expect((result.data as { people: unknown[] }).people).toHaveLength(5)
    const [report] = await log.waitFor('query PeopleWithPets')
    expect(report!.queryCount).toBe(6)
    const f = theLoop(report)
    expectPetsLoop(f, 'query PeopleWithPets', 5)
    expect(f.scope.name).toBe('query PeopleWithPets')
  })

  test("inside capture(): the operation's findings and queries reach it, with the resolver", async () => {
    const report = await detector.capture(() => run(PEOPLE_WITH_PETS))
    expect(report.queries).toHaveLength(6)
    expectPetsLoop(theLoop({ findings: report.findings } as never), 'query PeopleWithPets', 5)
  })

  test('raw pg resolvers: the same finding, and the DataLoader fix written in SQL', async () => {
    log.clear()
    await run(PEOPLE_WITH_PETS_RAW)
    const f = theLoop((await log.waitFor('query PeopleWithPetsRaw'))[0])
    expect(f.resolver).toMatchObject({ field: 'Person.petsRaw', path: 'Query.people.petsRaw', parents: 5, queries: 5 })
    expect(f.hint).toContain('= any($1)')
    expect(f.hint).toContain('new DataLoader')
  })

  test('the DataLoader version is clean: one query per batch', async () => {
    log.clear()
    const result = await run(PEOPLE_BATCHED)
    expect(result).toEqual(await run(PEOPLE_WITH_PETS.replace('PeopleWithPets', 'Same').replaceAll('pets', 'petsBatched'), plain))
    const [report] = await log.waitFor('query PeopleBatched')
    expect(report!.queryCount).toBe(2)
    expect(report!.findings).toEqual([])
  })

  test('a DataLoader made per field call never batches: caught as the N+1 it is', async () => {
    log.clear()
    await run(PEOPLE_UNBATCHED)
    const f = theLoop((await log.waitFor('query PeopleUnbatched'))[0])
    expect(f.resolver).toMatchObject({ field: 'Person.petsUnbatched', parents: 5, queries: 5 })
    expect(f.callSite).toMatchObject(UNBATCHED_SITE)
  })

  test('nested loops are one chain, named by the field where it multiplies', async () => {
    log.clear()
    await run(PEOPLE_PETS_TOYS)
    const [report] = await log.waitFor('query PeoplePetsToys')
    const f = theLoop(report)
    expect(f.resolver).toMatchObject({ field: 'Person.pets', parents: 4, multiplies: 'Person.pets' })
    expect(f.resolver!.chain).toEqual([
      { field: 'Person.pets', path: 'Query.people.pets', parentType: 'Person', parents: 4, queries: 4 },
      { field: 'Pet.toys', path: 'Query.people.pets.toys', parentType: 'Pet', parents: 12, queries: 12 },
    ])
    expect(f.hint).toContain('then the same for Pet.toys')
  })

  test('an anonymous operation is named by its root fields', async () => {
    log.clear()
    await run(ANONYMOUS)
    const f = theLoop((await log.waitFor('query { people }'))[0])
    expect(f.resolver).toMatchObject({ operation: 'query { people }', parents: 3 })
  })

  test('two operations in one batched HTTP request: two scopes, each with its own queries', async () => {
    log.clear()
    const response = await post(yoga, batch(PEOPLE_WITH_PETS, PEOPLE_BATCHED))
    expect(((await response.json()) as unknown[]).length).toBe(2)
    const [loop] = await log.waitFor('query PeopleWithPets')
    const [clean] = await log.waitFor('query PeopleBatched')
    expect(loop!.scope.id).not.toBe(clean!.scope.id)
    expect(loop!.queryCount).toBe(6)
    expectPetsLoop(theLoop(loop), 'query PeopleWithPets', 5)
    expect(clean!.queryCount).toBe(2)
    expect(clean!.findings).toEqual([])
  })

  test("a subscription's events each run in their own scope", async () => {
    log.clear()
    const response = await post(yoga, JSON.stringify({ query: SUBSCRIPTION }), 'text/event-stream')
    const text = await response.text()
    expect(text.match(/event: next/g)).toHaveLength(3)
    const events = await log.waitFor('subscription PersonUpdates', 3)
    expect(events).toHaveLength(3)
    expect(new Set(events.map((e) => e.scope.id)).size).toBe(3)
    for (const event of events) {
      // person, their pets, then one toy query per pet: 1 + 1 + 3 per event, never 15 in one scope.
      expect(event.queryCount).toBe(5)
      const f = theLoop(event)
      expect(f.resolver).toMatchObject({ field: 'Pet.toys', path: 'Subscription.personUpdated.pets.toys', parents: 3, queries: 3 })
      expect(f.callSite).toMatchObject(TOYS_SITE)
    }
  })

  test('errors in resolvers reach the client exactly as without n1guard', async () => {
    log.clear()
    const withGuard = await run(BOOM)
    const without = await run(BOOM, plain)
    expect(withGuard).toEqual(without)
    expect(withGuard.errors?.[0]?.message).toBe(BOOM_MESSAGE)
    const [report] = await log.waitFor('query Boom')
    expect(report!.queryCount).toBe(1)
  })

  test('behind the Express middleware: the operation scope nests in the request scope, each query counted once', async () => {
    log.clear()
    const app = express()
    app.use(expressMiddleware(detector))
    app.use('/graphql', yoga)
    const server = app.listen(0, '127.0.0.1')
    try {
      const base = await baseUrl(server)
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch(PEOPLE_WITH_PETS, PEOPLE_BATCHED),
      })
      expect(response.status).toBe(200)
      const [request] = await log.waitFor('POST /graphql')
      const [loop] = await log.waitFor('query PeopleWithPets')
      const [clean] = await log.waitFor('query PeopleBatched')
      // The request scope owns no query itself and reports nothing twice.
      expect(request!.queryCount).toBe(0)
      expect(request!.findings).toEqual([])
      expect(loop!.queryCount + clean!.queryCount).toBe(8)
      expectPetsLoop(theLoop(loop), 'query PeopleWithPets', 5)
      const reported = log.reports.flatMap((r) => r.findings)
      expect(reported).toHaveLength(1)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

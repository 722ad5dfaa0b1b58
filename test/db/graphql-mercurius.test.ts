// Mercurius (on Fastify) with mercuriusN1guard, on the real database: operation scopes named by
// operation, resolver paths on findings, DataLoader batches clean and a per-field one caught, two
// operations of one batched request apart, subscription events each in their own scope, resolver
// errors untouched, and operation scopes nested in n1guard's Fastify plugin's request scope.
import Fastify, { type FastifyInstance } from 'fastify'
import { createClient } from 'graphql-ws'
import mercurius from 'mercurius'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mercuriusN1guard } from '../../src/graphql/index.js'
import { fastifyPlugin } from '../../src/http/fastify.js'
import {
  batch,
  BOOM,
  BOOM_MESSAGE,
  expectPetsLoop,
  GraphQLFixture,
  PEOPLE_BATCHED,
  PEOPLE_PETS_TOYS,
  PEOPLE_UNBATCHED,
  PEOPLE_WITH_PETS,
  SUBSCRIPTION,
  theLoop,
  TOYS_SITE,
  UNBATCHED_SITE,
} from '../support/graphql.js'

const fx = new GraphQLFixture()
const { log, detector } = fx
let app: FastifyInstance
let plain: FastifyInstance
let base: string

type Body = { data?: unknown; errors?: Array<{ message: string; path?: unknown }> }

async function run(query: string, server = app): Promise<Body> {
  const response = await server.inject({ method: 'POST', url: '/graphql', payload: { query } })
  return response.json() as Body
}

async function build(guarded: boolean): Promise<FastifyInstance> {
  const server = Fastify()
  // n1guard's request scopes around the operation scopes.
  if (guarded) await server.register(fastifyPlugin, { detector })
  await server.register(mercurius, { schema: fx.schema(), context: () => fx.context(), allowBatchedQueries: true, subscription: true })
  if (guarded) mercuriusN1guard(server, detector)
  return server
}

beforeAll(async () => {
  await fx.open()
  app = await build(true)
  plain = await build(false)
  base = await app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await app.close()
  await plain.close()
  await fx.close()
})

describe('mercuriusN1guard (Mercurius)', () => {
  test('the N+1 field: Person.pets ran 5 queries for 5 Person parents in query PeopleWithPets', async () => {
    log.clear()
    const result = await run(PEOPLE_WITH_PETS)
    expect((result.data as { people: unknown[] }).people).toHaveLength(5)
    const [report] = await log.waitFor('query PeopleWithPets')
    expect(report!.queryCount).toBe(6)
    expectPetsLoop(theLoop(report), 'query PeopleWithPets', 5)
  })

  test('registered as a Fastify plugin after Mercurius: the same', async () => {
    log.clear()
    const other = Fastify()
    try {
      await other.register(mercurius, { schema: fx.schema(), context: () => fx.context() })
      await other.register(mercuriusN1guard, { detector })
      const response = await other.inject({ method: 'POST', url: '/graphql', payload: { query: PEOPLE_WITH_PETS } })
      expect(response.statusCode).toBe(200)
      expectPetsLoop(theLoop((await log.waitFor('query PeopleWithPets'))[0]), 'query PeopleWithPets', 5)
    } finally {
      await other.close()
    }
  })

  test('inside the Fastify plugin: the operation scope nests in the request scope, each query counted once', async () => {
    log.clear()
    await run(PEOPLE_WITH_PETS)
    const [request] = await log.waitFor('POST /graphql')
    const [operation] = await log.waitFor('query PeopleWithPets')
    expect(request!.queryCount).toBe(0)
    expect(request!.findings).toEqual([])
    expect(operation!.queryCount).toBe(6)
    expect(log.reports.flatMap((r) => r.findings)).toHaveLength(1)
  })

  test('the DataLoader version is clean: one query per batch', async () => {
    log.clear()
    const result = await run(PEOPLE_BATCHED)
    expect((result.data as { people: unknown[] }).people).toHaveLength(5)
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

  test('nested loops are one chain', async () => {
    log.clear()
    await run(PEOPLE_PETS_TOYS)
    const f = theLoop((await log.waitFor('query PeoplePetsToys'))[0])
    expect(f.resolver?.chain?.map((l) => [l.field, l.parents, l.queries])).toEqual([
      ['Person.pets', 4, 4],
      ['Pet.toys', 12, 12],
    ])
  })

  test('two operations in one batched request: two scopes, each with its own queries', async () => {
    log.clear()
    const response = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: batch(PEOPLE_WITH_PETS, PEOPLE_BATCHED) })
    expect((response.json() as unknown[]).length).toBe(2)
    const [loop] = await log.waitFor('query PeopleWithPets')
    const [clean] = await log.waitFor('query PeopleBatched')
    expect(loop!.scope.id).not.toBe(clean!.scope.id)
    expect(loop!.queryCount).toBe(6)
    expectPetsLoop(theLoop(loop), 'query PeopleWithPets', 5)
    expect(clean!.queryCount).toBe(2)
    expect(clean!.findings).toEqual([])
  })

  test('errors in resolvers reach the client exactly as without n1guard', async () => {
    log.clear()
    const withGuard = await run(BOOM)
    expect(withGuard).toEqual(await run(BOOM, plain))
    expect(withGuard.errors?.[0]?.message).toBe(BOOM_MESSAGE)
    const [report] = await log.waitFor('query Boom')
    expect(report!.queryCount).toBe(1)
  })

  test("a subscription's events each run in their own scope", async () => {
    log.clear()
    const client = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 })
    try {
      const received: unknown[] = []
      for await (const event of client.iterate({ query: SUBSCRIPTION })) received.push(event)
      expect(received).toHaveLength(3)
      const events = await log.waitFor('subscription PersonUpdates', 3)
      expect(new Set(events.map((e) => e.scope.id)).size).toBe(3)
      for (const event of events) {
        expect(event.queryCount).toBe(5)
        const f = theLoop(event)
        expect(f.resolver).toMatchObject({ field: 'Pet.toys', path: 'Subscription.personUpdated.pets.toys', parents: 3, queries: 3 })
        expect(f.callSite).toMatchObject(TOYS_SITE)
      }
    } finally {
      await client.dispose()
    }
  })
})

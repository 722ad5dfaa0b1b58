// Apollo Server with apolloN1guard, on the real database: operation scopes named by operation,
// resolver paths on findings, DataLoader batches clean and a per-field one caught, two operations
// of one batched HTTP request apart, resolver errors untouched; subscriptions through graphql-ws
// (Apollo's documented way) with wrapSubscribe, each event in its own scope.
import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { createRequire } from 'node:module'
import { createClient } from 'graphql-ws'
import { useServer } from 'graphql-ws/use/ws'
import WebSocket, { WebSocketServer } from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { apolloN1guard, wrapExecute, wrapSubscribe } from '../../src/graphql/index.js'
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
  type GraphQLContext,
} from '../support/graphql.js'

// graphql-js refuses a schema from another copy of itself: take execute / subscribe from the copy
// @graphql-tools/schema built the schema with (CommonJS).
const { execute, subscribe } = createRequire(import.meta.url)('graphql') as typeof import('graphql')

const fx = new GraphQLFixture()
const { log, detector } = fx
let apollo: ApolloServer<GraphQLContext>
let plain: ApolloServer<GraphQLContext>
let url: string

type Body = { data?: unknown; errors?: Array<{ message: string; path?: unknown }> }

async function run(query: string, server = apollo): Promise<Body> {
  const response = await server.executeOperation({ query }, { contextValue: fx.context() })
  if (response.body.kind !== 'single') throw new Error('expected a single result')
  return response.body.singleResult as Body
}

beforeAll(async () => {
  await fx.open()
  apollo = new ApolloServer<GraphQLContext>({ schema: fx.schema(), plugins: [apolloN1guard(detector)], allowBatchedHttpRequests: true })
  plain = new ApolloServer<GraphQLContext>({ schema: fx.schema() })
  await plain.start()
  ;({ url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context: async () => fx.context() }))
})

afterAll(async () => {
  await apollo.stop()
  await plain.stop()
  await fx.close()
})

describe('apolloN1guard (Apollo Server)', () => {
  test('the N+1 field: Person.pets ran 5 queries for 5 Person parents in query PeopleWithPets', async () => {
    log.clear()
    const result = await run(PEOPLE_WITH_PETS)
    expect((result.data as { people: unknown[] }).people).toHaveLength(5)
    const [report] = await log.waitFor('query PeopleWithPets')
    expect(report!.queryCount).toBe(6)
    expectPetsLoop(theLoop(report), 'query PeopleWithPets', 5)
  })

  test('inside a request scope: the operation scope nests in it, each query counted once', async () => {
    log.clear()
    await detector.run('POST /graphql', () => run(PEOPLE_WITH_PETS))
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

  test('two operations in one batched HTTP request: two scopes, each with its own queries', async () => {
    log.clear()
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch(PEOPLE_WITH_PETS, PEOPLE_BATCHED) })
    expect(((await response.json()) as unknown[]).length).toBe(2)
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

  test("subscriptions over graphql-ws with wrapSubscribe: each event in its own scope", async () => {
    log.clear()
    const http: Server = createServer()
    const wss = new WebSocketServer({ server: http, path: '/graphql' })
    const schema = fx.schema()
    const cleanup = useServer(
      { schema, context: () => fx.context(), execute: wrapExecute(detector, execute), subscribe: wrapSubscribe(detector, subscribe) },
      wss,
    )
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const client = createClient({ url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 })
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
      await cleanup.dispose()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  })
})

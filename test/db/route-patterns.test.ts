// Scope names, sqlcommenter route tags and reports carry route patterns, never values from the path,
// on all four frameworks and nested routers / sub-apps / prefixed plugins; a request no route
// matched gets one fixed name. What PostgreSQL itself sees (current_query()) is the proof for tags.
import type { Server } from 'node:http'
import { serve as honoServe } from '@hono/node-server'
import Router from '@koa/router'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector } from '../../src/index.js'
import { expressMiddleware } from '../../src/http/express.js'
import { fastifyPlugin } from '../../src/http/fastify.js'
import { honoMiddleware } from '../../src/http/hono.js'
import { koaMiddleware } from '../../src/http/koa.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { baseUrl, ReportLog } from '../support/http.js'

const EMAIL = 'alice@example.com'
const PET = 'rex-4242'

interface Seen {
  /** The statement as PostgreSQL saw it, sqlcommenter tag included. */
  readonly q: string
  /** The scope name while the handler ran. */
  readonly during: string | undefined
}

let database: TestDatabase
let db: Kysely<PetShopDB>
let detector: Detector
const log = new ReportLog()
const closers: Array<() => Promise<void>> = []

async function seen(): Promise<Seen> {
  const { rows } = await sql<{ q: string }>`select current_query() as q`.execute(db)
  return { q: rows[0]!.q, during: detector.currentScope()?.name }
}

beforeAll(async () => {
  database = await createTestDatabase({ people: 1 })
  detector = createDetector({ reporters: [log.reporter], sqlcommenter: true })
  db = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: database.pool({ max: 2 }) }), detector) })
})

afterAll(async () => {
  for (const close of closers) await close()
  await db.destroy()
  await database.drop()
})

function listening(server: Server): Promise<string> {
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return baseUrl(server)
}

async function expressApp(): Promise<string> {
  const app = express()
  app.use(expressMiddleware(detector))
  app.get('/users/:email', async (_req, res) => void res.json(await seen()))
  // A router mounted at a path with a parameter, and a router inside it.
  const pets = express.Router()
  pets.get('/:petId', async (_req, res) => void res.json(await seen()))
  const toys = express.Router({ mergeParams: true })
  toys.get('/:toyId', async (_req, res) => void res.json(await seen()))
  pets.use('/:petId/toys', toys)
  app.use('/users/:email/pets', pets)
  // A sub-app mounted at a path with a parameter.
  const admin = express()
  admin.get('/audit/:entry', async (_req, res) => void res.json(await seen()))
  app.use('/orgs/:org', admin)
  // A handler mounted with no route of its own (a GraphQL server, a proxy).
  app.use('/hooks/:tenant', async (_req, res) => void res.json(await seen()))
  return await listening(app.listen(0, '127.0.0.1'))
}

async function koaApp(): Promise<string> {
  const app = new Koa()
  app.use(koaMiddleware(detector))
  const router = new Router()
  router.get('/users/:email', async (ctx) => void (ctx.body = await seen()))
  const pets = new Router()
  pets.get('/:petId', async (ctx) => void (ctx.body = await seen()))
  router.use('/users/:email/pets', pets.routes())
  const admin = new Router({ prefix: '/orgs/:org' })
  admin.get('/audit/:entry', async (ctx) => void (ctx.body = await seen()))
  app.use(router.routes())
  app.use(admin.routes())
  return await listening(app.listen(0, '127.0.0.1'))
}

async function honoApp(): Promise<string> {
  const app = new Hono()
  app.use(honoMiddleware(detector))
  app.get('/users/:email', async (c) => c.json(await seen()))
  const pets = new Hono()
  pets.get('/:petId', async (c) => c.json(await seen()))
  app.route('/users/:email/pets', pets)
  const admin = new Hono()
  admin.get('/audit/:entry', async (c) => c.json(await seen()))
  app.route('/orgs/:org', admin)
  return await listening(honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
}

async function fastifyApp(): Promise<string> {
  const app: FastifyInstance = Fastify()
  await app.register(fastifyPlugin, { detector })
  app.get('/users/:email', async () => await seen())
  await app.register(
    async (pets) => {
      pets.get('/:petId', async () => await seen())
    },
    { prefix: '/users/:email/pets' },
  )
  await app.register(
    async (admin) => {
      admin.get('/audit/:entry', async () => await seen())
    },
    { prefix: '/orgs/:org' },
  )
  closers.push(() => app.close())
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

const apps = { express: expressApp, koa: koaApp, hono: honoApp, fastify: fastifyApp }

function tagOf(name: string): string {
  return `route='${encodeURIComponent(name).replace(/'/g, "\\'")}'`
}

describe.each(Object.entries(apps))('%s', (_framework, start) => {
  let base = ''
  beforeAll(async () => {
    base = await start()
  })

  const cases: Array<[string, string]> = [
    [`/users/${encodeURIComponent(EMAIL)}`, 'GET /users/:email'],
    [`/users/${encodeURIComponent(EMAIL)}/pets/${PET}`, 'GET /users/:email/pets/:petId'],
    [`/orgs/acme-7/audit/${PET}`, 'GET /orgs/:org/audit/:entry'],
  ]

  test.each(cases)('%s: the scope, the tag PostgreSQL sees and the report carry the pattern %s', async (path, name) => {
    log.clear()
    const response = await fetch(base + path + '?token=secret')
    expect(response.status).toBe(200)
    const body = (await response.json()) as Seen
    expect(body.during).toBe(name)
    expect(body.q).toContain(tagOf(name))
    const [report] = await log.waitFor(name)
    expect(report!.scope.name).toBe(name)
    for (const text of [body.q, body.during, JSON.stringify(log.reports)]) {
      expect(text).not.toContain('alice')
      expect(text).not.toContain('rex-4242')
      expect(text).not.toContain('acme-7')
      expect(text).not.toContain('secret')
    }
  })

  test('a request no route matched gets a fixed name, never its path', async () => {
    log.clear()
    const response = await fetch(`${base}/nowhere/${encodeURIComponent(EMAIL)}?token=secret`)
    expect(response.status).toBe(404)
    const [report] = await log.waitFor('GET (unmatched)')
    expect(JSON.stringify(report)).not.toContain('alice')
    expect(JSON.stringify(report)).not.toContain('nowhere')
  })
})

test('Express: a nested router inside a parameterised mount names the whole pattern', async () => {
  const base = await expressApp()
  log.clear()
  const response = await fetch(`${base}/users/${encodeURIComponent(EMAIL)}/pets/${PET}/toys/ball-9`)
  expect(response.status).toBe(200)
  const body = (await response.json()) as Seen
  expect(body.during).toBe('GET /users/:email/pets/:petId/toys/:toyId')
  const [report] = await log.waitFor('GET /users/:email/pets/:petId/toys/:toyId')
  expect(JSON.stringify([report, body])).not.toMatch(/alice|rex-4242|ball-9/)
})

test('Express: a middleware mounted at a path, with no route, is named by the mount pattern', async () => {
  const base = await expressApp()
  log.clear()
  const response = await fetch(`${base}/hooks/acme-7/deliveries?token=secret`, { method: 'POST' })
  expect(response.status).toBe(200)
  const body = (await response.json()) as Seen
  expect(body.during).toBe('POST /hooks/:tenant')
  expect(body.q).toContain(tagOf('POST /hooks/:tenant'))
  const [report] = await log.waitFor('POST /hooks/:tenant')
  expect(JSON.stringify([report, body])).not.toMatch(/acme-7|deliveries|secret/)
})

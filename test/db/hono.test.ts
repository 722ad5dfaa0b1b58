// Hono middleware on @hono/node-server: one scope per request, named by route pattern, on a real server.
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { honoMiddleware, honoRouteName } from '../../src/http/hono.js'
import { expectIsolatedConcurrentRequests, FrameworkFixture, frameworkTests, peopleFast, peopleSlow, queriesThenThrow } from '../support/http.js'

const fx = new FrameworkFixture()

beforeAll(async () => {
  const db = await fx.open()
  const app = new Hono()
  app.use(honoMiddleware(fx.detector))
  // Routes of a sub-app mounted at /api: routePath includes the mount path.
  const api = new Hono()
  api.get('/people/:limit/slow', async (c) => c.json(await peopleSlow(db, Number(c.req.param('limit')))))
  api.get('/people/:limit/fast', async (c) => c.json(await peopleFast(db, Number(c.req.param('limit')))))
  api.post('/people/slow', async (c) => c.json(await peopleSlow(db, (await c.req.json<{ limit: number }>()).limit)))
  api.post('/people/fast', async (c) => c.json(await peopleFast(db, (await c.req.json<{ limit: number }>()).limit)))
  // The scope the handler sees before and after reading the body.
  api.post('/whoami', async (c) => {
    const before = fx.detector.currentScope()?.id
    await c.req.text()
    return c.json({ before, after: fx.detector.currentScope()?.id })
  })
  api.get('/boom', async () => await queriesThenThrow(db, [1, 2]))
  api.get('/wait/people', async (c) => c.json(await fx.gate.run()))
  app.route('/api', api)
  app.onError((error, c) => c.json({ error: error.message }, 500))
  await fx.serve(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
})

afterAll(() => fx.close())

describe('honoMiddleware', () => {
  frameworkTests(fx, '/api')

  test('handlers that read a JSON body first', async () => {
    await expectIsolatedConcurrentRequests({
      base: fx.base,
      log: fx.log,
      slow: { path: () => '/api/people/slow', name: 'POST /api/people/slow' },
      fast: { path: () => '/api/people/fast', name: 'POST /api/people/fast' },
      init: (n) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: n }) }),
    })
  })

  test('@hono/node-server keeps the AsyncLocalStorage context: the handler runs in its own request scope', async () => {
    fx.log.clear()
    const answers = (await Promise.all(
      Array.from({ length: 6 }, async () => await (await fetch(`${fx.base}/api/whoami`, { method: 'POST', body: 'x'.repeat(100_000) })).json()),
    )) as Array<{ before?: string; after?: string }>
    const reports = await fx.log.waitFor('POST /api/whoami', 6)
    expect(answers.map((a) => a.before).sort()).toEqual(reports.map((r) => r.scope.id).sort())
    expect(answers.every((a) => a.after === a.before)).toBe(true)
  })

  test('bad arguments throw a TypeError naming the value', () => {
    expect(() => honoMiddleware(undefined as never)).toThrow(
      new TypeError('n1guard: honoMiddleware needs a detector from createDetector(), got undefined'),
    )
    expect(() => honoMiddleware(fx.detector, { name: 42 } as never)).toThrow(
      new TypeError('n1guard: honoMiddleware option `name` must be a function, got 42'),
    )
  })

  test('honoRouteName: the pattern of the handler that answered, else a fixed name', () => {
    const req = { method: 'GET', path: '/users/7', routePath: '/users/:id', raw: {} }
    expect(honoRouteName({ req: { ...req, routeIndex: 1 } }, 0)).toBe('GET /users/:id')
    expect(honoRouteName({ req: { ...req, routePath: '/*', routeIndex: 0 } }, 0)).toBe('GET (unmatched)')
  })
})

// Koa middleware: one scope per request, named by the @koa/router route pattern, on a real server.
import Router from '@koa/router'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { koaMiddleware, koaRouteName } from '../../src/http/koa.js'
import { FrameworkFixture, frameworkTests, peopleFast, peopleSlow, queriesThenThrow, ReportLog } from '../support/http.js'

const fx = new FrameworkFixture()

beforeAll(async () => {
  const db = await fx.open()
  const app = new Koa()
  app.silent = true // the thrown error of /boom is expected; Koa would print it
  app.use(koaMiddleware(fx.detector))
  // A router with a prefix: @koa/router's matched route includes it.
  const api = new Router({ prefix: '/api' })
  api.get('/people/:limit/slow', async (ctx) => {
    ctx.body = await peopleSlow(db, Number(ctx.params.limit))
  })
  api.get('/people/:limit/fast', async (ctx) => {
    ctx.body = await peopleFast(db, Number(ctx.params.limit))
  })
  api.get('/boom', async () => await queriesThenThrow(db, [1, 2]))
  api.get('/wait/people', async (ctx) => {
    ctx.body = await fx.gate.run()
  })
  app.use(api.routes())
  await fx.serve(app.listen(0, '127.0.0.1'))
})

afterAll(() => fx.close())

describe('koaMiddleware', () => {
  frameworkTests(fx, '/api')

  test('the scope closes when a throw leaves the middleware, before Koa answers', async () => {
    const reports = new ReportLog()
    const own = createDetector({ reporters: [reports.reporter] })
    const seen: string[] = []
    const res = { once: () => undefined }
    await expect(
      koaMiddleware(own)({ method: 'GET', path: '/x', _matchedRoute: '/x/:id', res }, async () => {
        seen.push(own.currentScope()?.name ?? 'none')
        throw new Error('route failed')
      }),
    ).rejects.toThrow('route failed')
    expect(seen).toEqual(['GET (unmatched)'])
    expect(reports.reports.map((r) => r.scope.name)).toEqual(['GET /x/:id'])
  })

  test('bad arguments throw a TypeError naming the value', () => {
    expect(() => koaMiddleware({} as never)).toThrow(new TypeError('n1guard: koaMiddleware needs a detector from createDetector(), got {}'))
    expect(() => koaMiddleware(fx.detector, { id: 'x' } as never)).toThrow(
      new TypeError('n1guard: koaMiddleware option `id` must be a function, got "x"'),
    )
  })

  test('koaRouteName: the matched route, else a fixed name', () => {
    const res = { once: () => undefined }
    expect(koaRouteName({ method: 'GET', path: '/users/7', _matchedRoute: '/users/:id', res })).toBe('GET /users/:id')
    expect(koaRouteName({ method: 'POST', url: '/users?x=1', res })).toBe('POST (unmatched)')
  })
})

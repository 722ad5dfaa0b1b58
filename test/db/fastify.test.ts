// Fastify plugin: one scope per request, named by route pattern, on a real server; and the proof
// that a request's queries stay in its scope across Fastify's hook chain.
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ScopeHandle } from '../../src/index.js'
import { fastifyPlugin, fastifyRouteName } from '../../src/http/fastify.js'
import {
  deferred,
  expectIsolatedConcurrentRequests,
  FrameworkFixture,
  frameworkTests,
  N_PLUS_ONE_SITE,
  peopleFast,
  peopleSlow,
  queriesThenThrow,
} from '../support/http.js'

const fx = new FrameworkFixture()
const { log, detector } = fx
const apps: FastifyInstance[] = []

async function start(app: FastifyInstance): Promise<string> {
  apps.push(app)
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

// Instance-level hooks of an encapsulated plugin, one query each, that belong to the request.
function addViewerHooks(child: FastifyInstance): void {
  const viewer = fx.db.selectFrom('person').select('name').where('id', '=', 1)
  const pets = fx.db.selectFrom('pet').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', 1)
  const toys = fx.db.selectFrom('toy').select((eb) => eb.fn.countAll<number>().as('n')).where('pet_id', '=', 1)
  child.addHook('onRequest', async (request) => {
    request.headers['x-viewer'] = (await viewer.executeTakeFirstOrThrow()).name
  })
  child.addHook('preValidation', async (request) => {
    request.headers['x-viewer-pets'] = String((await pets.executeTakeFirstOrThrow()).n)
  })
  child.addHook('preHandler', async (request) => {
    request.headers['x-viewer-toys'] = String((await toys.executeTakeFirstOrThrow()).n)
  })
}

type ParkAt = 'onRequest' | 'preValidation' | 'preHandler'

/**
 * Routes whose callback-style route-level hook (onRequest, preValidation or preHandler) parks the
 * request until another request's handler unparks it: the parked request's `done()` then runs
 * inside the other request's async context, as it does for hooks that wait on an event emitter or
 * a pooled client's callback. What comes after the parked hook differs: after a parked onRequest,
 * the instance-level preValidation and preHandler hooks and the handler; after a parked
 * preValidation, the preHandler hook and the handler; after a parked preHandler, the handler.
 */
function addParkingRoutes(app: FastifyInstance) {
  const parking = { parked: deferred(), finished: deferred(), release: [] as Array<() => void> }
  const park = (_request: unknown, _reply: unknown, done: () => void): void => {
    parking.release.push(done)
    parking.parked.resolve()
  }
  void app.register(async (child) => {
    addViewerHooks(child)
    for (const at of ['onRequest', 'preValidation', 'preHandler'] as const) {
      child.get<{ Params: { limit: string } }>(`/parked/${at}/people/:limit`, { [at]: park }, async (request) => {
        const out = await peopleSlow(fx.db, Number(request.params.limit))
        parking.finished.resolve()
        return out
      })
    }
  })
  app.get('/unpark', async () => {
    for (const done of parking.release.splice(0)) done()
    await parking.finished.promise
    return { ok: true }
  })
  return {
    at(place: ParkAt) {
      Object.assign(parking, { parked: deferred(), finished: deferred() })
      return { path: `/parked/${place}/people/4`, name: `GET /parked/${place}/people/:limit`, parked: parking.parked.promise }
    },
  }
}

let parkings: ReturnType<typeof addParkingRoutes>

beforeAll(async () => {
  const db = await fx.open()
  const app = Fastify()
  await app.register(fastifyPlugin, { detector })
  app.get<{ Params: { limit: string } }>('/people/:limit/slow', async (request) => await peopleSlow(db, Number(request.params.limit)))
  app.get<{ Params: { limit: string } }>('/people/:limit/fast', async (request) => await peopleFast(db, Number(request.params.limit)))
  // reply.send after awaits, from a handler that returns nothing.
  app.get<{ Params: { limit: string } }>('/send/people/:limit/slow', (request, reply) => {
    void peopleSlow(db, Number(request.params.limit)).then((out) => reply.send(out))
  })
  app.get<{ Params: { limit: string } }>('/send/people/:limit/fast', (request, reply) => {
    void peopleFast(db, Number(request.params.limit)).then((out) => reply.send(out))
  })
  // A JSON body: the handler runs after Fastify has read and parsed it.
  app.post<{ Body: { limit: number } }>('/people/slow', async (request) => await peopleSlow(db, request.body.limit))
  app.post<{ Body: { limit: number } }>('/people/fast', async (request) => await peopleFast(db, request.body.limit))
  // An encapsulated plugin with hooks that run queries.
  await app.register(
    async (child) => {
      addViewerHooks(child)
      child.get<{ Params: { limit: string } }>('/people/:limit/slow', async (request) => await peopleSlow(db, Number(request.params.limit)))
      child.get<{ Params: { limit: string } }>('/people/:limit/fast', async (request) => await peopleFast(db, Number(request.params.limit)))
    },
    { prefix: '/hooked' },
  )
  app.get('/boom', async () => await queriesThenThrow(db, [1, 2]))
  app.get('/wait/people', fx.gate.run)
  parkings = addParkingRoutes(app)
  fx.base = await start(app)
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await fx.close()
})

describe('fastifyPlugin', () => {
  frameworkTests(fx)

  test('handlers that call reply.send after awaits', async () => {
    await expectIsolatedConcurrentRequests({
      base: fx.base,
      log,
      slow: { path: (n) => `/send/people/${n}/slow`, name: 'GET /send/people/:limit/slow' },
      fast: { path: (n) => `/send/people/${n}/fast`, name: 'GET /send/people/:limit/fast' },
    })
  })

  test('onRequest, preValidation and preHandler hooks of an encapsulated plugin run their queries in the request scope', async () => {
    await expectIsolatedConcurrentRequests({
      base: fx.base,
      log,
      slow: { path: (n) => `/hooked/people/${n}/slow`, name: 'GET /hooked/people/:limit/slow', extraQueries: 3 },
      fast: { path: (n) => `/hooked/people/${n}/fast`, name: 'GET /hooked/people/:limit/fast', extraQueries: 3 },
    })
  })

  test('handlers that run after the JSON body was read and parsed', async () => {
    await expectIsolatedConcurrentRequests({
      base: fx.base,
      log,
      slow: { path: () => '/people/slow', name: 'POST /people/slow' },
      fast: { path: () => '/people/fast', name: 'POST /people/fast' },
      init: (n) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: n }) }),
    })
  })

  test('bad options are refused when the plugin is registered, naming the value', async () => {
    await expect(Fastify().register(fastifyPlugin, {} as never).ready()).rejects.toThrow(
      new TypeError('n1guard: fastifyPlugin needs a detector from createDetector(), got undefined'),
    )
    await expect(Fastify().register(fastifyPlugin, { detector, name: 'GET /x' } as never).ready()).rejects.toThrow(
      new TypeError('n1guard: fastifyPlugin option `name` must be a function, got "GET /x"'),
    )
  })

  test('fastifyRouteName: the route pattern, else a fixed name', () => {
    expect(fastifyRouteName({ method: 'GET', url: '/users/7?x=1', routeOptions: { url: '/users/:id' } })).toBe('GET /users/:id')
    expect(fastifyRouteName({ method: 'GET', url: '/nowhere?x=1', routeOptions: {} })).toBe('GET (unmatched)')
  })
})

describe('the async context across Fastify hooks', () => {
  async function parkAndUnpark(target: string, parkings: ReturnType<typeof addParkingRoutes>, at: ParkAt) {
    log.clear()
    const route = parkings.at(at)
    const parked = fetch(target + route.path)
    await route.parked
    const unpark = await fetch(`${target}/unpark`)
    expect([unpark.status, (await parked).status]).toEqual([200, 200])
    const [parkedReport] = await log.waitFor(route.name)
    const [unparkReport] = await log.waitFor('GET /unpark')
    return { parked: parkedReport!, unpark: unparkReport! }
  }

  // The same parked routes on an app whose plugin only opens the scope in onRequest, as most
  // request-context plugins do: Fastify hands the rest of the parked request to whichever context
  // called its hook's done().
  async function naiveApp() {
    const scopes = new WeakMap<object, ScopeHandle>()
    const onlyOnRequest = Object.assign(
      (app: FastifyInstance, _options: unknown, done: () => void) => {
        app.addHook('onRequest', (request, _reply, next) => {
          const scope = detector.startScope(fastifyRouteName(request))
          scopes.set(request, scope)
          scope.run(next)
        })
        app.addHook('onResponse', (request, _reply, next) => {
          scopes.get(request)?.end()
          next()
        })
        done()
      },
      { [Symbol.for('skip-override')]: true },
    )
    const naive = Fastify()
    await naive.register(onlyOnRequest)
    const parkings = addParkingRoutes(naive)
    return { base: await start(naive), parkings }
  }

  // The instance-level hooks run 1 query each, the handler 5. Each place needs its own remedy: the
  // hooks after a parked onRequest need the preValidation re-entry, the preHandler hook after a
  // parked preValidation needs the preHandler re-entry, the handler after a parked preHandler needs
  // the wrapped handler.
  test.each([
    ['onRequest', 7, 1],
    ['preValidation', 6, 2],
    ['preHandler', 5, 3],
  ] as const)('without n1guard: a hook parked at %s that calls done() from another request moves %i queries there', async (at, moved, kept) => {
    const naive = await naiveApp()
    const { parked, unpark } = await parkAndUnpark(naive.base, naive.parkings, at)
    expect(parked.queryCount).toBe(kept)
    expect(unpark.queryCount).toBe(moved)
    expect(unpark.findings.map((f) => f.count)).toEqual([4])
  })

  test.each(['onRequest', 'preValidation', 'preHandler'] as const)('with fastifyPlugin: a request parked at %s keeps all its queries', async (at) => {
    const { parked, unpark } = await parkAndUnpark(fx.base, parkings, at)
    expect(parked.queryCount).toBe(8)
    expect(parked.findings.map((f) => [f.count, f.callSite?.line])).toEqual([[4, N_PLUS_ONE_SITE.line]])
    expect(unpark.queryCount).toBe(0)
    expect(unpark.findings).toEqual([])
  })
})

/**
 * n1guard for Fastify: one scope per request, from a plugin.
 * @module n1guard/fastify
 */
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'
import { checkRequestScopeArgs, openRequestScope, unmatchedName, type RequestScope, type RequestScopeOptions } from './request-scope.js'

/**
 * The parts of a Fastify request n1guard reads.
 *
 * @example
 * const request: FastifyRequestLike = { method: 'GET', url: '/users/7', routeOptions: { url: '/users/:id' } }
 */
export interface FastifyRequestLike {
  readonly method: string
  readonly url: string
  readonly routeOptions?: { readonly url?: string | undefined }
}

/**
 * The parts of a Fastify reply n1guard reads: the raw response, to see a client that goes away.
 *
 * @example
 * const reply: FastifyReplyLike = { raw: serverResponse }
 */
export interface FastifyReplyLike {
  readonly raw: { once(event: 'close', listener: () => void): unknown }
}

/**
 * The parts of a Fastify instance n1guard uses.
 *
 * @example
 * const app: FastifyInstanceLike = Fastify()
 */
export interface FastifyInstanceLike {
  // A method (not a property) so that Fastify's overloaded `addHook` is assignable to it.
  addHook(name: string, hook: (...args: any[]) => unknown): unknown
}

/**
 * Options of `fastifyPlugin`: the detector, and `name` / `id` (see `RequestScopeOptions`).
 *
 * @example
 * await app.register(fastifyPlugin, { detector, id: (request) => request.id })
 */
export interface FastifyOptions<Req extends FastifyRequestLike = FastifyRequestLike> extends RequestScopeOptions<Req> {
  readonly detector: Detector
}

/**
 * The scope name n1guard gives a request: method and route pattern (`GET /users/:id`), or
 * `GET (unmatched)` when no route matched; never values from the path.
 *
 * @example
 * fastifyRouteName({ method: 'GET', url: '/users/7?x=1', routeOptions: { url: '/users/:id' } }) // 'GET /users/:id'
 */
export function fastifyRouteName(request: FastifyRequestLike): string {
  const route = request.routeOptions?.url
  return typeof route === 'string' && route !== '' ? `${request.method} ${route}` : unmatchedName(request.method)
}

// Route options n1guard runs inside the request's scope, whatever context the step before them
// finished in. onResponse and later hooks come after the scope has closed.
const ROUTE_HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onError'] as const
// Arity of a hook's `done` position: an async function declaring it is a mistake Fastify reports
// when the route is added, so such a hook is left unwrapped for Fastify to see.
const DONE_ARITY: Record<string, number> = { preParsing: 4, preSerialization: 4, onSend: 4, onError: 4 }

/**
 * Fastify plugin: every request runs in its own n1guard scope, named by method and route pattern
 * (`GET /users/:id`), and closed when the response has been sent (`onResponse`), when the client
 * goes away first, and after an error reply from a throwing handler. Findings go to the detector's
 * reporters. It applies to the whole app (like a plugin wrapped with `fastify-plugin`); `await` its
 * registration before adding routes, so that route handlers are wrapped too.
 *
 * Fastify runs hooks and the handler as a chain of callbacks; a hook that calls `done()` from
 * another async context (an event emitter, a pooled client's callback) would hand every later
 * step, and its queries, to that context. The plugin therefore re-enters the request's scope at
 * `preValidation` and `preHandler` and runs each route handler and route-level hook inside it.
 *
 * @example
 * import Fastify from 'fastify'
 * import { fastifyPlugin } from 'n1guard/fastify'
 * const app = Fastify()
 * await app.register(fastifyPlugin, { detector })
 * app.get('/users/:id', async (request) => loadUser(db, request.params.id))
 */
export const fastifyPlugin = Object.assign(
  function n1guardFastify(app: FastifyInstanceLike, options: FastifyOptions, done: (error?: Error) => void): void {
    try {
      if (options === null || typeof options !== 'object') {
        throw new TypeError(`n1guard: fastifyPlugin options must be { detector }, got ${describeValue(options)}`)
      }
      checkRequestScopeArgs('fastifyPlugin', options.detector, options)
    } catch (error) {
      done(error as Error)
      return
    }
    const scopes = new WeakMap<object, RequestScope>()
    // Fastify adds the HEAD route of a GET with the GET's (already wrapped) handler.
    const wrappedFns = new WeakSet<Function>()

    function enter(request: FastifyRequestLike, _reply: unknown, next: () => void): void {
      const scope = scopes.get(request)
      if (scope === undefined) next()
      else scope.run(next)
    }

    function inScope<F extends Function>(fn: F): F {
      if (wrappedFns.has(fn)) return fn
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        const request = args[0]
        const scope = typeof request === 'object' && request !== null ? scopes.get(request) : undefined
        return scope === undefined ? fn.apply(this, args) : scope.run(() => fn.apply(this, args))
      }
      // Fastify and tracers name spans and log lines after the handler.
      Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true })
      wrappedFns.add(wrapped)
      return wrapped as unknown as F
    }

    app.addHook('onRequest', function n1guardOpen(request: FastifyRequestLike, reply: FastifyReplyLike, next: () => void) {
      const scope = openRequestScope(options.detector, options, request, fastifyRouteName(request))
      if (scope === undefined) return next()
      scopes.set(request, scope)
      reply.raw.once('close', () => scope.end(() => fastifyRouteName(request)))
      scope.run(next)
    })
    app.addHook('preValidation', enter)
    app.addHook('preHandler', enter)
    app.addHook('onResponse', function n1guardClose(request: FastifyRequestLike, _reply: unknown, next: () => void) {
      scopes.get(request)?.end(() => fastifyRouteName(request))
      next()
    })
    app.addHook('onRoute', function n1guardRoute(route: Record<string, unknown>) {
      try {
        if (typeof route.handler === 'function') route.handler = inScope(route.handler)
        for (const name of ROUTE_HOOKS) {
          const hooks = route[name]
          const wrap = (hook: unknown): unknown =>
            typeof hook !== 'function' || (hook.constructor.name === 'AsyncFunction' && hook.length === (DONE_ARITY[name] ?? 3))
              ? hook
              : inScope(hook)
          if (Array.isArray(hooks)) route[name] = hooks.map(wrap)
          else if (hooks !== undefined) route[name] = wrap(hooks)
        }
      } catch (error) {
        internalError('wrapping a Fastify route', error)
      }
    })
    done()
  },
  {
    // What fastify-plugin sets: the hooks apply to the app that registers the plugin, not only to
    // an encapsulated child of it.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'n1guard',
    [Symbol.for('plugin-meta')]: { name: 'n1guard', fastify: '>=5' },
  },
)

export default fastifyPlugin

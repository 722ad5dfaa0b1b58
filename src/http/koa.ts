/**
 * n1guard for Koa: one scope per request, from a middleware.
 * @module n1guard/koa
 */
import type { Detector } from '../core/detector.js'
import { checkRequestScopeArgs, openRequestScope, unmatchedName, watchProperty, type RequestScopeOptions } from './request-scope.js'

/**
 * The parts of a Koa context n1guard reads.
 *
 * @example
 * const ctx: KoaContextLike = { method: 'GET', path: '/users/7', _matchedRoute: '/users/:id', res: serverResponse }
 */
export interface KoaContextLike {
  readonly method: string
  readonly path?: string
  readonly url?: string
  /** The route pattern, set by `@koa/router` when a route matched (prefixes included). */
  readonly _matchedRoute?: unknown
  readonly res: { once(event: 'finish' | 'close', listener: () => void): unknown }
}

/**
 * Options of `koaMiddleware`: `name` and `id` (see `RequestScopeOptions`).
 *
 * @example
 * app.use(koaMiddleware(detector, { id: (ctx) => ctx.get('x-request-id') || undefined }))
 */
export interface KoaOptions<Ctx extends KoaContextLike = KoaContextLike> extends RequestScopeOptions<Ctx> {}

/**
 * The scope name n1guard gives a request: method and the route pattern `@koa/router` matched
 * (`GET /users/:id`), or `GET (unmatched)` when no route matched; never values from the path.
 *
 * @example
 * koaRouteName({ method: 'GET', path: '/users/7', _matchedRoute: '/users/:id', res }) // 'GET /users/:id'
 * koaRouteName({ method: 'GET', path: '/nowhere', res }) // 'GET (unmatched)'
 */
export function koaRouteName(ctx: KoaContextLike): string {
  const route = ctx._matchedRoute
  if (typeof route === 'string' && route !== '') return `${ctx.method} ${route}`
  return unmatchedName(ctx.method)
}

/**
 * Koa middleware: every request runs in its own n1guard scope, named by method and route pattern,
 * and closed when the response finishes or the client goes away, or at once when a later
 * middleware or the route throws. Findings go to the detector's reporters. Use it before the router.
 *
 * @example
 * import Koa from 'koa'
 * import Router from '@koa/router'
 * import { koaMiddleware } from 'n1guard/koa'
 * const app = new Koa()
 * const router = new Router()
 * router.get('/users/:id', async (ctx) => { ctx.body = await loadUser(db, ctx.params.id) })
 * app.use(koaMiddleware(detector))
 * app.use(router.routes())
 */
export function koaMiddleware<Ctx extends KoaContextLike = KoaContextLike>(
  detector: Detector,
  options: KoaOptions<Ctx> = {},
): (ctx: Ctx, next: () => Promise<unknown>) => Promise<void> {
  checkRequestScopeArgs('koaMiddleware', detector, options)
  return async function n1guard(ctx, next) {
    const scope = openRequestScope(detector, options, ctx, unmatchedName(ctx.method))
    if (scope === undefined) {
      await next()
      return
    }
    // @koa/router sets the pattern (prefixes and nested routers' mount paths included) just before
    // the route's handlers run: the scope takes it then, so sqlcommenter tags carry the pattern.
    watchProperty(ctx, '_matchedRoute', (route) => {
      if (typeof route === 'string' && route !== '') scope.rename(`${ctx.method} ${route}`)
    })
    const end = (): void => scope.end(() => koaRouteName(ctx))
    ctx.res.once('finish', end)
    ctx.res.once('close', end)
    try {
      await scope.run(next)
    } catch (error) {
      end()
      throw error
    }
  }
}

export default koaMiddleware

/**
 * n1guard for Hono: one scope per request, from a middleware.
 * @module n1guard/hono
 */
import type { Detector } from '../core/detector.js'
import { checkRequestScopeArgs, openRequestScope, unmatchedName, watchProperty, type RequestScopeOptions } from './request-scope.js'

/**
 * The parts of an `AbortSignal` n1guard uses.
 *
 * @example
 * const signal: AbortSignalLike = new AbortController().signal
 */
export interface AbortSignalLike {
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/**
 * The parts of a Hono context n1guard reads.
 *
 * @example
 * app.use(async (c, next) => { const view: HonoContextLike = c; await next() })
 */
export interface HonoContextLike {
  readonly req: {
    readonly method: string
    /** The path without the query string. */
    readonly path: string
    /** The route pattern of the handler now running (after `next()`: of the one that answered). */
    readonly routePath: string
    /** Index of that handler among the matched ones. */
    readonly routeIndex: number
    /** The Fetch request; its signal aborts when the client goes away (`@hono/node-server`, Bun, Deno). */
    readonly raw: { readonly signal?: AbortSignalLike | null }
  }
}

/**
 * Options of `honoMiddleware`: `name` and `id` (see `RequestScopeOptions`).
 *
 * @example
 * app.use(honoMiddleware(detector, { id: (c) => c.req.header('x-request-id') }))
 */
export interface HonoOptions<C extends HonoContextLike = HonoContextLike> extends RequestScopeOptions<C> {}

/**
 * The scope name n1guard gives a request: method and the route pattern of the handler that
 * answered (`GET /users/:id`), or `GET (unmatched)` when no handler after the middleware ran (not
 * found); never the path, which Hono hands over decoded.
 * `ownIndex` is `c.req.routeIndex` as the middleware saw it before calling `next()`.
 *
 * @example
 * honoRouteName(c, 0) // 'GET /users/:id'
 */
export function honoRouteName(c: HonoContextLike, ownIndex: number): string {
  const req = c.req
  return req.routeIndex !== ownIndex ? `${req.method} ${req.routePath}` : unmatchedName(req.method)
}

/**
 * Hono middleware: every request runs in its own n1guard scope, named by method and route pattern,
 * and closed when the handlers after it have finished (Hono turns a thrown error into a response
 * first), or when the client goes away before that. Findings go to the detector's reporters.
 * Register it before the routes. Tested on `@hono/node-server`.
 *
 * @example
 * import { Hono } from 'hono'
 * import { serve } from '@hono/node-server'
 * import { honoMiddleware } from 'n1guard/hono'
 * const app = new Hono()
 * app.use(honoMiddleware(detector))
 * app.get('/users/:id', async (c) => c.json(await loadUser(db, c.req.param('id'))))
 * serve({ fetch: app.fetch, port: 3000 })
 */
export function honoMiddleware<C extends HonoContextLike = HonoContextLike>(
  detector: Detector,
  options: HonoOptions<C> = {},
): (c: C, next: () => Promise<void>) => Promise<void> {
  checkRequestScopeArgs('honoMiddleware', detector, options)
  return async function n1guard(c, next) {
    const scope = openRequestScope(detector, options, c, unmatchedName(c.req.method))
    if (scope === undefined) return await next()
    const ownIndex = c.req.routeIndex
    // Hono's compose sets routeIndex before it calls each handler: the scope takes that handler's
    // pattern then, so statements the handler issues are tagged with it.
    watchProperty(c.req, 'routeIndex', (index) => {
      if (index !== ownIndex) scope.rename(`${c.req.method} ${c.req.routePath}`)
    })
    const end = (): void => scope.end(() => honoRouteName(c, ownIndex))
    const signal = c.req.raw.signal ?? undefined
    signal?.addEventListener('abort', end, { once: true })
    try {
      await scope.run(next)
    } finally {
      signal?.removeEventListener('abort', end)
      end()
    }
  }
}

export default honoMiddleware

/**
 * n1guard for Express (4 and 5): one scope per request.
 * @module n1guard/express
 */
import type { Detector } from '../core/detector.js'
import { checkRequestScopeArgs, openRequestScope, pathOnly, type RequestScopeOptions } from './request-scope.js'

/**
 * The parts of an Express request n1guard reads.
 *
 * @example
 * const req: ExpressRequestLike = { method: 'GET', baseUrl: '/api', route: { path: '/users/:id' } }
 */
export interface ExpressRequestLike {
  readonly method: string
  readonly path?: string
  readonly url?: string
  readonly originalUrl?: string
  readonly baseUrl?: string
  readonly route?: { readonly path?: unknown }
}

/**
 * The parts of an Express response n1guard reads.
 *
 * @example
 * const res: ExpressResponseLike = serverResponse
 */
export interface ExpressResponseLike {
  once(event: 'finish' | 'close', listener: () => void): unknown
}

/**
 * Options of `expressMiddleware`: `name` and `id` (see `RequestScopeOptions`).
 *
 * @example
 * app.use(expressMiddleware(detector, { id: (req) => req.get('x-request-id') }))
 */
export interface ExpressOptions<Req extends ExpressRequestLike = ExpressRequestLike> extends RequestScopeOptions<Req> {}

function pathOf(req: ExpressRequestLike): string {
  return pathOnly(req.originalUrl ?? req.url)
}

/**
 * The scope name n1guard gives a request: method and route pattern (`GET /users/:id`), never the
 * raw URL when a route matched.
 *
 * @example
 * routeName({ method: 'GET', baseUrl: '/api', route: { path: '/users/:id' } }) // 'GET /api/users/:id'
 */
export function routeName(req: ExpressRequestLike): string {
  const route = req.route?.path
  if (route !== undefined && route !== null) return `${req.method} ${req.baseUrl ?? ''}${String(route)}`
  return `${req.method} ${pathOf(req)}`
}

// The router sets req.route when a route matches, while req.baseUrl is still that of the router
// holding it; by the time the response finishes, an error leaving the sub-router has restored
// baseUrl. So the name is taken at that moment, through an accessor on this one request.
// The scope takes the name as soon as the route matches, so what reads it during the handler
// (sqlcommenter's `route`) sees the pattern, not a path that may hold ids.
function watchRoute(req: ExpressRequestLike, onMatch: (name: string) => void): { name: string | undefined } {
  const seen: { name: string | undefined } = { name: undefined }
  let current: unknown = req.route
  try {
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (value: { path?: unknown } | undefined) => {
        current = value
        if (value?.path !== undefined && value.path !== null) {
          seen.name = `${req.method} ${req.baseUrl ?? ''}${String(value.path)}`
          onMatch(seen.name)
        }
      },
    })
  } catch {
    // A frozen or exotic request object: fall back to reading req.route when the response ends.
  }
  return seen
}

/**
 * Express middleware: every request runs in its own n1guard scope, named by method and route
 * pattern, and closed when the response finishes (or the client goes away). Findings go to the
 * detector's reporters. Mount it before the routes.
 *
 * @example
 * import express from 'express'
 * import { expressMiddleware } from 'n1guard/express'
 * const app = express()
 * app.use(expressMiddleware(detector))
 * app.get('/users/:id', async (req, res) => { res.json(await loadUser(db, req.params.id)) })
 */
export function expressMiddleware<Req extends ExpressRequestLike = ExpressRequestLike>(
  detector: Detector,
  options: ExpressOptions<Req> = {},
): (req: Req, res: ExpressResponseLike, next: (error?: unknown) => void) => void {
  checkRequestScopeArgs('expressMiddleware', detector, options)
  return function n1guard(req, res, next) {
    const scope = openRequestScope(detector, options, req, `${req.method} ${pathOf(req)}`)
    if (scope === undefined) return next()
    // Named as soon as the route matches, so sqlcommenter tags carry the pattern, not the raw path.
    const matched = watchRoute(req, (name) => {
      if (!scope.handle.ended) scope.handle.name = name
    })
    const end = (): void => scope.end(() => matched.name ?? routeName(req))
    res.once('finish', end)
    res.once('close', end)
    scope.run(() => next())
  }
}

export default expressMiddleware

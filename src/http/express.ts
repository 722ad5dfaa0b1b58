/**
 * n1guard for Express (4 and 5): one scope per request.
 * @module n1guard/express
 */
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'

/** The parts of an Express request n1guard reads. */
export interface ExpressRequestLike {
  readonly method: string
  readonly path?: string
  readonly url?: string
  readonly originalUrl?: string
  readonly baseUrl?: string
  readonly route?: { readonly path?: unknown }
}

/** The parts of an Express response n1guard reads. */
export interface ExpressResponseLike {
  once(event: 'finish' | 'close', listener: () => void): unknown
}

/** Options of `expressMiddleware`. */
export interface ExpressOptions<Req extends ExpressRequestLike = ExpressRequestLike> {
  /**
   * Names the request's scope when it ends (the route is known by then). Return undefined to use
   * the default.
   * @default `${req.method} ${req.baseUrl}${req.route.path}`, e.g. `GET /users/:id`; the path without its query string when no route matched
   */
  readonly name?: (req: Req) => string | undefined
  /**
   * Gives the scope an id, for instance from an `x-request-id` header.
   * @default a generated id
   */
  readonly id?: (req: Req) => string | undefined
}

function pathOnly(req: ExpressRequestLike): string {
  const raw = req.originalUrl ?? req.url ?? '/'
  const q = raw.indexOf('?')
  return q < 0 ? raw : raw.slice(0, q)
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
  return `${req.method} ${pathOnly(req)}`
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
  if (detector === null || typeof detector !== 'object' || typeof (detector as Partial<Detector>).startScope !== 'function') {
    throw new TypeError(`n1guard: expressMiddleware needs a detector from createDetector(), got ${describeValue(detector)}`)
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`n1guard: expressMiddleware options must be an object, got ${describeValue(options)}`)
  }
  for (const key of ['name', 'id'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new TypeError(`n1guard: expressMiddleware option \`${key}\` must be a function, got ${describeValue(options[key])}`)
    }
  }
  return function n1guard(req, res, next) {
    const id = options.id?.(req)
    const scope = detector.startScope(id === undefined ? { name: `${req.method} ${pathOnly(req)}` } : { name: `${req.method} ${pathOnly(req)}`, id })
    const matched = watchRoute(req, (name) => {
      if (!scope.ended) scope.name = name
    })
    const end = (): void => {
      if (scope.ended) return
      try {
        scope.name = options.name?.(req) ?? matched.name ?? routeName(req)
      } catch (error) {
        internalError('naming a request scope (the `name` option threw)', error)
        scope.name = matched.name ?? routeName(req)
      }
      scope.end()
    }
    res.once('finish', end)
    res.once('close', end)
    scope.run(() => next())
  }
}

export default expressMiddleware

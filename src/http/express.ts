/**
 * n1guard for Express (4 and 5): one scope per request.
 * @module n1guard/express
 */
import type { Detector } from '../core/detector.js'
import { checkRequestScopeArgs, openRequestScope, unmatchedName, watchProperty, type RequestScopeOptions } from './request-scope.js'

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
  /** Parameters of the route (or of the mount path being entered). */
  readonly params?: unknown
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

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * `path` (a raw, encoded stretch of URL such as `/users/alice%40example.com/pets`) with every
 * segment that equals the value of one of `params` replaced by `:name`, in the order the values
 * were captured (which is their order in the pattern).
 */
function patternOf(path: string, params: unknown): string {
  if (params === null || typeof params !== 'object') return path
  const entries = Object.entries(params as Record<string, unknown>)
  if (entries.length === 0) return path
  let next = 0
  return path
    .split('/')
    .map((segment) => {
      if (segment === '') return segment
      const decoded = decodeSegment(segment)
      for (let i = next; i < entries.length; i++) {
        const [name, value] = entries[i]!
        if (value === decoded || (Array.isArray(value) && value.includes(decoded))) {
          next = Array.isArray(value) ? i : i + 1
          return Array.isArray(value) ? `*${name}` : `:${name}`
        }
      }
      return segment
    })
    .filter((segment, i, all) => !(segment.startsWith('*') && all[i - 1] === segment))
    .join('/')
}

/**
 * The scope name n1guard gives a request: method and route pattern (`GET /users/:id`), or
 * `GET (unmatched)` when no route matched; never values from the path. Values of the route's own
 * parameters in `baseUrl` are replaced by their names; the middleware itself follows the mount
 * path patterns of nested routers as the request enters them.
 *
 * @example
 * routeName({ method: 'GET', baseUrl: '/api', route: { path: '/users/:id' } }) // 'GET /api/users/:id'
 */
export function routeName(req: ExpressRequestLike): string {
  const route = req.route?.path
  if (route === undefined || route === null) return unmatchedName(req.method)
  return `${req.method} ${patternOf(req.baseUrl ?? '', req.params)}${String(route)}`
}

// The mount pattern a router keeps where it is exposed (router >= 2.3, the router of Express 5.2+),
// set just before it assigns req.baseUrl; older routers keep no pattern anywhere.
function mountPattern(req: object): string | undefined {
  for (const symbol of Object.getOwnPropertySymbols(req)) {
    if (symbol.description === 'router.tracing.matchedRoute') {
      const pattern = (req as Record<symbol, unknown>)[symbol]
      return typeof pattern === 'string' ? pattern : undefined
    }
  }
  return undefined
}

function isPrefix(prefix: string, path: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || prefix.endsWith('/') || path[prefix.length] === '/')
}

// Express sets req.baseUrl to the raw prefix a mounted router or sub-app matched
// (`/users/alice%40example.com/pets`) and restores it on the way out; it sets req.route when a route
// matches. Both are followed on this one request, so the scope is named by the full pattern as soon
// as the route is known (sqlcommenter's `route` tag, read while the handler runs, needs it then),
// and the name is taken at that moment (an error leaving a sub-router restores baseUrl before the
// response finishes). When baseUrl grows, req.params holds the mount's own parameters. A request
// answered by a mounted middleware with no route (`app.use('/graphql', yoga)`) is named by the
// mount's pattern (`POST /graphql`) while it is inside it.
function followRoute(req: ExpressRequestLike, rename: (name: string) => void): { readonly name: string | undefined } {
  let routeMatched: string | undefined
  const initial = req.baseUrl ?? ''
  // Mount prefixes entered so far, outermost first: [raw, pattern].
  const mounts: Array<[string, string]> = [[initial, patternOf(initial, req.params)]]
  const inMount = (): string | undefined => (mounts.length > 1 ? `${req.method} ${mounts[mounts.length - 1]![1]}` : undefined)
  const watchedBase = watchProperty(req, 'baseUrl', (value) => {
    if (typeof value !== 'string') return
    const depth = mounts.length
    while (mounts.length > 1 && !isPrefix(mounts[mounts.length - 1]![0], value)) mounts.pop()
    const [raw, pattern] = mounts[mounts.length - 1]!
    if (raw !== value && isPrefix(raw, value)) {
      const exact = mountPattern(req)
      const added = exact !== undefined && exact !== '/' ? exact.replace(/\/$/, '') : patternOf(value.slice(raw.length), req.params)
      mounts.push([value, pattern.replace(/\/$/, '') + added])
    }
    if (routeMatched === undefined && mounts.length !== depth) rename(inMount() ?? unmatchedName(req.method))
  })
  watchProperty(req, 'route', (value) => {
    const path = (value as { path?: unknown } | undefined)?.path
    if (path === undefined || path === null) return
    const base = watchedBase ? mounts[mounts.length - 1]![1] : patternOf(req.baseUrl ?? '', req.params)
    routeMatched = `${req.method} ${base}${String(path)}`
    rename(routeMatched)
  })
  return {
    get name() {
      return routeMatched ?? inMount()
    },
  }
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
    const scope = openRequestScope(detector, options, req, unmatchedName(req.method))
    if (scope === undefined) return next()
    const matched = followRoute(req, (name) => scope.rename(name))
    const end = (): void => scope.end(() => matched.name ?? routeName(req))
    res.once('finish', end)
    res.once('close', end)
    scope.run(() => next())
  }
}

export default expressMiddleware

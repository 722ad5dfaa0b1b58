// What every HTTP integration shares: option checks, the request's scope with its id and name, and
// closing it once, whichever of "response finished", "client went away" or "handler threw" comes first.
import type { Detector, ScopeHandle } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'

/**
 * Options every n1guard HTTP integration accepts (`expressMiddleware`, `fastifyPlugin`,
 * `koaMiddleware`, `honoMiddleware`).
 *
 * @example
 * app.use(expressMiddleware(detector, { id: (req) => req.get('x-request-id') }))
 */
export interface RequestScopeOptions<Req> {
  /**
   * Names the request's scope when it ends (the route is known by then). Return undefined to use
   * the default.
   * @default method and route pattern, e.g. `GET /users/:id`; `GET (unmatched)` when no route matched (never the path)
   */
  readonly name?: (req: Req) => string | undefined
  /**
   * Gives the scope an id, for instance from an `x-request-id` header. Return undefined for a
   * generated one.
   * @default a generated id
   */
  readonly id?: (req: Req) => string | undefined
}

/**
 * Throws a `TypeError` naming the value when `detector` is not a detector or `options` holds a
 * `name` / `id` that is not a function. `what` names the integration in the message.
 *
 * @example
 * checkRequestScopeArgs('koaMiddleware', detector, options)
 */
export function checkRequestScopeArgs(what: string, detector: unknown, options: unknown): void {
  if (detector === null || typeof detector !== 'object' || typeof (detector as Partial<Detector>).startScope !== 'function') {
    throw new TypeError(`n1guard: ${what} needs a detector from createDetector(), got ${describeValue(detector)}`)
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`n1guard: ${what} options must be an object, got ${describeValue(options)}`)
  }
  for (const key of ['name', 'id'] as const) {
    const value = (options as Record<string, unknown>)[key]
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`n1guard: ${what} option \`${key}\` must be a function, got ${describeValue(value)}`)
    }
  }
}

/**
 * The name of a request no route matched (or not yet matched): the method and a fixed word, never
 * the path, which may hold ids, e-mail addresses or tokens (and, decoded, control characters).
 *
 * @example
 * unmatchedName('GET') // 'GET (unmatched)'
 */
export function unmatchedName(method: string): string {
  return `${method} (unmatched)`
}

/**
 * The scope of one request, as the integrations hold it.
 *
 * @example
 * res.once('finish', () => scope.end(() => routeName(req)))
 * scope.run(() => next())
 */
export interface RequestScope {
  readonly handle: ScopeHandle
  /** Runs `fn` inside the request's scope. */
  run<T>(fn: () => T): T
  /** Renames the open scope (once the router knows the route pattern); never throws. */
  rename(name: string): void
  /**
   * Names the scope (the `name` option, else `defaultName()`) and closes it; later calls do nothing.
   * Never throws.
   */
  end(defaultName: () => string): void
}

/**
 * Calls `onSet(value)` each time the framework assigns `obj[key]` (the router matching a route, a
 * router entering a mount path), the value stored and read back as before. The scope learns the
 * route pattern the moment it is known, so statements issued by the handler are tagged with it.
 * Returns false when the property cannot be watched (a frozen or exotic object).
 *
 * @example
 * watchProperty(ctx, '_matchedRoute', (route) => scope.rename(`${ctx.method} ${route}`))
 */
export function watchProperty(obj: object, key: PropertyKey, onSet: (value: unknown) => void): boolean {
  let current: unknown = (obj as Record<PropertyKey, unknown>)[key]
  try {
    Object.defineProperty(obj, key, {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (value: unknown) => {
        current = value
        try {
          onSet(value)
        } catch (error) {
          internalError('following the route of a request', error)
        }
      },
    })
    return true
  } catch {
    return false
  }
}

function askId<Req>(options: RequestScopeOptions<Req>, req: Req): string | undefined {
  if (options.id === undefined) return undefined
  let id: unknown
  try {
    id = options.id(req)
  } catch (error) {
    internalError('giving a request scope its id (the `id` option threw; generated ids are used)', error)
    return undefined
  }
  if (id === undefined || (typeof id === 'string' && id !== '')) return id
  internalError('giving a request scope its id', new TypeError(`the \`id\` option returned ${describeValue(id)}, not a non-empty string; generated ids are used`))
  return undefined
}

/**
 * Opens the scope of one request, named `provisionalName` until the route is known (a fixed name:
 * sqlcommenter tags statements with it). Returns undefined (and
 * says why once on stderr) when n1guard itself failed, so the caller serves the request unobserved.
 *
 * @example
 * const scope = openRequestScope(detector, options, ctx, unmatchedName(ctx.method))
 * if (scope === undefined) return next()
 */
export function openRequestScope<Req>(
  detector: Detector,
  options: RequestScopeOptions<Req>,
  req: Req,
  provisionalName: string,
): RequestScope | undefined {
  let handle: ScopeHandle
  try {
    const id = askId(options, req)
    handle = detector.startScope(id === undefined ? { name: provisionalName } : { name: provisionalName, id })
  } catch (error) {
    internalError('opening a request scope', error)
    return undefined
  }
  return {
    handle,
    run: (fn) => handle.run(fn),
    rename(name) {
      if (handle.ended) return
      try {
        handle.name = name
      } catch (error) {
        internalError('naming a request scope', error)
      }
    },
    end(defaultName) {
      if (handle.ended) return
      try {
        let name: string | undefined
        try {
          name = options.name?.(req)
        } catch (error) {
          internalError('naming a request scope (the `name` option threw)', error)
        }
        handle.name = typeof name === 'string' ? name : defaultName()
      } catch (error) {
        internalError('naming a request scope', error)
      }
      try {
        handle.end()
      } catch (error) {
        internalError('closing a request scope', error)
      }
    },
  }
}

import type { Detector } from '../core/detector.js'
import { checkDetector } from './check-detector.js'
import { executeInScope, subscribeInScopes, type ExecutionArgsLike } from './run-operation.js'

/**
 * Wraps graphql-js's `execute` (or any function with its signature) so that every call runs in its
 * own operation scope, for servers n1guard has no plugin for, and for graphql-ws next to Apollo
 * Server.
 *
 * @example
 * import { execute, subscribe } from 'graphql'
 * useServer({ schema, execute: wrapExecute(detector, execute), subscribe: wrapSubscribe(detector, subscribe) }, wsServer)
 */
export function wrapExecute<A extends ExecutionArgsLike, R>(detector: Detector, execute: (args: A) => R): (args: A) => R {
  checkDetector('wrapExecute', detector)
  if (typeof execute !== 'function') throw new TypeError(`n1guard: wrapExecute needs graphql's execute function, got ${String(execute)}`)
  return function n1guardExecute(args: A): R {
    return executeInScope(detector, args, () => execute(args))
  }
}

/**
 * Wraps graphql-js's `subscribe` so that each event of every subscription runs in its own scope
 * (`subscription OnReview`, one per event).
 *
 * @example
 * useServer({ schema, subscribe: wrapSubscribe(detector, subscribe) }, wsServer)
 */
export function wrapSubscribe<A extends ExecutionArgsLike, R>(detector: Detector, subscribe: (args: A) => R): (args: A) => R {
  checkDetector('wrapSubscribe', detector)
  if (typeof subscribe !== 'function') throw new TypeError(`n1guard: wrapSubscribe needs graphql's subscribe function, got ${String(subscribe)}`)
  return function n1guardSubscribe(args: A): R {
    return subscribeInScopes(detector, args, () => subscribe(args))
  }
}

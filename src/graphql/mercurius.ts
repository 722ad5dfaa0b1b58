import type { DocumentNode, GraphQLSchema } from 'graphql'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { checkDetector } from './check-detector.js'
import { addOwnerLookup, attachToContext, detachFromContext, instrumentSchema } from './instrument-schema.js'
import { Operation } from './operation.js'
import { selectOperation } from './operation-name.js'
import { SubscriptionStream } from './subscription-stream.js'

/**
 * The parts of a Fastify app with Mercurius registered that n1guard uses (`app.graphql`).
 *
 * @example
 * const app: MercuriusAppLike = Fastify().register(mercurius, { schema, resolvers })
 */
export interface MercuriusAppLike {
  readonly graphql: {
    readonly schema?: GraphQLSchema
    // A method, so that Mercurius's overloaded `addHook` is assignable to it.
    addHook(name: string, hook: (...args: any[]) => unknown): unknown
  }
}

// A subscription's resolvers get a copy of the connection's context with the subscription's id:
// the connection's request object and that id find the subscription's stream.
const streams = new WeakMap<object, Map<unknown, SubscriptionStream>>()

function streamKey(context: unknown): object | undefined {
  const request = (context as { request?: unknown } | undefined)?.request
  return typeof request === 'object' && request !== null ? request : undefined
}

function streamOf(context: unknown, id: unknown): SubscriptionStream | undefined {
  const key = streamKey(context)
  return key === undefined ? undefined : streams.get(key)?.get(id)
}

/**
 * Mercurius hooks: every operation runs in its own n1guard scope named `query AuthorsWithBooks`
 * (anonymous operations by their root fields), each operation of a batched request and each event
 * of a subscription in its own; the queries a resolver runs carry its path (`Query.authors.books`),
 * and an N+1 names its field. Call it once Mercurius is registered, or register it as a Fastify
 * plugin after Mercurius. With n1guard's Fastify plugin the operation scopes nest inside the
 * request's.
 *
 * @example
 * import mercurius from 'mercurius'
 * import { mercuriusN1guard } from 'n1guard/graphql'
 * await app.register(mercurius, { schema, resolvers })
 * mercuriusN1guard(app, detector) // or: await app.register(mercuriusN1guard, { detector })
 */
export function mercuriusN1guard(app: MercuriusAppLike, detector: Detector | { readonly detector: Detector }, done?: (error?: Error) => void): void {
  const given = detector as { detector?: unknown } | null | undefined
  const d = typeof given === 'object' && given !== null && 'detector' in given && typeof (given as Partial<Detector>).startScope !== 'function' ? given.detector : detector
  checkDetector('mercuriusN1guard', d)
  const graphql = (app as Partial<MercuriusAppLike> | null | undefined)?.graphql
  if (graphql === undefined || typeof graphql.addHook !== 'function') {
    throw new TypeError('n1guard: mercuriusN1guard needs a Fastify app with Mercurius registered (app.graphql.addHook); await app.register(mercurius, ...) first')
  }
  hook(graphql, d)
  if (typeof done === 'function') done()
}

function hook(graphql: MercuriusAppLike['graphql'], detector: Detector): void {
  if (graphql.schema !== undefined) instrumentSchema(graphql.schema)
  addOwnerLookup(subscriptionOf)
  const open = new WeakMap<object, Operation>()

  graphql.addHook('preExecution', (schema: GraphQLSchema, document: DocumentNode, context: object) => {
    try {
      instrumentSchema(schema)
      const op = Operation.open(detector, selectOperation(document, undefined), false)
      if (op !== undefined) {
        attachToContext(context, op)
        open.set(context, op)
      }
    } catch (error) {
      internalError('opening the scope of a Mercurius operation', error)
    }
  })
  graphql.addHook('onResolution', (_execution: unknown, context: object) => {
    const op = open.get(context)
    if (op !== undefined) {
      open.delete(context)
      detachFromContext(context, op)
      op.end()
    }
  })
  graphql.addHook('preSubscriptionExecution', (schema: GraphQLSchema, _document: DocumentNode, context: object, id: unknown) => {
    try {
      instrumentSchema(schema)
      const key = streamKey(context)
      if (key === undefined) return
      let byId = streams.get(key)
      if (byId === undefined) streams.set(key, (byId = new Map()))
      byId.set(id, new SubscriptionStream(detector))
    } catch (error) {
      internalError('following a Mercurius subscription', error)
    }
  })
  graphql.addHook('onSubscriptionResolution', (_execution: unknown, context: object, id: unknown) => {
    streamOf(context, id)?.endEvent()
  })
  graphql.addHook('onSubscriptionEnd', (context: object, id: unknown) => {
    const stream = streamOf(context, id)
    if (stream === undefined) return
    stream.endEvent()
    streams.get(streamKey(context)!)?.delete(id)
  })
}

// The stream of a Mercurius subscription, from a resolver's context value.
function subscriptionOf(contextValue: object): SubscriptionStream | undefined {
  return streamOf(contextValue, (contextValue as { id?: unknown }).id)
}

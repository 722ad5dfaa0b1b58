// Resolvers run under their field's annotation: each field that has a resolver of its own is wrapped in
// place, once (as Apollo Server's own schema instrumentation and Envelop's useOnResolve do).
// Fields resolved by graphql-js's default resolver read a property and never query: left alone,
// they cost nothing. A resolver called outside an operation n1guard knows runs as it is.
import type { GraphQLField, GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql'
import { internalError } from '../core/internal-error.js'
import { currentAnnotation } from '../core/query-annotation.js'
import { FieldAnnotation, Operation } from './operation.js'
import { SubscriptionStream } from './subscription-stream.js'

/** Where a resolver finds its operation when the execution did not run inside one (Apollo, Mercurius). */
export type OperationOwner = Operation | SubscriptionStream

const byContext = new WeakMap<object, OperationOwner>()
const instrumented = new WeakSet<object>()
const wrappers = new WeakSet<Function>()

/** Makes `owner` the operation of every resolver called with `contextValue`. */
export function attachToContext(contextValue: unknown, owner: OperationOwner): void {
  if (typeof contextValue === 'object' && contextValue !== null) byContext.set(contextValue, owner)
}

/** Undoes `attachToContext` when `owner` is still the context's operation. */
export function detachFromContext(contextValue: unknown, owner: OperationOwner): void {
  if (typeof contextValue === 'object' && contextValue !== null && byContext.get(contextValue) === owner) byContext.delete(contextValue)
}

const lookups: Array<(contextValue: object) => OperationOwner | undefined> = []

/** Adds a way to find a resolver's operation from its context value (Mercurius subscriptions). */
export function addOwnerLookup(lookup: (contextValue: object) => OperationOwner | undefined): void {
  if (!lookups.includes(lookup)) lookups.push(lookup)
}

function ownerOf(contextValue: unknown): OperationOwner | undefined {
  const isObject = typeof contextValue === 'object' && contextValue !== null
  const attached = isObject ? byContext.get(contextValue) : undefined
  if (attached !== undefined) return attached
  const note = currentAnnotation()
  if (note instanceof FieldAnnotation) return note.operation
  if (note instanceof Operation || note instanceof SubscriptionStream) return note
  if (isObject) {
    for (const lookup of lookups) {
      const found = lookup(contextValue)
      if (found !== undefined) return found
    }
  }
  return undefined
}

// graphql-js's defaultFieldResolver, for subscription root fields that have none: their
// resolution marks the start of each event.
function defaultResolve(source: unknown, args: unknown, contextValue: unknown, info: GraphQLResolveInfo): unknown {
  if ((typeof source === 'object' && source !== null) || typeof source === 'function') {
    const property = (source as Record<string, unknown>)[info.fieldName]
    return typeof property === 'function' ? (property as Function).call(source, args, contextValue, info) : property
  }
  return undefined
}

function wrap(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  const wrapped = function n1guardResolver(this: unknown, source: unknown, args: unknown, contextValue: unknown, info: GraphQLResolveInfo): unknown {
    let op: Operation | undefined
    try {
      const owner = ownerOf(contextValue)
      op = owner instanceof SubscriptionStream ? owner.forField(info) : owner
    } catch (error) {
      internalError('finding the GraphQL operation of a resolver', error)
    }
    if (op === undefined) return resolve.call(this, source, args as never, contextValue, info)
    return op.resolve(info, () => resolve.call(this, source, args as never, contextValue, info))
  }
  wrappers.add(wrapped)
  return wrapped as GraphQLFieldResolver<unknown, unknown>
}

/**
 * Wraps, in place and once, every field resolver of `schema` (and the root fields of its
 * subscription type) so that the queries a resolver runs carry its path. Called by the server
 * integrations; safe to call again.
 *
 * @example
 * instrumentSchema(schema)
 */
export function instrumentSchema(schema: GraphQLSchema): void {
  if (instrumented.has(schema)) return
  instrumented.add(schema)
  try {
    const subscription = schema.getSubscriptionType()
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !('getFields' in type) || !('isTypeOf' in type)) continue
      const isSubscription = type === subscription
      for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
        const resolve = field.resolve
        if (resolve !== undefined && wrappers.has(resolve)) continue
        if (typeof resolve === 'function') field.resolve = wrap(resolve)
        else if (isSubscription) field.resolve = wrap(defaultResolve as GraphQLFieldResolver<unknown, unknown>)
      }
    }
  } catch (error) {
    internalError('wrapping the resolvers of a GraphQL schema', error)
  }
}

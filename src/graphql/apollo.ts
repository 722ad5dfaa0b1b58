import type { GraphQLSchema, OperationDefinitionNode } from 'graphql'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { checkDetector } from './check-detector.js'
import { attachToContext, detachFromContext, instrumentSchema } from './instrument-schema.js'
import { Operation } from './operation.js'

/**
 * The parts of an Apollo Server request context n1guard reads.
 *
 * @example
 * const rc: ApolloRequestContextLike = { contextValue: {}, operation: undefined, schema }
 */
export interface ApolloRequestContextLike {
  readonly contextValue: unknown
  readonly operation?: OperationDefinitionNode | undefined | null
  readonly schema: GraphQLSchema
}

/**
 * The Apollo Server plugin `apolloN1guard` returns, typed structurally so that n1guard never loads
 * `@apollo/server`.
 *
 * @example
 * const plugin: ApolloPluginLike = apolloN1guard(detector)
 */
export interface ApolloPluginLike {
  serverWillStart(service: { schema: GraphQLSchema }): Promise<{ schemaDidLoadOrUpdate(update: { apiSchema: GraphQLSchema }): void }>
  requestDidStart(): Promise<{
    executionDidStart(requestContext: ApolloRequestContextLike): Promise<{ executionDidEnd(error?: Error): Promise<void> }>
  }>
}

/**
 * Apollo Server 4 / 5 plugin: every operation runs in its own n1guard scope named `query
 * AuthorsWithBooks` (anonymous operations by their root fields), each operation of a batched
 * request in its own; the queries a resolver runs carry its path (`Query.authors.books`), and an
 * N+1 names its field. Apollo's hooks cannot wrap execution, so each resolver enters the
 * operation's scope itself; with n1guard's HTTP middleware in front the operation scope nests in
 * the request's. Subscriptions are served by graphql-ws next to Apollo: see `wrapSubscribe`.
 *
 * @example
 * import { ApolloServer } from '@apollo/server'
 * import { apolloN1guard } from 'n1guard/graphql'
 * const server = new ApolloServer({ schema, plugins: [apolloN1guard(detector)] })
 */
export function apolloN1guard(detector: Detector): ApolloPluginLike {
  checkDetector('apolloN1guard', detector)
  return {
    async serverWillStart({ schema }) {
      instrumentSchema(schema)
      return {
        schemaDidLoadOrUpdate({ apiSchema }) {
          instrumentSchema(apiSchema)
        },
      }
    },
    async requestDidStart() {
      return {
        async executionDidStart(requestContext) {
          let op: Operation | undefined
          try {
            instrumentSchema(requestContext.schema)
            op = Operation.open(detector, requestContext.operation ?? undefined, false)
            // Apollo gives each operation, batched ones too, a context value of its own.
            if (op !== undefined) attachToContext(requestContext.contextValue, op)
          } catch (error) {
            internalError('opening the scope of an Apollo Server operation', error)
          }
          return {
            async executionDidEnd() {
              if (op === undefined) return
              detachFromContext(requestContext.contextValue, op)
              op.end()
            },
          }
        },
      }
    },
  }
}

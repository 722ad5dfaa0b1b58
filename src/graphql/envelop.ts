import type { ExecutionArgs } from 'graphql'
import type { Detector } from '../core/detector.js'
import { checkDetector } from './check-detector.js'
import { instrumentSchema } from './instrument-schema.js'
import { executeInScope, subscribeInScopes } from './run-operation.js'

type Execute = (args: ExecutionArgs) => unknown

/**
 * The Envelop plugin `useN1guard` returns: the `onSchemaChange`, `onExecute` and `onSubscribe`
 * hooks, typed structurally so that n1guard never loads `@envelop/core`.
 *
 * @example
 * const plugin: EnvelopPluginLike = useN1guard(detector)
 */
export interface EnvelopPluginLike {
  onSchemaChange(payload: { schema: any }): void
  onExecute(payload: { args: ExecutionArgs; executeFn: Execute; setExecuteFn(fn: Execute): void }): void
  onSubscribe(payload: { args: ExecutionArgs; subscribeFn: Execute; setSubscribeFn(fn: Execute): void }): void
}

/**
 * GraphQL Yoga / Envelop plugin: every operation runs in its own n1guard scope named `query
 * AuthorsWithBooks` (anonymous operations by their root fields), every operation of a batched
 * request and every event of a subscription in its own; the queries a resolver runs carry its path
 * (`Query.authors.books`), and an N+1 names its field (`Author.books ran 20 queries for 20 Author
 * parents`). With n1guard's HTTP middleware in front, operation scopes nest inside the request's.
 *
 * @example
 * import { createYoga } from 'graphql-yoga'
 * import { useN1guard } from 'n1guard/graphql'
 * const yoga = createYoga({ schema, plugins: [useN1guard(detector)] })
 */
export function useN1guard(detector: Detector): EnvelopPluginLike {
  checkDetector('useN1guard', detector)
  return {
    onSchemaChange({ schema }) {
      if (schema !== undefined && schema !== null) instrumentSchema(schema)
    },
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(function n1guardExecute(args) {
        return executeInScope(detector, args, () => executeFn(args))
      })
    },
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn(function n1guardSubscribe(args) {
        return subscribeInScopes(detector, args, () => subscribeFn(args))
      })
    },
  }
}

/**
 * n1guard for GraphQL servers built on graphql-js: one scope per operation (per batched operation,
 * per subscription event), the resolver path on every query, and N+1 findings in GraphQL terms
 * (`Author.books` ran 20 queries for 20 `Author` parents in `query AuthorsWithBooks`) with the
 * DataLoader fix. One line per server: `useN1guard` (GraphQL Yoga / Envelop), `apolloN1guard`
 * (Apollo Server 4 / 5), `mercuriusN1guard` (Mercurius); `wrapExecute` / `wrapSubscribe` for
 * graphql-ws and hand-written servers. Imports no server package at run time.
 * @module n1guard/graphql
 */
export { apolloN1guard, type ApolloPluginLike, type ApolloRequestContextLike } from './apollo.js'
export { useN1guard, type EnvelopPluginLike } from './envelop.js'
export { instrumentSchema } from './instrument-schema.js'
export { mercuriusN1guard, type MercuriusAppLike } from './mercurius.js'
export { operationName } from './operation-name.js'
export { executeInScope, subscribeInScopes, type ExecutionArgsLike } from './run-operation.js'
export { wrapExecute, wrapSubscribe } from './wrap-execute.js'

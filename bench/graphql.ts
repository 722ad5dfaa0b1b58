// n1guard/graphql's own cost, without a database: graphql-js executing a 200-item list whose items
// have two fields with resolvers of their own (one sync, one async), 401 resolver calls per
// operation. Three columns as everywhere: bare, scope-only (detector.run around execute: the
// AsyncLocalStorage floor) and n1guard (wrapExecute: operation scope + a resolver annotation per call).
import { createRequire } from 'node:module'
import { createDetector } from 'n1guard'
import { wrapExecute } from 'n1guard/graphql'
import { alternate, difference, fmtSummary, ratio, summarize, table, type Summary } from './lib/stats.js'

// @graphql-tools/schema builds with graphql's CommonJS copy: execute must come from the same one.
const require = createRequire(import.meta.url)
const { execute, parse } = require('graphql') as typeof import('graphql')
const { makeExecutableSchema } = require('@graphql-tools/schema') as typeof import('@graphql-tools/schema')

const ITEMS = Array.from({ length: 200 }, (_, i) => ({ id: i }))
const RESOLVER_CALLS = 1 + 2 * ITEMS.length

function schema() {
  return makeExecutableSchema({
    typeDefs: 'type Query { items: [Item!]! } type Item { id: Int! double: Int! label: String! }',
    resolvers: {
      Query: { items: async () => ITEMS },
      Item: { double: (item: { id: number }) => item.id * 2, label: async (item: { id: number }) => `item ${item.id}` },
    },
  })
}

export interface GraphQLBenchResult {
  readonly overScopeOnly: Summary
  readonly perResolverNs: Summary
  readonly markdown: string
}

export async function graphqlBench(options: { operations: number; rounds: number }): Promise<GraphQLBenchResult> {
  const document = parse('query Items { items { id double label } }')
  const detector = createDetector({ mode: 'silent' })
  const bare = schema()
  const scoped = schema()
  const guarded = schema()
  const guardedExecute = wrapExecute(detector, execute)
  const n = options.operations
  const result = await alternate(
    {
      bare: async () => {
        for (let i = 0; i < n; i++) await execute({ schema: bare, document })
        return n
      },
      'scope only': async () => {
        for (let i = 0; i < n; i++) await detector.run('op', () => execute({ schema: scoped, document }))
        return n
      },
      n1guard: async () => {
        for (let i = 0; i < n; i++) await guardedExecute({ schema: guarded, document })
        return n
      },
    },
    options.rounds,
  )
  const perOpUs = (name: string) => fmtSummary(summarize(result.perOp[name]!.map((ns) => ns / 1000)), 1, ' µs')
  const overScopeOnly = ratio(result, 'n1guard', 'scope only')
  const extra = difference(result, 'n1guard', 'scope only')
  const perResolverNs = { median: extra.median / RESOLVER_CALLS, min: extra.min / RESOLVER_CALLS, max: extra.max / RESOLVER_CALLS }
  const markdown =
    table(
      ['variant', 'per operation (401 resolver calls)'],
      [
        ['bare', perOpUs('bare')],
        ['scope only', perOpUs('scope only')],
        ['n1guard/graphql', perOpUs('n1guard')],
      ],
    ) +
    `\n\nn1guard over scope-only: ×${fmtSummary(overScopeOnly)}; per resolver call: ${fmtSummary(perResolverNs, 0, ' ns')} ` +
    `(fields without a resolver of their own cost nothing).`
  return { overScopeOnly, perResolverNs, markdown }
}

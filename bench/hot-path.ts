// n1guard's own cost per query, without a database: a driver stub that answers at once.
import { AsyncLocalStorage } from 'node:async_hooks'
import { Kysely, PostgresDialect } from 'kysely'
import { createDetector } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { instrumentClient } from 'n1guard/pg'
import { alternate, difference, fmtSummary, table, type Summary } from './lib/stats.js'

function stub() {
  const result = { rows: [{ id: 1 }], rowCount: 1, command: 'SELECT' }
  return {
    query(_text: string, _values?: unknown[]) {
      return Promise.resolve(result)
    },
  }
}

// A pg Pool stub for Kysely's PostgresDialect: connect() and query() answer at once.
function stubPool() {
  const client = { ...stub(), release() {} }
  return {
    connect: () => Promise.resolve(client),
    end: () => Promise.resolve(),
  } as unknown as ConstructorParameters<typeof PostgresDialect>[0]['pool']
}

interface ItemDB {
  item: { id: number; payload: string }
}

export interface HotPathResult {
  readonly once: Summary
  readonly scope: Summary
  readonly repeated: Summary
  readonly kysely: Summary
  readonly outside: Summary
  readonly outsideBusy: Summary
  readonly markdown: string
}

// A request-like scope: 20 different statements, each run once.
const SHAPES = Array.from({ length: 20 }, (_, i) => `select "id", "name" from "table_${i}" where "id" = $1`)

export async function hotPath(options: { ops?: number; rounds?: number } = {}): Promise<HotPathResult> {
  const ops = options.ops ?? 200_000
  const rounds = options.rounds ?? 7
  const als = new AsyncLocalStorage<object>()
  const bare = stub()
  // BENCH_ADVISOR=off: the same with the query advisor off (docs/performance.md compares both).
  const detector = createDetector({ reporters: [() => undefined], ...(process.env.BENCH_ADVISOR === 'off' ? { advisor: false } : {}) })
  const watched = instrumentClient(stub(), detector)
  const sql = 'select "id", "name" from "person" where "id" = $1'
  const kBare = new Kysely<ItemDB>({ dialect: new PostgresDialect({ pool: stubPool() }) })
  const kWatched = new Kysely<ItemDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: stubPool() }), detector) })
  const params = [0]
  // Background work on a busy server: queries outside any scope while request scopes are open.
  const busyDetector = createDetector({ reporters: [() => undefined] })
  const busyClient = instrumentClient(stub(), busyDetector)
  const openRequest = busyDetector.startScope('GET /busy')
  const quiet = process.stderr.write
  // Past the warm-up, so the steady state is measured (see docs/how-it-works.md).
  for (let i = 0; i < 1200; i++) detector.startScope('warm-up').end()

  const result = await alternate(
    {
      // Queries that each run once in their scope: scopes of 20 different statements.
      'once: scope-only': async () => {
        for (let i = 0; i < ops; i += SHAPES.length) {
          await als.run({}, async () => {
            for (const s of SHAPES) await bare.query(s, [i])
          })
        }
        return ops
      },
      'once: n1guard': async () => {
        for (let i = 0; i < ops; i += SHAPES.length) {
          await detector.run('GET /people', async () => {
            for (const s of SHAPES) await watched.query(s, [i])
          })
        }
        return ops
      },
      // A scope per request that runs no query: what opening and closing a scope costs.
      'scope: AsyncLocalStorage.run': async () => {
        for (let i = 0; i < ops; i++) await als.run({}, async () => i)
        return ops
      },
      'scope: detector.run': async () => {
        for (let i = 0; i < ops; i++) await detector.run('GET /health', async () => i)
        return ops
      },
      // One scope running the same shape again and again (every query is part of an N+1).
      'repeated: scope-only': async () => {
        await als.run({}, async () => {
          for (let i = 0; i < ops; i++) await bare.query(sql, [i])
        })
        return ops
      },
      'repeated: n1guard': async () => {
        await detector.run('loop', async () => {
          for (let i = 0; i < ops; i++) await watched.query(sql, [i])
        })
        return ops
      },
      // The same through Kysely (query building and compiling included on both sides).
      'kysely: scope-only': async () => {
        await als.run({}, async () => {
          for (let i = 0; i < ops; i++) await kBare.selectFrom('item').select(['id', 'payload']).where('id', '=', i).execute()
        })
        return ops
      },
      'kysely: n1guard': async () => {
        await detector.run('loop', async () => {
          for (let i = 0; i < ops; i++) await kWatched.selectFrom('item').select(['id', 'payload']).where('id', '=', i).execute()
        })
        return ops
      },
      'outside: bare': async () => {
        for (let i = 0; i < ops; i++) await bare.query(sql, params)
        return ops
      },
      'outside: n1guard': async () => {
        for (let i = 0; i < ops; i++) await watched.query(sql, params)
        return ops
      },
      'outside, scopes open: n1guard': async () => {
        // Its one lost-context warning is not part of the measure.
        process.stderr.write = () => true
        try {
          for (let i = 0; i < ops; i++) await busyClient.query(sql, params)
        } finally {
          process.stderr.write = quiet
        }
        return ops
      },
    },
    rounds,
  )
  openRequest.end()
  const once = difference(result, 'once: n1guard', 'once: scope-only')
  const scope = difference(result, 'scope: detector.run', 'scope: AsyncLocalStorage.run')
  const repeated = difference(result, 'repeated: n1guard', 'repeated: scope-only')
  const kysely = difference(result, 'kysely: n1guard', 'kysely: scope-only')
  const outside = difference(result, 'outside: n1guard', 'outside: bare')
  const outsideBusy = difference(result, 'outside, scopes open: n1guard', 'outside: bare')
  const us = (s: Summary) => fmtSummary({ median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 }, 3, ' µs')
  const markdown = table(
    ['case', 'n1guard cost per query (median, min–max)', 'target'],
    [
      ['a query that runs once in its scope (scopes of 20 different statements; scope cost included, spread over them)', us(once), '≤ 1 µs'],
      ['a repeated query (one scope, every query part of an N+1)', us(repeated), '≤ 3 µs'],
      ['a repeated query through Kysely (the adapter included; Kysely itself costs ~8 µs here)', us(kysely), '≤ 3 µs'],
      ['a query outside any scope', us(outside), '≤ 0.1 µs'],
      ['a query outside any scope while another scope is open (background work on a busy server)', us(outsideBusy), '≤ 2 × the row above'],
      ['opening and closing a scope (per request, over AsyncLocalStorage.run)', us(scope), ''],
    ],
  )
  return { once, scope, repeated, kysely, outside, outsideBusy, markdown }
}

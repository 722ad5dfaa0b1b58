// What carrying the user's call site across a thenable ORM costs, per query, on a real PostgreSQL:
// Drizzle and Prisma primary-key selects, 20 per scope (a request with a loop), bare vs
// AsyncLocalStorage alone vs n1guard on the pool only (no call site: the stack at the query holds no
// application frame) vs the n1guard ORM helper (call site carried from the builder), in exact scopes
// (capture(), tests) and in sampled production scopes (run() after the warm-up).
//
//   npm run build && node --import tsx bench/orm-carry.ts          in-process (stub client)
//   E2E=1 node --import tsx bench/orm-carry.ts                     and on PostgreSQL
import { AsyncLocalStorage } from 'node:async_hooks'
import { PrismaPg } from '@prisma/adapter-pg'
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { pgTable, serial, text } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { createDetector } from 'n1guard'
import { instrumentDrizzle } from 'n1guard/drizzle'
import { instrumentClient, instrumentPool } from 'n1guard/pg'
import { instrumentPrisma } from 'n1guard/prisma'
import { PrismaClient } from '../.generated/prisma/client.js'
import { startPostgres } from '../examples/support/postgres.js'
import { carrySite, createDepthHint, siteToCarry } from '../dist/core/carry.js'
import { capturePort } from '../dist/core/capture-port.js'
import { alternate, difference, fmt, ratio, table } from './lib/stats.js'

// The carry by itself, in-process: taking the user's frame where the builder is made (the frame
// sits right above the helper) and running the ORM's execution inside AsyncLocalStorage.
function microCarry(): string[][] {
  const detector = createDetector({ mode: 'silent' })
  const port = capturePort(detector, 'bench')
  const hint = createDepthHint()
  const N = 200_000
  const out: string[][] = []
  const time = (name: string, body: () => void) => {
    for (let i = 0; i < 20_000; i++) body()
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < N; i++) body()
    out.push([name, fmt(Number(process.hrtime.bigint() - t0) / N / 1000, 3)])
  }
  detector.run('micro', () => {
    const entry = function helper(): unknown {
      return siteToCarry(port, entry, hint)
    }
    const site = entry() as NonNullable<ReturnType<typeof siteToCarry>>
    time('take the user frame (siteToCarry, inside a scope)', () => void entry())
    time('run the ORM call inside the carried site (carrySite)', () => void carrySite(site, () => 1))
  })
  return out
}

const PER_SCOPE = 20
const als = new AsyncLocalStorage<object>()
type Lookup = (id: number) => Promise<unknown>
const SCOPES = 50
const ROUNDS = Number(process.env.ROUNDS ?? 12)
const MICRO_ONLY = process.env.E2E !== '1'
const author = pgTable('author', { id: serial('id').primaryKey(), name: text('name').notNull() })

console.log(table(['in-process step', 'µs per ORM call'], microCarry()))

// Drizzle on a stub client (no database): n1guard's and the carry's own CPU cost per query, which
// the database's latency and a busy machine's noise would otherwise drown.
async function stubbed(): Promise<string[][]> {
  const stubClient = () => ({
    query: (_config: unknown, _params?: unknown) => Promise.resolve({ rows: [{ id: 1, name: 'a' }], fields: [], rowCount: 1, command: 'SELECT' }),
  })
  const make = (mode: 'bare' | 'pool' | 'helper', detector: ReturnType<typeof createDetector>): Lookup => {
    const client = stubClient()
    if (mode === 'pool') instrumentClient(client, detector)
    const plain = drizzle({ client: client as never })
    const db = mode === 'helper' ? instrumentDrizzle(plain, detector) : plain
    return (id) => db.select().from(author).where(eq(author.id, id))
  }
  const exact = createDetector({ mode: 'silent' })
  const sampled = createDetector({ mode: 'silent' })
  for (let s = 0; s < 1100; s++) await sampled.run('warm', async () => {})
  const lookups = {
    bare: make('bare', exact),
    poolExact: make('pool', exact),
    helperExact: make('helper', exact),
    poolSampled: make('pool', sampled),
    helperSampled: make('helper', sampled),
  }
  const scopes = (wrap: (fn: () => Promise<void>) => Promise<unknown>, lookup: Lookup) => async () => {
    for (let s = 0; s < SCOPES; s++) {
      await wrap(async () => {
        for (let i = 1; i <= PER_SCOPE; i++) await lookup(i)
      })
    }
    return SCOPES * PER_SCOPE
  }
  const result = await alternate(
    {
      'scope only': scopes((fn) => als.run({}, fn), lookups.bare),
      'pool only, capture()': scopes((fn) => exact.capture(fn), lookups.poolExact),
      'helper, capture()': scopes((fn) => exact.capture(fn), lookups.helperExact),
      'pool only, run()': scopes((fn) => sampled.run('r', fn), lookups.poolSampled),
      'helper, run()': scopes((fn) => sampled.run('r', fn), lookups.helperSampled),
    },
    ROUNDS * 2,
  )
  const base = result.perOp['scope only']!.slice().sort((a, b) => a - b)[result.perOp['scope only']!.length >> 1]! / 1000
  return Object.keys(result.perOp)
    .filter((v) => v !== 'scope only')
    .map((v) => ['Drizzle, stub client', v, fmt(base, 1), fmt(difference(result, v, 'scope only').median / 1000, 1), fmt(ratio(result, v, 'scope only').median, 3)])
}
const stubRows = await stubbed()
console.log(table(['ORM', 'variant', 'scope-only µs/query', 'added µs/query', 'ratio'], stubRows))
if (MICRO_ONLY) process.exit(0)

const server = await startPostgres()
const setup = new pg.Pool({ connectionString: server.url, max: 1 })
await setup.query('drop table if exists book; drop table if exists author')
await setup.query('create table author (id serial primary key, name text not null)')
await setup.query('create table book (id serial primary key, author_id int not null references author(id), title text not null)')
await setup.query(`insert into author (name) select 'a' || i from generate_series(1, 1000) i`)
await setup.end()

const pool = (): pg.Pool => new pg.Pool({ connectionString: server.url, max: 1 }).on('error', () => {})

function variants(make: (p: pg.Pool, mode: 'bare' | 'pool' | 'helper', detector: ReturnType<typeof createDetector>) => Lookup) {
  const exact = createDetector({ mode: 'silent' })
  const sampled = createDetector({ mode: 'silent' })
  const vPoolExact = make(pool(), 'pool', exact)
  const vHelperExact = make(pool(), 'helper', exact)
  const vPoolSampled = make(pool(), 'pool', sampled)
  const vHelperSampled = make(pool(), 'helper', sampled)
  const vBare = make(pool(), 'bare', exact)
  const loop = (lookup: Lookup) => async () => {
    for (let i = 1; i <= PER_SCOPE; i++) await lookup(i)
  }
  const scopes = (wrap: (fn: () => Promise<void>) => Promise<unknown>, lookup: Lookup) => async () => {
    for (let s = 0; s < SCOPES; s++) await wrap(loop(lookup))
    return SCOPES * PER_SCOPE
  }
  return {
    warm: async () => {
      // Past the warm-up scopes, run() samples stacks as production does.
      for (let s = 0; s < 1100; s++) await sampled.run('warm', async () => {})
    },
    variants: {
      bare: scopes((fn) => fn(), vBare),
      'scope only': scopes((fn) => als.run({}, fn), vBare),
      'pool only, capture()': scopes((fn) => exact.capture(fn), vPoolExact),
      'helper, capture()': scopes((fn) => exact.capture(fn), vHelperExact),
      'pool only, run()': scopes((fn) => sampled.run('r', fn), vPoolSampled),
      'helper, run()': scopes((fn) => sampled.run('r', fn), vHelperSampled),
    },
  }
}

const drizzleSetup = variants((p, mode, detector) => {
  if (mode === 'pool') instrumentPool(p, detector)
  const plain = drizzle({ client: p })
  const db = mode === 'helper' ? instrumentDrizzle(plain, detector) : plain
  return (id) => db.select().from(author).where(eq(author.id, id))
})
const prismaClients: PrismaClient[] = []
const prismaSetup = variants((p, mode, detector) => {
  if (mode === 'pool') instrumentPool(p, detector)
  const plain = new PrismaClient({ adapter: new PrismaPg(p) })
  prismaClients.push(plain)
  const client = mode === 'helper' ? instrumentPrisma(plain, detector) : plain
  return (id) => client.author.findUnique({ where: { id } })
})

const rows: string[][] = []
for (const [name, s] of [['Drizzle', drizzleSetup], ['Prisma', prismaSetup]] as const) {
  await s.warm()
  const result = await alternate(s.variants, ROUNDS)
  const us = (v: string) => fmt(difference(result, v, 'scope only').median / 1000, 1)
  const bareUs = fmt((result.perOp.bare!.slice().sort((a, b) => a - b)[result.perOp.bare!.length >> 1]! / 1000), 1)
  for (const v of Object.keys(s.variants).filter((k) => k !== 'bare' && k !== 'scope only')) {
    rows.push([name, v, bareUs, us(v), fmt(ratio(result, v, 'scope only').median, 3)])
  }
}
console.log(table(['ORM', 'variant', 'bare µs/query', 'added µs/query over scope-only', 'ratio over scope-only'], rows))
await Promise.all(prismaClients.map((c) => c.$disconnect()))
await server.stop()
process.exit(0)

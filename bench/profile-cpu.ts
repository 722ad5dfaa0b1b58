// A profile target: n1guard on the real PostgreSQL (or, with `double`, on the cache-evicting pg
// Client double of the `cold` bench row), one pattern, no rivals.
//   npm run build && node --import tsx bench/profile-cpu.ts pg single 20000 /tmp/out.cpuprofile
//   node --import tsx bench/profile-cpu.ts kysely all 20000 /tmp/out.cpuprofile double
// Drivers: pg, kysely, pg-bare (no n1guard); patterns: single (a scope per query), all (one scope).
// The profile covers the measured loop only.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import { Kysely, PostgresDialect } from 'kysely'
import { createDetector } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { instrumentPool } from 'n1guard/pg'
import { startPostgres } from '../examples/support/postgres.js'
import { pgDouble } from './lib/pg-double.js'

const pg = createRequire(import.meta.url)('pg') as typeof import('pg')
const [driver = 'pg', pattern = 'single', count = '20000', out, where] = process.argv.slice(2)
const double = where === 'double'
const server = double ? undefined : await startPostgres()
try {
  const options = server === undefined ? { Client: pgDouble(Number(process.env.BENCH_THRASH_KB ?? 8192)) as never } : { connectionString: server.url }
  if (server !== undefined) {
    const setup = new pg.Pool({ ...options, max: 1 })
    // Made afresh: another suite on the same DATABASE_URL may have left an `item` of another shape.
    await setup.query('drop table if exists item')
    await setup.query('create table item (id int primary key, payload text not null)')
    await setup.query('insert into item select i, md5(i::text) from generate_series(1, 1000) i')
    await setup.end()
  }
  const detector = createDetector({ reporters: [() => undefined] })
  for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
  const pool = new pg.Pool({ ...options, max: 1 })
  pool.on('error', () => undefined)
  let q: (id: number) => Promise<unknown>
  if (driver === 'pg-bare') {
    q = (id) => pool.query('select id, payload from item where id = $1', [id])
  } else if (driver === 'pg') {
    instrumentPool(pool, detector)
    q = (id) => pool.query('select id, payload from item where id = $1', [id])
  } else {
    const db = new Kysely<{ item: { id: number; payload: string } }>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
    q = (id) => db.selectFrom('item').select(['id', 'payload']).where('id', '=', id).execute()
  }
  const n = Number(count)
  const measured = async () => {
    if (pattern === 'single') for (let i = 0; i < n; i++) await detector.run('bench', () => q((i % 1000) + 1))
    else await detector.run('bench', async () => { for (let i = 0; i < n; i++) await q((i % 1000) + 1) })
  }
  // Warm the JIT on the same work before measuring.
  await measured()
  const session = new Session()
  if (out !== undefined && out !== '-') {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 50 })
    await session.post('Profiler.start')
  }
  const c0 = process.cpuUsage()
  await measured()
  const c = process.cpuUsage(c0)
  if (out !== undefined && out !== '-') writeFileSync(out, JSON.stringify((await session.post('Profiler.stop')).profile))
  process.stderr.write(`${driver} ${pattern}: ${((c.user + c.system) / n).toFixed(1)} µs CPU per query\n`)
  await pool.end()
} finally {
  await server?.stop()
}

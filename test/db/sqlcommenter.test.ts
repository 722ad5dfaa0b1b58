// sqlcommenter tags: what PostgreSQL itself sees (current_query(), pg_stat_activity) through Kysely,
// pg pools and pg clients; named statements, existing comments and fingerprints left alone.
import express from 'express'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, fingerprint, type Detector } from '../../src/index.js'
import { setTraceContextProvider } from '../../src/core/trace-context.js'
import { expressMiddleware } from '../../src/http/express.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>
let pool: pg.Pool

const SCOPE = { id: 'req-42', name: 'GET /people/:id' }
const TAG = `/*n1guard_scope='req-42',route='GET%20%2Fpeople%2F%3Aid'*/`

beforeAll(async () => {
  db = await createTestDatabase({ people: 2 })
  detector = createDetector({ mode: 'silent', sqlcommenter: true })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
  pool = instrumentPool(db.pool({ max: 2 }), detector)
})

afterAll(async () => {
  await kdb.destroy()
  await db.drop()
})

afterEach(() => {
  setTraceContextProvider(undefined)
})

async function currentQueryVia(run: () => Promise<string>): Promise<string> {
  return await detector.run(SCOPE, run)
}

describe('sqlcommenter', () => {
  test('Kysely, pool.query, pooled and plain clients: PostgreSQL sees the tag at the end of the statement', async () => {
    const viaKysely = await currentQueryVia(async () => (await sql<{ q: string }>`select current_query() as q`.execute(kdb)).rows[0]!.q)
    expect(viaKysely).toBe(`select current_query() as q ${TAG}`)
    const viaPool = await currentQueryVia(async () => (await pool.query('select current_query() as q')).rows[0].q)
    expect(viaPool).toBe(`select current_query() as q ${TAG}`)
    const viaConfig = await currentQueryVia(async () => (await pool.query({ text: 'select current_query() as q, $1::int as n', values: [7] })).rows[0].q)
    expect(viaConfig).toBe(`select current_query() as q, $1::int as n ${TAG}`)
    const pooled = await pool.connect()
    try {
      const viaPooled = await currentQueryVia(async () => (await pooled.query('select current_query() as q;')).rows[0].q)
      expect(viaPooled).toBe(`select current_query() as q ${TAG};`)
    } finally {
      pooled.release()
    }
    const client = instrumentClient(db.client(), detector)
    await client.connect()
    const viaCallback = await currentQueryVia(
      () => new Promise<string>((resolve, reject) => client.query('select current_query() as q', (e: Error | null, r: pg.QueryResult) => (e ? reject(e) : resolve(r.rows[0].q)))),
    )
    expect(viaCallback).toBe(`select current_query() as q ${TAG}`)
  })

  test('another session sees the tag in pg_stat_activity while the statement runs', async () => {
    const holder = db.client()
    const watcher = db.client()
    await holder.connect()
    await watcher.connect()
    const lockKey = 4242
    await holder.query('select pg_advisory_lock($1)', [lockKey])
    const runner = await pool.connect()
    // Blocks on the lock the holder keeps, so it is still running while the watcher looks.
    const blocked = detector.run({ id: 'req-7', name: 'POST /orders' }, () => runner.query('select pg_advisory_lock($1), 1 as waited', [lockKey]))
    let seen: string | undefined
    for (let i = 0; i < 500 && seen === undefined; i++) {
      const { rows } = await watcher.query(
        `select query from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory' and query like '%waited%'`,
      )
      seen = rows[0]?.query
    }
    await holder.query('select pg_advisory_unlock($1)', [lockKey])
    const { rows } = await blocked
    expect(rows[0].waited).toBe(1)
    expect(seen).toBe(`select pg_advisory_lock($1), 1 as waited /*n1guard_scope='req-7',route='POST%20%2Forders'*/`)
    await runner.query('select pg_advisory_unlock($1)', [lockKey])
    runner.release()
  })

  test('Kysely streams are tagged too', async () => {
    const streaming = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }), cursor: Cursor }), detector) })
    const seen = await currentQueryVia(async () => {
      const rows: string[] = []
      for await (const row of streaming.selectNoFrom(sql<string>`current_query()`.as('q')).stream()) rows.push(row.q)
      return rows[0]!
    })
    await streaming.destroy()
    expect(seen).toBe(`select current_query() as "q" ${TAG}`)
  })

  test('named prepared statements, statements with a comment and queries outside a scope are left alone', async () => {
    const named = await currentQueryVia(async () => (await pool.query({ name: 'n1guard-named', text: 'select current_query() as q' })).rows[0].q)
    expect(named).toBe('select current_query() as q')
    const commented = await currentQueryVia(async () => (await pool.query('select current_query() as q /* mine */')).rows[0].q)
    expect(commented).toBe('select current_query() as q /* mine */')
    const dashed = await currentQueryVia(async () => (await pool.query('select current_query() as q -- mine')).rows[0].q)
    expect(dashed).toBe('select current_query() as q -- mine')
    expect((await pool.query('select current_query() as q')).rows[0].q).toBe('select current_query() as q')
  })

  test('Kysely over an instrumented pool tags once; off by default', async () => {
    const p = db.pool({ max: 1 })
    const both = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: instrumentPool(p, detector) }), detector) })
    const q = await currentQueryVia(async () => (await sql<{ q: string }>`select current_query() as q`.execute(both)).rows[0]!.q)
    expect(q).toBe(`select current_query() as q ${TAG}`)
    await both.destroy()
    const plain = createDetector({ mode: 'silent' })
    const plainPool = instrumentPool(db.pool({ max: 1 }), plain)
    expect(await plain.run(SCOPE, async () => (await plainPool.query('select current_query() as q')).rows[0].q)).toBe('select current_query() as q')
  })

  test('fingerprints and findings never see the comment', async () => {
    const untagged = 'select * from "pet" where "owner_id" = $1'
    expect(fingerprint(`${untagged} ${TAG}`)).toEqual(fingerprint(untagged))
    const { findings, queries } = await detector.capture(async () => {
      for (const id of [1, 2]) await kdb.selectFrom('pet').selectAll().where('owner_id', '=', id).execute()
    })
    expect(queries.map((r) => r.sql)).toEqual(['select * from "pet" where "owner_id" = ?', 'select * from "pet" where "owner_id" = ?'])
    expect(findings[0]!.fingerprint).toBe(fingerprint(untagged).id)
  })

  test('values are URL-encoded then quote-escaped; keys are sorted; traceparent comes from the provider', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    setTraceContextProvider({ capture: () => undefined, traceparent: () => traceparent })
    const q = await detector.run({ id: "o'brien*/", name: "GET /it's" }, async () => (await pool.query('select current_query() as q')).rows[0].q)
    expect(q).toBe(
      `select current_query() as q /*n1guard_scope='o\\'brien*%2F',route='GET%20%2Fit\\'s',traceparent='${traceparent}'*/`,
    )
    const some = createDetector({ mode: 'silent', sqlcommenter: { route: false, traceparent: false } })
    const somePool = instrumentPool(db.pool({ max: 1 }), some)
    expect(await some.run(SCOPE, async () => (await somePool.query('select current_query() as q')).rows[0].q)).toBe(
      `select current_query() as q /*n1guard_scope='req-42'*/`,
    )
  })

  test('Express: statements in a handler carry the route pattern, not the path with its ids', async () => {
    const app = express()
    app.use(expressMiddleware(detector))
    app.get('/people/:id', async (req, res) => {
      res.json((await pool.query('select current_query() as q, $1::int as id', [Number(req.params.id)])).rows[0])
    })
    const response = await request(app).get('/people/31337').expect(200)
    expect(response.body.q).toMatch(/^select current_query\(\) as q, \$1::int as id \/\*n1guard_scope='[^']+',route='GET%20%2Fpeople%2F%3Aid'\*\/$/)
    expect(response.body.q).not.toContain('31337')
  })

  test('bad sqlcommenter options are TypeErrors naming the value', () => {
    expect(() => createDetector({ sqlcommenter: 'yes' as never })).toThrow(/`sqlcommenter` must be a boolean or \{ route\?, scopeId\?, traceparent\? \}, got "yes"/)
    expect(() => createDetector({ sqlcommenter: { rout: true } as never })).toThrow(/unknown sqlcommenter key "rout"/)
    expect(() => createDetector({ sqlcommenter: { route: 1 } as never })).toThrow(/sqlcommenter.route must be a boolean, got 1/)
    expect(() => createDetector({ sqlcommenter: { route: false, scopeId: false, traceparent: false } })).toThrow(TypeError)
    expect(createDetector({ sqlcommenter: true }).options.sqlcommenter).toEqual({ route: true, scopeId: true, traceparent: true })
    expect(createDetector().options.sqlcommenter).toBeUndefined()
  })
})

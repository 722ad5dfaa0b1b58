// n1guard/testing: assertNoNPlusOne, assertQueryCount and assertConstantQueries on a real
// PostgreSQL, through Kysely and raw pg, with and without an explicit detector.
import express from 'express'
import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import type pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, NPlusOneError, type Detector } from '../../src/index.js'
import { expressMiddleware } from '../../src/http/express.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { assertConstantQueries, assertNoNPlusOne, assertQueryCount, QueryCountError } from '../../src/testing/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>
let pool: pg.Pool

beforeAll(async () => {
  db = await createTestDatabase({ people: 4, petsPerPerson: 2 })
  detector = createDetector({ mode: 'silent' })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
  pool = instrumentPool(db.pool({ max: 2 }), detector)
})

afterAll(async () => {
  await kdb.destroy()
  await db.drop()
})

async function petsLoop(k: Kysely<PetShopDB> | Transaction<PetShopDB>, namePrefix = 'person'): Promise<number> {
  const people = await k.selectFrom('person').select('id').where('name', 'like', `${namePrefix}%`).orderBy('id').execute()
  let n = 0
  for (const p of people) n += (await k.selectFrom('pet').selectAll().where('owner_id', '=', p.id).execute()).length // @site:loop
  return n
}

async function petsJoined(k: Kysely<PetShopDB> | Transaction<PetShopDB>, namePrefix = 'person'): Promise<number> {
  const people = await k.selectFrom('person').select('id').where('name', 'like', `${namePrefix}%`).execute()
  if (people.length === 0) return 0
  const pets = await k.selectFrom('pet').selectAll().where('owner_id', 'in', people.map((p) => p.id)).execute()
  return pets.length
}

describe('assertNoNPlusOne', () => {
  test('resolves to the result when clean, rejects with NPlusOneError naming shape, count and line otherwise', async () => {
    await expect(assertNoNPlusOne(() => petsJoined(kdb), { detector })).resolves.toBe(8)
    const error = (await assertNoNPlusOne(() => petsLoop(kdb), { detector }).catch((e: unknown) => e)) as NPlusOneError
    expect(error).toBeInstanceOf(NPlusOneError)
    const site = siteOf(here, 'loop')
    expect(error.message).toContain('4 × select * from "pet" where "owner_id" = ?')
    expect(error.message).toContain(`${site.file}:${site.line}`)
    expect(error.findings).toHaveLength(1)
  })

  test('without { detector } it watches every live detector, each through its own adapters', async () => {
    const other = createDetector({ mode: 'silent' })
    const otherPool = instrumentPool(db.pool({ max: 1 }), other)
    const loopOnOther = async () => {
      for (const id of [1, 2, 3]) await otherPool.query('select * from toy where pet_id = $1', [id]) // @site:other
    }
    const error = (await assertNoNPlusOne(loopOnOther).catch((e: unknown) => e)) as NPlusOneError
    expect(error).toBeInstanceOf(NPlusOneError)
    expect(error.findings.map((f) => [f.count, f.callSite?.line])).toEqual([[3, siteOf(here, 'other').line]])
    await expect(assertNoNPlusOne(() => petsLoop(kdb))).rejects.toBeInstanceOf(NPlusOneError)
    // Watching only the first detector, the second one's N+1 goes unseen: and that is not a pass.
    await expect(assertNoNPlusOne(loopOnOther, { detector })).rejects.toThrow(/saw no queries .* probably not instrumented/)
    await expect(assertNoNPlusOne(loopOnOther, { detector: [detector, other] })).rejects.toBeInstanceOf(NPlusOneError)
  })

  test('catches an N+1 inside a request served in-process (supertest on the app)', async () => {
    const app = express()
    app.use(expressMiddleware(detector))
    app.get('/pets', async (_req, res) => {
      res.json({ pets: await petsLoop(kdb) })
    })
    const error = (await assertNoNPlusOne(() => request(app).get('/pets').expect(200)).catch((e: unknown) => e)) as NPlusOneError
    expect(error).toBeInstanceOf(NPlusOneError)
    expect(error.findings[0]!.scope.name).toBe('GET /pets')
    expect(error.findings[0]!.count).toBe(4)
  })

  test('duplicates do not fail it; fn errors pass through; bad arguments are TypeErrors', async () => {
    await expect(
      assertNoNPlusOne(async () => {
        for (let i = 0; i < 3; i++) await pool.query('select * from pet where owner_id = $1', [1])
      }),
    ).resolves.toBeUndefined()
    const boom = new Error('boom')
    await expect(assertNoNPlusOne(() => Promise.reject(boom))).rejects.toBe(boom)
    await expect(assertNoNPlusOne('nope' as never)).rejects.toThrow(/needs a function to run, got "nope"/)
    await expect(assertNoNPlusOne(async () => 1, { detector: 42 } as never)).rejects.toThrow(/`detector` must be a detector.*got 42/)
    await expect(assertNoNPlusOne(async () => 1, { detecter: detector } as never)).rejects.toThrow(/unknown option "detecter"/)
  })
})

describe('assertQueryCount', () => {
  test('resolves to the result when the counts hold; transaction control does not count', async () => {
    await expect(assertQueryCount(() => petsJoined(kdb), { exact: 2, select: 2, insert: 0 })).resolves.toBe(8)
    const inTransaction = () =>
      kdb.transaction().execute(async (trx) => {
        await trx.insertInto('person').values({ name: 'tx person' }).execute()
        await trx.deleteFrom('person').where('name', '=', 'tx person').execute()
      })
    await expect(assertQueryCount(inTransaction, { exact: 2, insert: 1, delete: { max: 1 }, select: 0 })).resolves.toBeUndefined()
  })

  test('fails with QueryCountError listing shapes with counts and call sites', async () => {
    const error = (await assertQueryCount(() => petsLoop(kdb), { max: 2 }).catch((e: unknown) => e)) as QueryCountError
    expect(error).toBeInstanceOf(QueryCountError)
    expect(error.name).toBe('QueryCountError')
    expect(error.counts).toMatchObject({ total: 5, select: 5, insert: 0 })
    expect(error.expected).toEqual({ max: 2 })
    expect(error.queries.map((q) => q.count)).toEqual([4, 1])
    const site = siteOf(here, 'loop')
    const lines = error.message.split('\n')
    expect(lines[0]).toBe('n1guard: expected at most 2 queries, ran 5')
    expect(lines[1]).toBe('ran 5 queries (select 5):')
    expect(lines[2]).toBe('  4 × select * from "pet" where "owner_id" = ?')
    expect(lines[3]).toBe(`      at ${site.file}:${site.line} (petsLoop)`)
    expect(lines[4]).toContain('  1 × select "id" from "person" where "name" like ? order by "id"')
  })

  test('per-class rules: a number is exact, objects take min / max / exact', async () => {
    await expect(assertQueryCount(() => petsLoop(kdb), { select: { min: 5, max: 5 } })).resolves.toBe(8)
    const error = (await assertQueryCount(() => petsLoop(kdb), { select: 2, update: { min: 1 } }).catch((e: unknown) => e)) as QueryCountError
    expect(error.message.split('\n')[0]).toBe(
      'n1guard: expected exactly 2 SELECT statements, ran 5; expected at least 1 UPDATE statements, ran 0',
    )
  })

  test('bad expectations are TypeErrors naming the value', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /needs the expected counts/],
      [{}, /needs at least one of exact, max/],
      [{ max: -1 }, /`max` must be an integer >= 0, got -1/],
      [{ exact: 1, max: 2 }, /`exact` or `max`, not both/],
      [{ select: 'two' }, /`select` must be a number or \{ exact\?, max\?, min\? \}, got "two"/],
      [{ select: { most: 2 } }, /unknown key "most" in `select`/],
      [{ select: { exact: 1, max: 2 } }, /not both/],
      [{ selects: 1 }, /unknown option "selects"/],
    ]
    for (const [options, message] of cases) {
      await expect(assertQueryCount(async () => 1, options as never), JSON.stringify(options)).rejects.toThrow(message)
      await expect(assertQueryCount(async () => 1, options as never)).rejects.toBeInstanceOf(TypeError)
    }
  })
})

describe('assertConstantQueries', () => {
  async function seedPeople(k: Transaction<PetShopDB>, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { id } = await k.insertInto('person').values({ name: `scale ${i}` }).returning('id').executeTakeFirstOrThrow()
      await k.insertInto('pet').values({ owner_id: id, name: `scale pet ${i}`, species: 'cat' }).execute()
    }
  }

  test('Kysely: a loop over rows fails with per-table counts per scale and the growing statement', async () => {
    const error = (await assertConstantQueries((_n, trx) => petsLoop(trx, 'scale'), {
      db: kdb,
      scales: [3, 2],
      seed: (n, trx) => seedPeople(trx, n),
    }).catch((e: unknown) => e)) as QueryCountError
    expect(error).toBeInstanceOf(QueryCountError)
    const lines = error.message.split('\n')
    expect(lines[0]).toBe('n1guard: the number of queries grows with n: 3 -> 4 for n = 2 -> 3')
    expect(lines).toContain('  pet: 2 -> 3')
    expect(lines).toContain('  person: 1 -> 1')
    expect(lines).toContain('  2 -> 3 × select * from "pet" where "owner_id" = ?')
    const site = siteOf(here, 'loop')
    expect(lines).toContain(`      at ${site.file}:${site.line} (petsLoop)`)
    expect(error.scales!.map((s) => [s.n, s.counts.total, s.tables])).toEqual([
      [2, 3, { person: 1, pet: 2 }],
      [3, 4, { person: 1, pet: 3 }],
    ])
    expect(error.counts.total).toBe(4)
    // Every run was rolled back: none of the seeded rows is left.
    expect(await kdb.selectFrom('person').select('id').where('name', 'like', 'scale%').execute()).toEqual([])
  })

  test('Kysely: the one-query version passes and resolves to the counts; seeding is not counted', async () => {
    const runs = await assertConstantQueries((_n, trx) => petsJoined(trx, 'scale'), { db: kdb, seed: (n, trx) => seedPeople(trx, n) })
    expect(runs.map((r) => [r.n, r.counts.total])).toEqual([
      [2, 2],
      [3, 2],
    ])
  })

  test('pg Pool and pg Client: fn gets the transaction client; growth is caught on both', async () => {
    const loop = async (n: number, client: pg.PoolClient | pg.Client) => {
      await client.query(`insert into person (name) select 'pg scale ' || i from generate_series(1, $1::int) i`, [n])
      const { rows } = await client.query<{ id: number }>(`select id from person where name like 'pg scale %'`)
      for (const row of rows) await client.query('select * from pet where owner_id = $1', [row.id])
    }
    const viaPool = (await assertConstantQueries(loop, { db: pool }).catch((e: unknown) => e)) as QueryCountError
    expect(viaPool).toBeInstanceOf(QueryCountError)
    expect(viaPool.message).toContain('  pet: 2 -> 3')
    expect(viaPool.message).toContain('  person: 2 -> 2')
    const client = db.client()
    await client.connect()
    const { instrumentClient } = await import('../../src/pg/index.js')
    instrumentClient(client, detector)
    const viaClient = (await assertConstantQueries(loop, { db: client, scales: [1, 4] }).catch((e: unknown) => e)) as QueryCountError
    expect(viaClient.message.split('\n')[0]).toBe('n1guard: the number of queries grows with n: 3 -> 6 for n = 1 -> 4')
    const left = await client.query(`select count(*)::int as n from person where name like 'pg scale %'`)
    expect(left.rows[0].n).toBe(0)
    await expect(assertConstantQueries(async () => 1, { db: client })).rejects.toThrow(/assertConstantQueries saw no queries/)
    // A pool gets every client back: two runs on a pool of two would hang otherwise.
    expect(pool.idleCount + pool.waitingCount).toBe(pool.totalCount)
  })

  test("fn's error is rethrown after the rollback; bad options are TypeErrors", async () => {
    const boom = new Error('boom')
    await expect(
      assertConstantQueries(async (_n, trx) => {
        await trx.insertInto('person').values({ name: 'scale boom' }).execute()
        throw boom
      }, { db: kdb }),
    ).rejects.toBe(boom)
    expect(await kdb.selectFrom('person').select('id').where('name', '=', 'scale boom').execute()).toEqual([])
    await expect(assertConstantQueries(async () => 1, { db: {} } as never)).rejects.toThrow(/`db` must be a Kysely instance, a pg Pool or a connected pg Client, got \{\}/)
    await expect(assertConstantQueries(async () => 1, { db: kdb, scales: [2] })).rejects.toThrow(/at least two distinct values, got \[2\]/)
    await expect(assertConstantQueries(async () => 1, { db: kdb, scales: [2, 1.5] })).rejects.toThrow(/scales\[1\] must be an integer >= 0, got 1.5/)
    await expect(assertConstantQueries(async () => 1, { db: kdb, seed: 3 } as never)).rejects.toThrow(/`seed` must be a function, got 3/)
    await expect(assertConstantQueries(async () => 1, undefined as never)).rejects.toThrow(/needs options with `db`/)
  })
})

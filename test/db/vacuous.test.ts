// Nothing passes vacuously: every test helper tells "no N+1" from "n1guard saw no queries" (a
// pool that is not instrumented, or instrumented for another detector), and fails the latter with
// a message that says how to instrument the handle.
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { assertConstantQueries, assertNoNPlusOne, assertQueryCount } from '../../src/testing/index.js'
import '../../src/vitest/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase
let bare: pg.Pool
let watched: pg.Pool
let lonely: Detector
let used: Detector

const HINT = /probably not instrumented[\s\S]*instrumentPool\(pool, detector\)/

beforeAll(async () => {
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
  bare = db.pool({ max: 2 })
  lonely = createDetector({ mode: 'silent' })
  used = createDetector({ mode: 'silent' })
  watched = instrumentPool(db.pool({ max: 2 }), used)
})
afterAll(async () => await db.drop())

const loop = (p: pg.Pool | pg.PoolClient) => async () => {
  for (const id of [1, 2, 3]) await p.query('select * from pet where owner_id = $1', [id])
}

describe('a detector that no pool, client or dialect was instrumented for', () => {
  test('assertNoNPlusOne, assertQueryCount (even { exact: 0 }) and the matchers reject', async () => {
    await expect(assertNoNPlusOne(loop(bare), { detector: lonely })).rejects.toThrow(HINT)
    await expect(assertQueryCount(loop(bare), { exact: 0, detector: lonely })).rejects.toThrow(HINT)
    await expect(assertQueryCount(loop(bare), { max: 0, detector: lonely })).rejects.toThrow(HINT)
    await expect(assertQueryCount(loop(bare), { max: 5, detector: lonely })).rejects.toThrow(HINT)
    await expect(expect(loop(bare)).toHaveNoNPlusOne({ detector: lonely })).rejects.toThrow(HINT)
    await expect(expect(loop(bare)).not.toHaveNoNPlusOne({ detector: lonely })).rejects.toThrow(HINT)
    await expect(expect(loop(bare)).toRunQueries({ exact: 0, detector: lonely })).rejects.toThrow(HINT)
  })

  test('assertConstantQueries refuses a pg pool that is not instrumented up front, before running fn', async () => {
    let ran = 0
    const error = (await assertConstantQueries(async () => void ran++, { db: bare, detector: used }).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toMatch(/option `db` \(a BoundPool\) is not instrumented[\s\S]*instrumentPool\(pool, detector\)/)
    // The pool's settings (its connection string, with the password) are never printed.
    expect(error.message).not.toContain('postgres://')
    expect(ran).toBe(0)
  })

  test('assertConstantQueries through a Kysely instance whose dialect is not instrumented: no 0 -> 0 pass', async () => {
    const kdb = new Kysely<PetShopDB>({ dialect: new PostgresDialect({ pool: db.pool({ max: 1 }) }) })
    try {
      await expect(
        assertConstantQueries(async (_n, trx) => await trx.selectFrom('pet').selectAll().execute(), { db: kdb, detector: used }),
      ).rejects.toThrow(/assertConstantQueries saw no queries/)
    } finally {
      await kdb.destroy()
    }
  })
})

describe('an instrumented detector whose handle the function does not use', () => {
  test('helpers that were not told zero is expected reject; { exact: 0 } and { max: 0 } pass', async () => {
    await expect(assertNoNPlusOne(loop(bare), { detector: used })).rejects.toThrow(/saw no queries while the function ran[\s\S]*assertQueryCount\(fn, \{ exact: 0 \}\)/)
    await expect(assertQueryCount(loop(bare), { max: 3, detector: used })).rejects.toThrow(/probably not instrumented/)
    await expect(assertQueryCount(async () => 1, { exact: 0, detector: used })).resolves.toBe(1)
    await expect(assertQueryCount(async () => 2, { max: 0, detector: used })).resolves.toBe(2)
    await expect(expect(async () => 1).toRunQueries({ exact: 0, detector: used })).resolves.toBeUndefined()
    await expect(expect(loop(bare)).toHaveNoNPlusOne({ detector: used })).rejects.toThrow(/probably not instrumented/)
  })

  test('an instrumented pool passes and fails as before', async () => {
    await expect(assertNoNPlusOne(loop(watched), { detector: used })).rejects.toThrow(/N\+1/)
    await expect(assertQueryCount(loop(watched), { exact: 3, detector: used })).resolves.toBeUndefined()
    const kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), used) })
    try {
      const runs = await assertConstantQueries(async (_n, trx) => await trx.selectFrom('pet').selectAll().execute(), { db: kdb, detector: used })
      expect(runs.map((r) => r.counts.total)).toEqual([1, 1])
    } finally {
      await kdb.destroy()
    }
  })
})

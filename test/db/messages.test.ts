// Messages a user reads: a failed assertion points its stack (and so the runner's code frame) at
// the user's test, never at n1guard's files; its header names the test; an N+1 inside a request
// served during assertNoNPlusOne is reported once (the rejection), not again by the reporters;
// jsonReporter writes durations at µs precision.
import { Writable } from 'node:stream'
import express from 'express'
import type pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, jsonReporter, type Detector, type ScopeReport } from '../../src/index.js'
import { expressMiddleware } from '../../src/http/express.js'
import { instrumentPool } from '../../src/pg/index.js'
import { assertConstantQueries, assertNoNPlusOne, assertQueryCount } from '../../src/testing/index.js'
import '../../src/vitest/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase
let pool: pg.Pool
let detector: Detector
const reports: ScopeReport[] = []

beforeAll(async () => {
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
  detector = createDetector({ reporters: [(r) => void reports.push(r)] })
  pool = instrumentPool(db.pool({ max: 2 }), detector)
})
afterAll(async () => await db.drop())

const loop = async () => {
  for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1', [id])
}

const THIS_FILE = /test\/db\/messages\.test\.ts:\d+:\d+/
const INTERNAL = /\/src\/(?:testing|core|vitest)\/|n1guard\/dist\//

function firstFrame(error: unknown): string {
  const e = error as Error
  const stack = e.stack ?? ''
  const header = `${e.name}: ${e.message}`
  expect(stack.startsWith(header)).toBe(true)
  return stack.slice(header.length).split('\n').find((l) => l.trim().startsWith('at ')) ?? ''
}

describe('failures point at the caller', () => {
  test('assertNoNPlusOne', async () => {
    const error = await assertNoNPlusOne(loop, { detector }).catch((e: unknown) => e)
    expect(firstFrame(error)).toMatch(THIS_FILE)
    expect((error as Error).stack).not.toMatch(INTERNAL)
    expect((error as Error).message.split('\n')[0]).toBe('n1guard: N+1 query in test "failures point at the caller > assertNoNPlusOne"')
  })

  test('assertQueryCount, and its bad options', async () => {
    const error = await assertQueryCount(loop, { max: 1, detector }).catch((e: unknown) => e)
    expect(firstFrame(error)).toMatch(THIS_FILE)
    expect((error as Error).stack).not.toMatch(INTERNAL)
    const bad = await assertQueryCount(loop, { maxx: 1 } as never).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(TypeError)
    expect(firstFrame(bad)).toMatch(THIS_FILE)
  })

  test('assertConstantQueries', async () => {
    const error = await assertConstantQueries(
      async (n, trx) => {
        for (let i = 0; i < n; i++) await trx.query('select * from pet where owner_id = $1', [i])
      },
      { db: pool, detector },
    ).catch((e: unknown) => e)
    expect(firstFrame(error)).toMatch(THIS_FILE)
    expect((error as Error).stack).not.toMatch(INTERNAL)
  })

  test('not instrumented', async () => {
    const error = await assertNoNPlusOne(async () => 1, { detector }).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/probably not instrumented/)
    expect(firstFrame(error)).toMatch(THIS_FILE)
  })

  test('the matchers', async () => {
    const error = await expect(loop).toRunQueries({ max: 1, detector }).catch((e: unknown) => e)
    expect((error as Error).stack).not.toMatch(INTERNAL)
    const nPlusOne = await expect(loop).toHaveNoNPlusOne({ detector }).catch((e: unknown) => e)
    expect((nPlusOne as Error).message).toContain('N+1 query in test "failures point at the caller > the matchers"')
  })

  test('detector.assertNoNPlusOne names the test too', async () => {
    const error = await detector.assertNoNPlusOne(loop).catch((e: unknown) => e)
    expect((error as Error).message.split('\n')[0]).toBe('n1guard: N+1 query in test "failures point at the caller > detector.assertNoNPlusOne names the test too"')
  })
})

test('an N+1 in a request served during assertNoNPlusOne: one rejection, no second report', async () => {
  const app = express()
  app.use(expressMiddleware(detector))
  app.get('/pets', async (_req, res) => {
    await loop()
    res.json({ ok: true })
  })
  reports.length = 0
  const error = await assertNoNPlusOne(() => request(app).get('/pets').expect(200), { detector }).catch((e: unknown) => e)
  expect((error as Error).message).toContain('N+1 query in GET /pets')
  expect(reports.flatMap((r) => r.findings).filter((f) => f.kind === 'n-plus-one')).toEqual([])
  // Outside an assertion the same request is reported as usual.
  await request(app).get('/pets').expect(200)
  expect(reports.flatMap((r) => r.findings).filter((f) => f.kind === 'n-plus-one')).toHaveLength(1)
})

test('jsonReporter rounds durations to µs', async () => {
  let out = ''
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) })
  const json = createDetector({ reporters: [jsonReporter({ stream: sink })] })
  const p = instrumentPool(db.pool({ max: 1 }), json)
  await json.run('job', async () => {
    for (const id of [1, 2, 3]) await p.query('select * from pet where owner_id = $1', [id])
  })
  const entry = JSON.parse(out.trim().split('\n')[0]!) as { totalDurationMs: number }
  expect(entry.totalDurationMs).toBeGreaterThan(0)
  expect(String(entry.totalDurationMs)).toMatch(/^\d+(?:\.\d{1,3})?$/)
})

describe('control characters in what a failed assertion prints', () => {
  test('an identifier with a newline and an ESC sequence is escaped in assertQueryCount and assertConstantQueries messages', async () => {
    const hostile = 'x\n\u001b[2Jn1guard: all clear'
    const run = () => pool.query(`select 1 as "${hostile}"`)
    const error = await assertQueryCount(run, { detector, exact: 5 }).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    expect((error as Error).message).toContain('\\x1b[2J')
    expect((error as Error).message.split('\n').some((l) => l.startsWith('n1guard: all clear'))).toBe(false)
    const growing = await assertConstantQueries(
      async (n, trx) => {
        for (let i = 0; i < n; i++) await trx.query(`select $1::int as "${hostile}"`, [i])
      },
      { db: pool, detector, scales: [1, 3] },
    ).catch((e: unknown) => e as Error)
    expect(growing).toBeInstanceOf(Error)
    expect((growing as Error).message).toContain('\\x1b[2J')
    expect((growing as Error).message.split('\n').some((l) => l.startsWith('n1guard: all clear'))).toBe(false)
  })
})

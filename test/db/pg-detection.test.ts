// Detection through raw node-postgres on a real PostgreSQL: the pg call forms (callbacks,
// checked-out clients, standalone clients). The scenarios shared with Kysely are one table in
// test/db/detection-scenarios.test.ts.
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector } from '../../src/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { only } from '../support/findings.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase
let detector: Detector
let pool: pg.Pool

beforeAll(async () => {
  db = await createTestDatabase({ people: 6, petsPerPerson: 2, toysPerPet: 2 })
  detector = createDetector({ mode: 'silent' })
  pool = instrumentPool(db.pool({ max: 2 }), detector)
})

afterAll(async () => {
  await db.drop()
})


describe('pg: N+1 detection', () => {
  test('an N+1 inside a transaction on a checked-out client is found; BEGIN / COMMIT are not', async () => {
    const { findings, queries } = await detector.capture(async () => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        for (const id of [1, 2, 3]) {
          await client.query('update person set name = $1 where id = $2', [`renamed ${id}`, id]) // @site:trx
        }
        await client.query('SAVEPOINT s1')
        await client.query('RELEASE SAVEPOINT s1')
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    })
    expect(queries.filter((q) => q.kind === 'transaction').map((q) => q.sql)).toEqual([
      'BEGIN',
      'SAVEPOINT s1',
      'RELEASE SAVEPOINT s1',
      'COMMIT',
    ])
    const f = only(findings)
    expect(f.count).toBe(3)
    expect(f.table).toBe('person')
    expect(f.callSite).toMatchObject(siteOf(here, 'trx'))
  })

  test('callback-style queries are attributed and timed', async () => {
    const { findings, queries } = await detector.capture(async () => {
      for (const id of [1, 2, 3]) {
        await new Promise<void>((resolve, reject) => {
          pool.query('select * from pet where owner_id = $1', [id], (err) => (err ? reject(err) : resolve())) // @site:cb
        })
      }
    })
    expect(queries).toHaveLength(3)
    expect(queries.every((q) => q.rowCount === 2)).toBe(true)
    const f = only(findings)
    expect(f.count).toBe(3)
    expect(f.callSite).toMatchObject(siteOf(here, 'cb'))
  })

  test('a standalone instrumented Client is seen, and instrumenting it twice never double-counts', async () => {
    const client = instrumentClient(instrumentClient(db.client(), detector), detector)
    await client.connect()
    try {
      const { queries, findings } = await detector.capture(async () => {
        for (const id of [1, 2]) await client.query({ text: 'select * from toy where pet_id = $1', values: [id] })
      })
      expect(queries).toHaveLength(2)
      expect(only(findings).count).toBe(2)
    } finally {
      await client.end()
    }
  })

  test('a pool.query that waited for a connection is timed from when it got one; one served at once is timed from its call', async () => {
    const small = instrumentPool(db.pool({ max: 1 }), detector)
    try {
      const held = await small.connect()
      let releasedAt = 0
      // The pool's only connection is checked out: this statement waits for it.
      const waiting = detector.capture(() => small.query('select 1 as n'))
      await held.query('select pg_sleep(0.2)')
      releasedAt = Date.now()
      held.release()
      const { queries } = await waiting
      expect(queries).toHaveLength(1)
      expect(queries[0]!.durationMs).toBeLessThan(150)
      expect(queries[0]!.startedAt).toBeGreaterThanOrEqual(releasedAt - 5)
      // An idle connection: handed over inside the call, timed from it.
      const before = Date.now()
      const { queries: served } = await detector.capture(() => small.query('select 2 as n'))
      expect(served[0]!.durationMs).toBeGreaterThan(0)
      expect(served[0]!.startedAt).toBeGreaterThanOrEqual(before - 5)
    } finally {
      await small.end()
    }
  })

  test('a promise-form query is recorded after it is sent: same call site, timed, and one whose send throws is still recorded', async () => {
    const client = instrumentClient(db.client(), detector)
    await client.connect()
    try {
      const counts: Array<number | null> = []
      const { queries, findings } = await detector.capture(async () => {
        for (const id of [1, 2, 3]) counts.push((await client.query('select * from toy where pet_id = $1', [id])).rowCount) // @site:sent-first
      })
      expect(counts[0]).toBeGreaterThan(0)
      expect(queries.map((q) => q.rowCount)).toEqual(counts)
      for (const q of queries) expect(q.durationMs).toBeGreaterThan(0)
      expect(only(findings).callSite).toMatchObject(siteOf(here, 'sent-first'))
    } finally {
      await client.end()
    }
    // A query method that throws on the spot (a stub, an APM agent's check): the caller gets that
    // very error, and the statement is on the record as failed.
    const boom = new Error('thrown by query itself')
    const throwing = instrumentClient(
      {
        query(_text?: string): never {
          throw boom
        },
      },
      detector,
    )
    const { queries } = await detector.capture(async () => {
      expect(() => throwing.query('select 1')).toThrow(boom)
    })
    expect(queries).toHaveLength(1)
    expect(queries[0]!.error?.name).toBe('Error')
  })

  test('two interleaved scopes keep their own counts', async () => {
    let open: () => void = () => undefined
    const opened = new Promise<void>((resolve) => (open = resolve))
    const a = detector.capture(async () => {
      for (const id of [1, 2, 3]) {
        await pool.query('select id from pet where owner_id = $1', [id])
        if (id === 1) await opened
      }
    })
    const b = detector.capture(async () => {
      for (const id of [1, 2, 3, 4, 5]) {
        await pool.query('select id from pet where owner_id = $1', [id])
        if (id === 2) open()
      }
    })
    const [ra, rb] = await Promise.all([a, b])
    expect(ra.queries).toHaveLength(3)
    expect(rb.queries).toHaveLength(5)
    expect(only(ra.findings).count).toBe(3)
    expect(only(rb.findings).count).toBe(5)
  })
})

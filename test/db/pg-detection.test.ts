// Detection through raw node-postgres on a real PostgreSQL: the scenarios of
// test/db/kysely-detection.test.ts, plus the pg call forms (callbacks, checked-out clients).
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
  test('a loop over rows is one N+1 with the right count, call site and table', async () => {
    const { findings, queries } = await detector.capture(async () => {
      const people = await pool.query<{ id: number }>('select id from person order by id')
      for (const person of people.rows) {
        await pool.query('select * from pet where owner_id = $1', [person.id]) // @site:loop
      }
    })
    expect(queries).toHaveLength(7)
    expect(queries[0]!.rowCount).toBe(6)
    const f = only(findings)
    expect(f.count).toBe(6)
    expect(f.distinctParams).toBe(6)
    expect(f.parallel).toBe(false)
    expect(f.table).toBe('pet')
    expect(f.sql).toBe('select * from pet where owner_id = ?')
    expect(f.callSite).toMatchObject(siteOf(here, 'loop'))
    expect(f.hint).toContain('owner_id = any($1')
  })

  test('Promise.all over rows is an N+1 flagged parallel', async () => {
    const { findings } = await detector.capture(async () => {
      const ids = [1, 2, 3, 4, 5, 6]
      await Promise.all(ids.map((id) => pool.query('select * from pet where owner_id = $1', [id]))) // @site:all
    })
    const f = only(findings)
    expect(f.count).toBe(6)
    expect(f.parallel).toBe(true)
    expect(f.callSite).toMatchObject(siteOf(here, 'all'))
  })

  test('inlined literals in a loop are grouped into one finding', async () => {
    const { findings } = await detector.capture(async () => {
      for (const id of [1, 2, 3, 4]) {
        await pool.query(`select * from pet where owner_id = ${id} and species <> 'fish'`) // @site:literal
      }
    })
    const f = only(findings)
    expect(f.count).toBe(4)
    expect(f.distinctParams).toBe(4)
    expect(f.sql).toBe('select * from pet where owner_id = ? and species <> ?')
    expect(f.callSite).toMatchObject(siteOf(here, 'literal'))
  })

  test('IN-lists of varying length from one line are one shape', async () => {
    const { findings } = await detector.capture(async () => {
      for (const ids of [[1], [1, 2], [1, 2, 3]]) {
        const list = ids.map((_, i) => `$${i + 1}`).join(', ')
        await pool.query(`select * from pet where owner_id in (${list})`, ids) // @site:in
      }
    })
    const f = only(findings)
    expect(f.count).toBe(3)
    expect(f.callSite).toMatchObject(siteOf(here, 'in'))
  })

  test('the same shape once each from three lines is not a finding', async () => {
    const { findings, queries } = await detector.capture(async () => {
      await pool.query('select * from pet where owner_id = $1', [1])
      await pool.query('select * from pet where owner_id = $1', [2])
      await pool.query('select * from pet where owner_id = $1', [3])
    })
    expect(queries).toHaveLength(3)
    expect(findings).toEqual([])
  })

  test('an identical query repeated is a duplicate, not an N+1', async () => {
    const { findings } = await detector.capture(async () => {
      for (let i = 0; i < 3; i++) await pool.query('select * from person where id = $1', [1]) // @site:dup
    })
    expect(findings.filter((f) => f.kind === 'n-plus-one')).toEqual([])
    const f = only(findings, 'duplicate')
    expect(f.count).toBe(3)
    expect(f.distinctParams).toBe(1)
    expect(f.callSite).toMatchObject(siteOf(here, 'dup'))
  })

  test('nested loops give two findings', async () => {
    const { findings } = await detector.capture(async () => {
      const people = await pool.query<{ id: number }>('select id from person order by id limit 3')
      for (const person of people.rows) {
        const pets = await pool.query<{ id: number }>('select id from pet where owner_id = $1', [person.id]) // @site:outer
        for (const pet of pets.rows) {
          await pool.query('select * from toy where pet_id = $1', [pet.id]) // @site:inner
        }
      }
    })
    expect(findings.map((f) => [f.kind, f.table, f.count])).toEqual([
      ['n-plus-one', 'pet', 3],
      ['n-plus-one', 'toy', 6],
    ])
    expect(findings[0]!.callSite).toMatchObject(siteOf(here, 'outer'))
    expect(findings[1]!.callSite).toMatchObject(siteOf(here, 'inner'))
  })

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

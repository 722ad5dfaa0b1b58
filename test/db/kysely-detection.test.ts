// Detection through Kysely on a real PostgreSQL: what is particular to Kysely (transactions,
// savepoints, connection(), stream()). The scenarios shared with raw node-postgres are one table in
// test/db/detection-scenarios.test.ts.
import { Kysely, PostgresDialect, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { only } from '../support/findings.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>

beforeAll(async () => {
  db = await createTestDatabase({ people: 6, petsPerPerson: 2, toysPerPet: 2 })
  detector = createDetector({ mode: 'silent' })
  kdb = new Kysely<PetShopDB>({
    dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector),
  })
})

afterAll(async () => {
  await kdb.destroy()
  await db.drop()
})


describe('Kysely: N+1 detection', () => {
  test('an N+1 inside a transaction is found, and BEGIN / COMMIT / savepoints are not', async () => {
    const { findings, queries } = await detector.capture(async () => {
      await kdb.transaction().execute(async (trx) => {
        for (const id of [1, 2, 3]) {
          await trx.updateTable('person').set({ name: `renamed ${id}` }).where('id', '=', id).execute() // @site:trx
        }
      })
    })
    expect(queries.map((q) => q.kind)).toContain('transaction')
    expect(queries.filter((q) => q.kind === 'transaction').map((q) => q.sql.toLowerCase())).toEqual(
      expect.arrayContaining(['begin', 'commit']),
    )
    const f = only(findings)
    expect(f.count).toBe(3)
    expect(f.table).toBe('person')
    expect(f.callSite).toMatchObject(siteOf(here, 'trx'))
    expect(findings.every((x) => !/^(begin|commit|savepoint|release)/i.test(x.sql))).toBe(true)
  })

  test('savepoints and nested transactions never count', async () => {
    const names = ['sp1', 'sp2', 'sp3']
    const { findings, queries } = await detector.capture(async () => {
      // Kysely 0.27 (the oldest row of the version matrix) has no controlled transactions: the same
      // statements, written by hand.
      if (typeof (kdb as { startTransaction?: unknown }).startTransaction !== 'function') {
        return kdb.transaction().execute(async (t) => {
          for (const name of names) {
            await sql`savepoint ${sql.id(name)}`.execute(t)
            await sql`release savepoint ${sql.id(name)}`.execute(t)
          }
        })
      }
      const trx = await kdb.startTransaction().execute()
      for (const name of names) {
        const sp = await trx.savepoint(name).execute()
        await sp.releaseSavepoint(name).execute()
      }
      await trx.commit().execute()
    })
    expect(queries.filter((q) => q.kind === 'transaction').length).toBe(8)
    expect(findings).toEqual([])
  })

  test('queries through connection() and stream() are seen', async () => {
    const { queries, findings } = await detector.capture(async () => {
      await kdb.connection().execute(async (conn) => {
        for (const id of [1, 2]) await conn.selectFrom('pet').select('id').where('owner_id', '=', id).execute() // @site:conn
      })
    })
    expect(queries).toHaveLength(2)
    expect(only(findings).callSite).toMatchObject(siteOf(here, 'conn'))
  })

  test('two interleaved scopes keep their own counts', async () => {
    const gate = (() => {
      let open: () => void = () => undefined
      const opened = new Promise<void>((resolve) => (open = resolve))
      return { open, opened }
    })()
    const a = detector.capture(async () => {
      for (const id of [1, 2, 3]) {
        await kdb.selectFrom('pet').select('id').where('owner_id', '=', id).execute()
        if (id === 1) await gate.opened
      }
    })
    const b = detector.capture(async () => {
      for (const id of [1, 2, 3, 4, 5]) {
        await kdb.selectFrom('pet').select('id').where('owner_id', '=', id).execute()
        if (id === 2) gate.open()
      }
    })
    const [ra, rb] = await Promise.all([a, b])
    expect(ra.queries).toHaveLength(3)
    expect(rb.queries).toHaveLength(5)
    expect(only(ra.findings).count).toBe(3)
    expect(only(rb.findings).count).toBe(5)
    expect(new Set(ra.queries.map((q) => q.scopeId)).size).toBe(1)
    expect(ra.queries[0]!.scopeId).not.toBe(rb.queries[0]!.scopeId)
  })
})

// One table of N+1 scenarios, run through both capture adapters on a real PostgreSQL: Kysely
// (instrumentDialect) and raw node-postgres (instrumentPool). What differs between them (the SQL
// text Kysely writes, the fix hint) is stated per adapter; every other expectation is shared.
// Adapter-specific behaviour stays in kysely-detection.test.ts and pg-detection.test.ts.
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createDetector, type Detector, type Finding, type QueryRecord } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { only } from '../support/findings.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
type AdapterName = 'kysely' | 'pg'
interface Handles {
  readonly kysely: Kysely<PetShopDB>
  readonly pg: pg.Pool
}
interface Outcome {
  readonly findings: Finding[]
  readonly queries: QueryRecord[]
}
interface Scenario {
  readonly name: string
  readonly kysely: (k: Kysely<PetShopDB>) => Promise<unknown>
  readonly pg: (pool: pg.Pool) => Promise<unknown>
  /** `site(marker)`: the line of `// @site:<adapter>-<marker>` in this file. */
  readonly check: (outcome: Outcome, adapter: AdapterName, site: (marker: string) => { file: string; line: number }) => void
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a loop over rows is one N+1 with the right count, call site and table',
    kysely: async (k) => {
      const people = await k.selectFrom('person').select('id').orderBy('id').execute()
      for (const person of people) {
        await k.selectFrom('pet').selectAll().where('owner_id', '=', person.id).execute() // @site:kysely-loop
      }
    },
    pg: async (pool) => {
      const people = await pool.query<{ id: number }>('select id from person order by id')
      for (const person of people.rows) {
        await pool.query('select * from pet where owner_id = $1', [person.id]) // @site:pg-loop
      }
    },
    check: ({ findings, queries }, adapter, site) => {
      expect(queries).toHaveLength(7)
      expect(queries[0]!.rowCount).toBe(6)
      const f = only(findings)
      expect(f.count).toBe(6)
      expect(f.distinctParams).toBe(6)
      expect(f.parallel).toBe(false)
      expect(f.table).toBe('pet')
      expect(f.sql).toBe({ kysely: 'select * from "pet" where "owner_id" = ?', pg: 'select * from pet where owner_id = ?' }[adapter])
      expect(f.callSite).toMatchObject(site('loop'))
      expect(f.hint).toContain({ kysely: "where('owner_id', 'in', ids)", pg: 'owner_id = any($1' }[adapter])
      expect(f.scope.id).toBe(queries[0]!.scopeId)
      expect(f.totalDurationMs).toBeGreaterThan(0)
    },
  },
  {
    name: 'Promise.all over rows is an N+1 flagged parallel',
    kysely: async (k) => {
      const people = await k.selectFrom('person').select('id').execute()
      await Promise.all(people.map((p) => k.selectFrom('pet').selectAll().where('owner_id', '=', p.id).execute())) // @site:kysely-all
    },
    pg: async (pool) => {
      const ids = [1, 2, 3, 4, 5, 6]
      await Promise.all(ids.map((id) => pool.query('select * from pet where owner_id = $1', [id]))) // @site:pg-all
    },
    check: ({ findings }, _, site) => {
      const f = only(findings)
      expect(f.count).toBe(6)
      expect(f.parallel).toBe(true)
      expect(f.callSite).toMatchObject(site('all'))
    },
  },
  {
    name: 'inlined literals in a loop are grouped into one finding',
    kysely: async (k) => {
      for (const id of [1, 2, 3, 4]) {
        await sql`select * from pet where owner_id = ${sql.lit(id)}`.execute(k) // @site:kysely-literal
      }
    },
    pg: async (pool) => {
      for (const id of [1, 2, 3, 4]) {
        await pool.query(`select * from pet where owner_id = ${id} and species <> 'fish'`) // @site:pg-literal
      }
    },
    check: ({ findings }, adapter, site) => {
      const f = only(findings)
      expect(f.count).toBe(4)
      expect(f.distinctParams).toBe(4)
      expect(f.sql).toBe({ kysely: 'select * from pet where owner_id = ?', pg: 'select * from pet where owner_id = ? and species <> ?' }[adapter])
      expect(f.callSite).toMatchObject(site('literal'))
    },
  },
  {
    name: 'IN-lists of varying length from one line are one shape',
    kysely: async (k) => {
      for (const ids of [[1], [1, 2], [1, 2, 3], [4, 5, 6, 7]]) {
        await k.selectFrom('pet').selectAll().where('owner_id', 'in', ids).execute() // @site:kysely-in
      }
    },
    pg: async (pool) => {
      for (const ids of [[1], [1, 2], [1, 2, 3], [4, 5, 6, 7]]) {
        const list = ids.map((_, i) => `$${i + 1}`).join(', ')
        await pool.query(`select * from pet where owner_id in (${list})`, ids) // @site:pg-in
      }
    },
    check: ({ findings }, adapter, site) => {
      const f = only(findings)
      expect(f.count).toBe(4)
      expect(f.sql).toBe({ kysely: 'select * from "pet" where "owner_id" in (...)', pg: 'select * from pet where owner_id in (...)' }[adapter])
      expect(f.callSite).toMatchObject(site('in'))
    },
  },
  {
    name: 'the same shape once each from three lines is not a finding',
    kysely: async (k) => {
      await k.selectFrom('pet').selectAll().where('owner_id', '=', 1).execute()
      await k.selectFrom('pet').selectAll().where('owner_id', '=', 2).execute()
      await k.selectFrom('pet').selectAll().where('owner_id', '=', 3).execute()
    },
    pg: async (pool) => {
      await pool.query('select * from pet where owner_id = $1', [1])
      await pool.query('select * from pet where owner_id = $1', [2])
      await pool.query('select * from pet where owner_id = $1', [3])
    },
    check: ({ findings, queries }) => {
      expect(queries).toHaveLength(3)
      expect(new Set(queries.map((q) => q.fingerprint)).size).toBe(1)
      expect(findings).toEqual([])
    },
  },
  {
    name: 'an identical query repeated is a duplicate, not an N+1',
    kysely: async (k) => {
      for (let i = 0; i < 3; i++) {
        await k.selectFrom('person').selectAll().where('id', '=', 1).executeTakeFirstOrThrow() // @site:kysely-dup
      }
    },
    pg: async (pool) => {
      for (let i = 0; i < 3; i++) await pool.query('select * from person where id = $1', [1]) // @site:pg-dup
    },
    check: ({ findings }, _, site) => {
      expect(findings.filter((f) => f.kind === 'n-plus-one')).toEqual([])
      const f = only(findings, 'duplicate')
      expect(f.count).toBe(3)
      expect(f.distinctParams).toBe(1)
      expect(f.callSite).toMatchObject(site('dup'))
    },
  },
  {
    name: 'nested loops give two findings',
    kysely: async (k) => {
      const people = await k.selectFrom('person').select('id').orderBy('id').limit(3).execute()
      for (const person of people) {
        const pets = await k.selectFrom('pet').select('id').where('owner_id', '=', person.id).execute() // @site:kysely-outer
        for (const pet of pets) {
          await k.selectFrom('toy').selectAll().where('pet_id', '=', pet.id).execute() // @site:kysely-inner
        }
      }
    },
    pg: async (pool) => {
      const people = await pool.query<{ id: number }>('select id from person order by id limit 3')
      for (const person of people.rows) {
        const pets = await pool.query<{ id: number }>('select id from pet where owner_id = $1', [person.id]) // @site:pg-outer
        for (const pet of pets.rows) {
          await pool.query('select * from toy where pet_id = $1', [pet.id]) // @site:pg-inner
        }
      }
    },
    check: ({ findings }, _, site) => {
      expect(findings.map((f) => [f.kind, f.table, f.count])).toEqual([
        ['n-plus-one', 'pet', 3],
        ['n-plus-one', 'toy', 6],
      ])
      expect(findings[0]!.callSite).toMatchObject(site('outer'))
      expect(findings[1]!.callSite).toMatchObject(site('inner'))
    },
  },
]

let db: TestDatabase
let detector: Detector
let handles: Handles

beforeAll(async () => {
  db = await createTestDatabase({ people: 6, petsPerPerson: 2, toysPerPet: 2 })
  detector = createDetector({ mode: 'silent' })
  handles = {
    kysely: new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) }),
    pg: instrumentPool(db.pool({ max: 2 }), detector),
  }
})

afterAll(async () => {
  await handles.kysely.destroy()
  await db.drop()
})

for (const adapter of ['kysely', 'pg'] as const) {
  describe(`${adapter === 'kysely' ? 'Kysely' : 'pg'}: N+1 detection scenarios`, () => {
    for (const scenario of SCENARIOS) {
      test(scenario.name, async () => {
        const run = scenario[adapter] as (handle: Handles[typeof adapter]) => Promise<unknown>
        const { findings, queries } = await detector.capture(() => run(handles[adapter]))
        scenario.check({ findings, queries }, adapter, (marker) => siteOf(here, `${adapter}-${marker}`))
      })
    }
  })
}

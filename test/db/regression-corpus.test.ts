// The regression corpus of issue 13 ("findings that are facts"): each case runs real statements
// on PostgreSQL and states the exact findings it must give (kind, count, severity, proven,
// source, table, call site, hint), including none. Over the whole corpus the run prints
// precision (findings that are right) and recall (loops that were found); docs/detection.md
// records them. A new case is a new row, with the loops it contains as expected findings.
import { type ExpressionBuilder, Kysely, PostgresDialect } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createDetector, type DetectorOptions, type Finding } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
const site = (marker: string) => siteOf(here, marker)

/** What one expected finding must be; every field given is compared exactly, `hint` by inclusion. */
interface Expected {
  readonly kind: Finding['kind']
  readonly count: number
  readonly severity: Finding['severity']
  readonly proven: boolean
  readonly table: string | undefined
  /** `// @site:<marker>` of the finding's call site. */
  readonly at: string
  readonly source?: { readonly table: string; readonly column: string; readonly queries: number; readonly rowCount: number; readonly at: string }
  readonly hint: string
  readonly distinctParams?: number
}

interface Case {
  readonly name: string
  readonly options?: DetectorOptions
  readonly run: (h: { pool: pg.Pool; db: Kysely<PetShopDB> }) => Promise<unknown>
  /** The findings, in order; an empty list when the case has no loop and nothing to report. */
  readonly expected: readonly Expected[]
}

const PEOPLE = 6

const CASES: Case[] = [
  {
    name: "rows read with rowMode 'array' (Drizzle, Prisma) prove the loop they feed",
    run: async ({ pool }) => {
      const people = await pool.query<unknown[]>({ text: 'select id, name from person order by id', rowMode: 'array' }) // @site:array-source
      for (const row of people.rows) await pool.query({ text: 'select * from pet where owner_id = $1', values: [row[0]], rowMode: 'array' }) // @site:array-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'array-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'array-source' },
        hint: 'collect person.id from the first query, then load every pet row in one query: where owner_id = any($1::int[])',
      },
    ],
  },
  {
    name: "requireMultiRowSource keeps a loop fed by rowMode 'array' rows",
    options: { requireMultiRowSource: true },
    run: async ({ pool }) => {
      const people = await pool.query<unknown[]>({ text: 'select id from person order by id', rowMode: 'array' }) // @site:array-strict-source
      for (const [id] of people.rows) await pool.query('select * from pet where owner_id = $1', [id]) // @site:array-strict-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'array-strict-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'array-strict-source' },
        hint: 'where owner_id = any($1::int[])',
      },
    ],
  },
  {
    name: 'values inlined into the SQL text (Sequelize, MikroORM) prove the loop like parameters',
    run: async ({ pool }) => {
      // The text Sequelize writes for Person.findAll() then person.getPets().
      const people = await pool.query<{ id: number }>('SELECT "id", "name" FROM "person" AS "Person" ORDER BY "Person"."id";') // @site:inline-source
      for (const p of people.rows) await pool.query(`SELECT "id", "name", "owner_id" FROM "pet" AS "Pet" WHERE "Pet"."owner_id" = ${p.id};`) // @site:inline-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'inline-loop', distinctParams: PEOPLE,
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'inline-source' },
        hint: 'load every pet row in one query: where owner_id = any(',
      },
    ],
  },
  {
    name: 'requireMultiRowSource keeps a loop whose values are inlined the way MikroORM writes them',
    options: { requireMultiRowSource: true },
    run: async ({ pool }) => {
      const people = await pool.query<{ id: number }>('select "p0".* from "person" as "p0" order by "p0"."id" asc') // @site:mikro-source
      for (const p of people.rows) await pool.query(`select "p0".* from "pet" as "p0" where "p0"."owner_id" = ${p.id} limit 10`) // @site:mikro-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'mikro-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'mikro-source' },
        hint: 'where owner_id = any(',
      },
    ],
  },
  {
    name: 'requireMultiRowSource keeps a loop whose values are inlined, with array rows too',
    options: { requireMultiRowSource: true },
    run: async ({ pool }) => {
      const people = await pool.query<unknown[]>({ text: "select id from person where name like 'person%' order by id", rowMode: 'array' }) // @site:inline-strict-source
      for (const [id] of people.rows) await pool.query({ text: `select name from pet where owner_id = ${String(id)} and species <> 'fish'`, rowMode: 'array' }) // @site:inline-strict-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'inline-strict-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'inline-strict-source' },
        hint: 'where owner_id = any(',
      },
    ],
  },
  {
    name: 'the same INSERT repeated is a loop of writes, fixed by one multi-row insert (SQL)',
    run: async ({ pool }) => {
      for (let i = 0; i < 5; i++) await pool.query('insert into pet (owner_id, name, species) values ($1, $2, $3)', [1, 'twin', 'cat']) // @site:insert-same
    },
    expected: [
      {
        kind: 'n-plus-one', count: 5, severity: 'medium', proven: false, table: 'pet', at: 'insert-same', distinctParams: 1,
        hint: 'insert all rows in one statement: insert into pet (...) values (...), (...)',
      },
    ],
  },
  {
    name: 'a loop of single-row inserts through Kysely: the hint is .values(rows)',
    run: async ({ db }) => {
      const people = await db.selectFrom('person').select('id').orderBy('id').execute() // @site:kysely-insert-source
      for (const p of people) await db.insertInto('pet').values({ owner_id: p.id, name: 'new', species: 'dog' }).execute() // @site:kysely-insert-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'kysely-insert-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'kysely-insert-source' },
        hint: "insert all rows in one statement: .insertInto('pet').values(rows) with an array of rows",
      },
    ],
  },
  {
    name: 'a loop of single-row updates: one update with = any()',
    run: async ({ pool }) => {
      const pets = await pool.query<{ id: number }>("select id from pet where owner_id = $1 and name like 'pet %'", [2]) // @site:update-source
      for (const p of pets.rows) await pool.query('update pet set name = $1 where id = $2', ['renamed', p.id]) // @site:update-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: 2, severity: 'high', proven: true, table: 'pet', at: 'update-loop',
        source: { table: 'pet', column: 'id', queries: 1, rowCount: 2, at: 'update-source' },
        hint: 'update all rows in one statement: where id = any($1::int[]) with an array of keys',
      },
    ],
  },
  {
    name: 'DDL repeated (a migration run per test) is not a duplicate',
    run: async ({ pool }) => {
      for (let i = 0; i < 3; i++) await pool.query('create table if not exists corpus_ddl (id int primary key)')
      for (let i = 0; i < 3; i++) await pool.query('create index if not exists corpus_ddl_id on corpus_ddl (id)')
    },
    expected: [],
  },
  {
    name: 'advisory locks taken and released per job are not duplicates',
    run: async ({ pool }) => {
      for (let i = 0; i < 4; i++) {
        await pool.query('select pg_advisory_lock($1)', [4242])
        await pool.query('select pg_advisory_unlock($1)', [4242])
      }
      for (let i = 0; i < 3; i++) await pool.query('select pg_try_advisory_lock(7), pg_advisory_unlock_all()')
    },
    expected: [],
  },
  {
    name: 'a multi-statement text is classed by the select inside, not by BEGIN',
    run: async ({ pool }) => {
      for (let i = 0; i < 20; i++) await pool.query('begin; select * from pet where owner_id = 1; commit') // @site:multi-same
    },
    expected: [
      {
        kind: 'duplicate', count: 20, severity: 'medium', proven: false, table: 'pet', at: 'multi-same',
        hint: 'the same query with the same parameters ran 20 times',
      },
    ],
  },
  {
    name: 'a multi-statement text in a loop over rows is a proven N+1',
    run: async ({ pool }) => {
      const people = await pool.query<{ id: number }>('select id from person order by id') // @site:multi-source
      for (const p of people.rows) await pool.query(`begin; select * from pet where owner_id = ${p.id}; commit`) // @site:multi-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'multi-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'multi-source' },
        hint: 'owner_id = any(',
      },
    ],
  },
  {
    name: "the main table is the outer FROM, not a subquery's (the jsonArrayFrom shape in a loop)",
    run: async ({ pool }) => {
      for (const id of [1, 2, 3]) {
        await pool.query( // @site:main-table
          'select person.id, (select coalesce(json_agg(pet), $2) from pet where pet.owner_id = person.id) as pets from person where person.id = $1',
          [id, '[]'],
        )
      }
    },
    expected: [
      {
        kind: 'n-plus-one', count: 3, severity: 'low', proven: false, table: 'person', at: 'main-table',
        hint: 'load every person row in one query',
      },
    ],
  },
  {
    name: "Kysely's jsonArrayFrom (the fix n1guard recommends) run per id is on person, not pet",
    run: async ({ db }) => {
      for (const id of [1, 2, 3, 4]) {
        const pets = (eb: ExpressionBuilder<PetShopDB, 'person'>) =>
          jsonArrayFrom(eb.selectFrom('pet').select(['pet.id', 'pet.name']).whereRef('pet.owner_id', '=', 'person.id')).as('pets')
        await db.selectFrom('person').select((eb) => ['person.id', pets(eb)]).where('person.id', '=', id).execute() // @site:kysely-json-array
      }
    },
    expected: [
      {
        kind: 'n-plus-one', count: 4, severity: 'medium', proven: false, table: 'person', at: 'kysely-json-array',
        hint: "load every person row in one query: .where('id', 'in', ids)",
      },
    ],
  },
  {
    name: "ignore: { table: 'pet' } does not hide a loop on person that nests pets",
    options: { ignore: [{ table: 'pet' }] },
    run: async ({ pool }) => {
      for (const id of [4, 5]) {
        await pool.query( // @site:main-table-ignore
          'select person.id, (select json_agg(pet) from pet where pet.owner_id = person.id) as pets from person where person.id = $1',
          [id],
        )
      }
    },
    expected: [
      {
        kind: 'n-plus-one', count: 2, severity: 'low', proven: false, table: 'person', at: 'main-table-ignore',
        hint: 'load every person row in one query',
      },
    ],
  },
  {
    name: 'transaction control around each write in a loop is not a finding; the writes are',
    run: async ({ db }) => {
      for (const name of ['a', 'b', 'c', 'd']) {
        await db.transaction().execute((trx) => trx.insertInto('pet').values({ owner_id: 3, name, species: 'cat' }).execute()) // @site:trx-loop
      }
    },
    expected: [
      {
        kind: 'n-plus-one', count: 4, severity: 'medium', proven: false, table: 'pet', at: 'trx-loop',
        hint: ".insertInto('pet').values(rows)",
      },
    ],
  },
  {
    name: 'two different lookups from two lines are not a loop',
    run: async ({ pool }) => {
      await pool.query('select * from person where id = $1', [1])
      await pool.query('select * from person where id = $1', [2])
    },
    expected: [],
  },
  {
    name: 'Promise.all over rows is one N+1, flagged parallel',
    run: async ({ pool }) => {
      const people = await pool.query<{ id: number }>('select id from person order by id') // @site:all-source
      await Promise.all(people.rows.map((p) => pool.query('select * from pet where owner_id = $1', [p.id]))) // @site:all-loop
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'all-loop',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'all-source' },
        hint: 'owner_id = any(',
      },
    ],
  },
  {
    name: 'order in time: a read that returned 0 rows before a loop of inserts never proves it (Kysely Migrator)',
    run: async ({ pool }) => {
      await pool.query('create table if not exists corpus_migration (name text primary key, at timestamptz not null default now())')
      await pool.query('select name, at from corpus_migration order by name') // @site:mig-read-before
      for (const name of ['m1', 'm2', 'm3']) await pool.query('insert into corpus_migration (name) values ($1)', [name]) // @site:mig-insert
      await pool.query('select name, at from corpus_migration order by name') // @site:mig-read-after
      await pool.query('drop table corpus_migration')
    },
    expected: [
      {
        kind: 'n-plus-one', count: 3, severity: 'low', proven: false, table: 'corpus_migration', at: 'mig-insert',
        hint: 'values (...), (...)',
      },
    ],
  },
  {
    name: 'siblings are not sources: two shapes per row under Promise.all are one MN+1 fed by person.id',
    run: async ({ pool }) => {
      const people = await pool.query<{ id: number }>('select id from person order by id') // @site:sib-source
      await Promise.all(
        people.rows.map(async (p) => {
          await pool.query('select * from pet where owner_id = $1', [p.id]) // @site:sib-pets
          await pool.query('select count(*) from pet where owner_id = $1', [p.id])
        }),
      )
    },
    expected: [
      {
        kind: 'n-plus-one', count: PEOPLE, severity: 'high', proven: true, table: 'pet', at: 'sib-pets',
        source: { table: 'person', column: 'id', queries: 1, rowCount: PEOPLE, at: 'sib-source' },
        hint: 'the loop runs 2 queries per row (pet, pet)',
      },
    ],
  },
]

// A finding is right when what it claims is: kind, count, table, line, severity, and its proof
// (proven or not, and from which table and column).
function matches(f: Finding, e: Expected): boolean {
  return (
    f.kind === e.kind &&
    f.count === e.count &&
    f.table === e.table &&
    f.callSite?.line === site(e.at).line &&
    f.severity === e.severity &&
    f.proven === e.proven &&
    f.source?.table === e.source?.table &&
    f.source?.column === e.source?.column &&
    f.hint.includes(e.hint)
  )
}

let database: TestDatabase
const tally = { findings: 0, right: 0, loops: 0, found: 0 }

beforeAll(async () => {
  database = await createTestDatabase({ people: PEOPLE, petsPerPerson: 2 })
})

afterAll(async () => {
  await database?.drop()
  const precision = tally.findings === 0 ? 1 : tally.right / tally.findings
  const recall = tally.loops === 0 ? 1 : tally.found / tally.loops
  console.log(
    `regression corpus: ${CASES.length} cases, precision ${(precision * 100).toFixed(1)} % (${tally.right}/${tally.findings} findings right), recall ${(recall * 100).toFixed(1)} % (${tally.found}/${tally.loops} expected findings found)`,
  )
})

describe('regression corpus (issue 13)', () => {
  test.each(CASES)('$name', async (c) => {
    const detector = createDetector({ threshold: 2, mode: 'silent', ...c.options })
    const pool = instrumentPool(database.pool(), detector)
    const db = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: database.pool() }), detector) })
    try {
      const { findings, queries } = await detector.capture(() => c.run({ pool, db }))
      expect(queries.length).toBeGreaterThan(0)
      tally.findings += findings.length
      tally.right += findings.filter((f) => c.expected.some((e) => matches(f, e))).length
      tally.loops += c.expected.length
      tally.found += c.expected.filter((e) => findings.some((f) => matches(f, e))).length

      const shown = JSON.stringify(findings, null, 2)
      expect(findings, shown).toHaveLength(c.expected.length)
      c.expected.forEach((e, i) => {
        const f = findings[i]!
        expect({ kind: f.kind, count: f.count, severity: f.severity, proven: f.proven, table: f.table }, shown).toEqual({
          kind: e.kind, count: e.count, severity: e.severity, proven: e.proven, table: e.table,
        })
        expect(f.callSite, shown).toMatchObject(site(e.at))
        expect(f.hint).toContain(e.hint)
        if (e.distinctParams !== undefined) expect(f.distinctParams).toBe(e.distinctParams)
        if (e.source === undefined) {
          expect(f.source, shown).toBeUndefined()
        } else {
          expect(f.source, shown).toMatchObject({ table: e.source.table, column: e.source.column, queries: e.source.queries, rowCount: e.source.rowCount })
          expect(f.source!.callSite, shown).toMatchObject(site(e.source.at))
        }
      })
    } finally {
      await db.destroy()
    }
  })
})

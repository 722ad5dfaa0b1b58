// Grouping by the application call path (issue 20) and proofs that hold in time (issue 13, points
// 1, 2 and 8), on a real PostgreSQL, through raw pg and through Kysely. The functions below are the
// "application": a repository helper shared by its callers, a service that loops, a route.
import knex, { type Knex } from 'knex'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createDetector, type Finding } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentKnex } from '../../src/orm/knex.js'
import { instrumentPool } from '../../src/pg/index.js'
import { formatFinding } from '../../src/report/format-finding.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { only } from '../support/findings.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
const line = (marker: string) => siteOf(here, marker).line
const file = siteOf(here, 'pg-get').file

let db: TestDatabase
let pool: pg.Pool
let kysely: Kysely<PetShopDB>
let kx: Knex
const detector = createDetector({ mode: 'silent' })

beforeAll(async () => {
  db = await createTestDatabase()
  pool = instrumentPool(db.pool(), detector)
  kysely = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool() }), detector) })
  kx = instrumentKnex(knex({ client: 'pg', connection: db.url, searchPath: [db.schema], pool: { min: 0, max: 4 } }), detector)
})
afterAll(async () => {
  await kx?.destroy()
  await kysely?.destroy()
  await db?.drop()
})

// The repository layer, once per adapter.
interface Repository {
  getPerson(id: number): Promise<unknown>
  petsOf(ownerId: number): Promise<unknown[]>
  countPets(ownerId: number): Promise<number>
  peopleIds(): Promise<number[]>
}
const pgRepo: Repository = {
  async getPerson(id) {
    return (await pool.query('select * from person where id = $1', [id])).rows[0] // @site:pg-get
  },
  async petsOf(ownerId) {
    return (await pool.query('select * from pet where owner_id = $1', [ownerId])).rows // @site:pg-pets
  },
  async countPets(ownerId) {
    return Number((await pool.query('select count(*) as n from pet where owner_id = $1', [ownerId])).rows[0].n) // @site:pg-count
  },
  async peopleIds() {
    return (await pool.query('select id from person order by id limit 5')).rows.map((r: { id: number }) => r.id) // @site:pg-people
  },
}
const kyselyRepo: Repository = {
  async getPerson(id) {
    // `return await`: V8 keeps an async frame only for a function that awaits (see docs/detection.md).
    return await kysely.selectFrom('person').selectAll().where('id', '=', id).executeTakeFirst() // @site:kysely-get
  },
  async petsOf(ownerId) {
    return await kysely.selectFrom('pet').selectAll().where('owner_id', '=', ownerId).execute() // @site:kysely-pets
  },
  async countPets(ownerId) {
    const row = await kysely.selectFrom('pet').select((eb) => eb.fn.countAll<string>().as('n')).where('owner_id', '=', ownerId).executeTakeFirstOrThrow() // @site:kysely-count
    return Number(row.n)
  },
  async peopleIds() {
    return (await kysely.selectFrom('person').select('id').orderBy('id').limit(5).execute()).map((r) => r.id) // @site:kysely-people
  },
}
const knexRepo: Repository = {
  async getPerson(id) {
    return await kx('person').where({ id }).first() // @site:knex-get
  },
  async petsOf(ownerId) {
    return await kx('pet').where({ owner_id: ownerId }) // @site:knex-pets
  },
  async countPets(ownerId) {
    const row = await kx('pet').count<{ n: string }[]>({ n: '*' }).where({ owner_id: ownerId }) // @site:knex-count
    return Number(row[0]!.n)
  },
  async peopleIds() {
    return (await kx('person').select('id').orderBy('id').limit(5)).map((r: { id: number }) => r.id) // @site:knex-people
  },
}
const repos = { pg: pgRepo, kysely: kyselyRepo, knex: knexRepo } as const

// The example: one helper, four different lines, four different rows, no loop.
async function handler(repo: Repository) {
  const user = await repo.getPerson(1)
  const owner = await repo.getPerson(2)
  const org = await repo.getPerson(3)
  const team = await repo.getPerson(4)
  return [user, owner, org, team]
}

async function loadAll(repo: Repository, ids: number[]) {
  for (const id of ids) await repo.getPerson(id) // @site:loop-one
}
async function loadOthers(repo: Repository, ids: number[]) {
  for (const id of ids) await repo.getPerson(id) // @site:loop-two
}

// repository -> service -> route
async function petsOfPeople(repo: Repository, ids: number[]) {
  const out: unknown[][] = []
  for (const id of ids) out.push(await repo.petsOf(id)) // @site:service
  return out
}
async function route(repo: Repository) {
  const ids = await repo.peopleIds()
  const pets = await petsOfPeople(repo, ids) // @site:route
  const mine = await repo.petsOf(ids[0]!) // one more pet lookup on another path: not part of the loop
  return [pets, mine]
}

describe.each(['pg', 'kysely', 'knex'] as const)('grouped by the application call path, through %s', (adapter) => {
  const repo = repos[adapter]
  const helper = line(`${adapter}-get`)

  test("the issue's example: one helper called from four lines is clean, and assertNoNPlusOne resolves", async () => {
    const { findings, queries } = await detector.capture(() => handler(repo))
    expect(queries).toHaveLength(4)
    // Every query is sent from the helper's line: only the callers tell them apart.
    expect(new Set(queries.map((q) => q.callSite?.line))).toEqual(new Set([helper]))
    expect(findings).toEqual([])
    await expect(detector.assertNoNPlusOne(() => handler(repo))).resolves.toHaveLength(4)
  })

  test('the helper called in a loop is one N+1 whose stack shows the helper, then the loop', async () => {
    const { findings } = await detector.capture(() => loadAll(repo, [1, 2, 3, 4, 5]))
    const f = only(findings)
    expect(f).toMatchObject({ count: 5, distinctParams: 5, callSite: { file, line: helper, function: 'getPerson' } })
    expect(f.stack?.slice(0, 2)).toMatchObject([
      { file, line: helper, function: 'getPerson' },
      { file, line: line('loop-one'), function: 'loadAll' },
    ])
    await expect(detector.assertNoNPlusOne(() => loadAll(repo, [1, 2, 3]))).rejects.toThrow(/N\+1/)
  })

  test('the helper called in two different loops is two findings, one per loop', async () => {
    const { findings } = await detector.capture(async () => {
      await loadAll(repo, [1, 2, 3])
      await loadOthers(repo, [4, 5, 6])
    })
    const loops = findings.filter((f) => f.kind === 'n-plus-one')
    expect(loops).toHaveLength(2)
    expect(loops.map((f) => f.callSite?.line)).toEqual([helper, helper])
    expect(loops.map((f) => f.stack?.[1]?.line)).toEqual([line('loop-one'), line('loop-two')])
    expect(loops.map((f) => f.count)).toEqual([3, 3])
    expect(new Set(loops.map((f) => f.id)).size).toBe(2)
  })

  test('repository -> service -> route: the finding carries all three frames, and the console says where to fix', async () => {
    const { findings } = await detector.capture(() => route(repo))
    const f = only(findings)
    // The fifth lookup, from the route directly, is another path: the loop ran 5 times.
    expect(f).toMatchObject({ count: 5, callSite: { line: line(`${adapter}-pets`), function: 'petsOf' } })
    expect(f.stack?.slice(0, 3)).toMatchObject([
      { file, line: line(`${adapter}-pets`), function: 'petsOf' },
      { file, line: line('service'), function: 'petsOfPeople' },
      { file, line: line('route'), function: 'route' },
    ])
    expect(f.proven).toBe(true)
    expect(f.source).toMatchObject({ table: 'person', column: 'id', callSite: { line: line(`${adapter}-people`) } })
    expect(f.hint).toContain(`called from ${file}:${line('service')}, then ${file}:${line('route')}`)
    const text = formatFinding(f).join('\n')
    expect(text).toContain(`called from ${file}:${line('service')}:`)
    expect(text).toContain(`called from ${file}:${line('route')}:`)
  })

  test('a plain loop written in one function keeps one group, sequential and in Promise.all', async () => {
    const { findings } = await detector.capture(async () => {
      for (const id of [1, 2, 3]) await repo.petsOf(id)
      await Promise.all([4, 5, 6].map(async (id) => repo.petsOf(id)))
    })
    const loops = findings.filter((f) => f.kind === 'n-plus-one')
    expect(loops.map((f) => f.count)).toEqual([3, 3])
    expect(loops[0]!.parallel).toBe(false)
    // Knex takes each query's connection from its own pool first; overlap is judged at the pg layer.
    if (adapter !== 'knex') expect(loops[1]!.parallel).toBe(true)
  })
})

describe('duplicates across call paths', () => {
  const getName = (id: number) => pool.query('select name from person where id = $1', [id]) // @site:dup-helper

  test('the same read with the same parameters from two lines is one duplicate listing both sites', async () => {
    const { findings } = await detector.capture(async () => {
      await getName(1) // @site:dup-a
      await getName(1) // @site:dup-b
      await getName(2)
    })
    const f = only(findings, 'duplicate')
    expect(findings.filter((x) => x.kind === 'n-plus-one')).toEqual([])
    expect(f).toMatchObject({ count: 2, distinctParams: 1, table: 'person' })
    expect(f.sites?.map((s) => s.line)).toEqual([line('dup-a'), line('dup-b')])
    expect(formatFinding(f).join('\n')).toContain(`sent from ${file}:${line('dup-b')}:`)
  })

  test('a read repeated after a write to its table is not a duplicate', async () => {
    const { findings } = await detector.capture(async () => {
      await getName(1)
      await pool.query('update person set email = $2 where id = $1', [1, 'a@example.com'])
      await getName(1)
    })
    expect(findings).toEqual([])
  })

  test('a repeated idempotent write is a duplicate; one that reads its own column is not', async () => {
    const setName = (name: string) => pool.query('update person set name = $2 where id = $1', [3, name])
    const append = (suffix: string) => pool.query('update person set name = name || $2 where id = $1', [4, suffix])
    // Each sent from two lines: from one line, a repeated write is a loop of writes (an N+1).
    const { findings } = await detector.capture(async () => {
      await setName('Ada')
      await setName('Ada')
      await append('!')
      await append('!')
    })
    const f = only(findings, 'duplicate')
    expect(f.sql).toBe('update person set name = ? where id = ?')
    expect(f.count).toBe(2)
  })
})

describe('proofs that hold in time', () => {
  test('a statement is never its own source: a loop of insert ... returning feeding the next insert', async () => {
    const { findings } = await detector.capture(async () => {
      await kysely.transaction().execute(async (trx) => {
        for (const name of ['p1', 'p2', 'p3', 'p4']) {
          const person = await trx.insertInto('person').values({ name, email: null }).returning('id').executeTakeFirstOrThrow()
          await trx.insertInto('pet').values({ owner_id: person.id, name: `${name}'s cat`, species: 'cat' }).execute()
        }
        throw new Rollback()
      }).catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e
      })
    })
    const loops = findings.filter((f) => f.kind === 'n-plus-one')
    expect(loops.length).toBeGreaterThan(0)
    for (const f of loops) {
      expect(f.proven, JSON.stringify(f.source)).toBe(false)
      expect(f.source).toBeUndefined()
    }
  })

  test('rows returned after the loop ran are no proof (a select of 0 rows, 3 inserts, the select again)', async () => {
    const { findings } = await detector.capture(async () => {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const list = () => client.query("select name from person where name like 'mig-%' order by name")
        await list()
        for (const name of ['mig-1', 'mig-2', 'mig-3']) await client.query('insert into person (name) values ($1)', [name])
        const after = await list()
        expect(after.rows).toHaveLength(3)
      } finally {
        await client.query('rollback')
        client.release()
      }
    })
    const f = only(findings)
    expect(f.sql).toBe('insert into person (name) values (?)')
    expect(f.proven).toBe(false)
    expect(f.source).toBeUndefined()
    expect(f.severity).not.toBe('high')
  })

  test.each(['sequential', 'parallel'] as const)('siblings are not sources: %s MN+1 is one finding fed by person.id', async (how) => {
    const repo = pgRepo
    const { findings } = await detector.capture(async () => {
      const ids = await repo.peopleIds()
      const each = async (id: number) => {
        await repo.petsOf(id)
        await repo.countPets(id)
      }
      if (how === 'parallel') await Promise.all(ids.map(each))
      else for (const id of ids) await each(id)
    })
    const f = only(findings)
    expect(f.pattern?.map((m) => m.table)).toEqual(['pet', 'pet'])
    expect(f).toMatchObject({ count: 5, proven: true, source: { table: 'person', column: 'id', rowCount: 5, queries: 1 } })
    expect(f.parallel).toBe(how === 'parallel')
  })
})

describe('unknown call sites are not evidence', () => {
  // A query sent from code with no application frame on the stack: a function made at run time
  // (no file) called by Node's timers (node: internals), as a library's callback would be.
  const fromLibrary = new Function(
    'pool',
    'id',
    'out',
    "out.push(pool.query('select * from pet where owner_id = $1', [id]))",
  ) as (pool: pg.Pool, id: number, out: Array<Promise<unknown>>) => void
  async function viaTimers(ids: number[]) {
    const out: Array<Promise<unknown>> = []
    for (const id of ids) {
      setImmediate(fromLibrary, pool, id, out)
      // Immediates run in order: this one runs after the query was sent.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    await Promise.all(out)
  }

  test('never more than low severity, said in the hint, and never fails a test by itself', async () => {
    const { findings, queries } = await detector.capture(() => viaTimers([1, 2, 3, 4, 5]))
    expect(queries).toHaveLength(5)
    expect(queries.every((q) => q.callSite === undefined)).toBe(true)
    const f: Finding = only(findings)
    expect(f).toMatchObject({ count: 5, severity: 'low' })
    expect(f.callSite).toBeUndefined()
    expect(f.hint).toMatch(/^call site unknown: no application frame was on the stack/)
    await expect(detector.assertNoNPlusOne(() => viaTimers([1, 2, 3, 4, 5]))).resolves.toBeUndefined()
  })
})

class Rollback extends Error {}

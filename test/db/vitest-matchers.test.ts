// expect(fn).toHaveNoNPlusOne() and expect(fn).toRunQueries(), installed by importing n1guard/vitest.
import { Kysely, PostgresDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import '../../src/vitest/index.js'
import { createDetector, type Detector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { installMatchers } from '../../src/vitest/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>

beforeAll(async () => {
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
  detector = createDetector({ mode: 'silent' })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
})

afterAll(async () => {
  await kdb.destroy()
  await db.drop()
})

async function slow(): Promise<number> {
  const people = await kdb.selectFrom('person').select('id').execute()
  for (const p of people) await kdb.selectFrom('pet').selectAll().where('owner_id', '=', p.id).execute() // @site:slow
  return people.length
}

async function fast(): Promise<number> {
  const people = await kdb.selectFrom('person').select('id').execute()
  await kdb.selectFrom('pet').selectAll().where('owner_id', 'in', people.map((p) => p.id)).execute()
  return people.length
}

describe('toHaveNoNPlusOne', () => {
  test('passes on one query per table, fails with the shape, count and file:line otherwise', async () => {
    await expect(fast).toHaveNoNPlusOne()
    await expect(() => fast()).toHaveNoNPlusOne({ detector })
    const error = await expect(slow).toHaveNoNPlusOne().catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    const site = siteOf(here, 'slow')
    expect(error!.message).toContain('3 × select * from "pet" where "owner_id" = ?')
    expect(error!.message).toContain(`at ${site.file}:${site.line} (slow)`)
  })

  test('.not passes on an N+1 and says so when there is none', async () => {
    await expect(slow).not.toHaveNoNPlusOne()
    await expect(expect(fast).not.toHaveNoNPlusOne()).rejects.toThrow('n1guard: expected an N+1 query, but the function ran none (2 queries (select 2))')
  })

  test('needs a function', async () => {
    await expect(expect(fast()).toHaveNoNPlusOne()).rejects.toThrow(/toHaveNoNPlusOne needs a function to run, as in expect\(\(\) => load\(db\)\)/)
  })
})

describe('toRunQueries', () => {
  test('passes within the counts, fails with the statements by shape, count and call site', async () => {
    await expect(fast).toRunQueries({ exact: 2 })
    await expect(fast).toRunQueries({ select: { max: 2 }, insert: 0 })
    const error = await expect(slow).toRunQueries({ max: 2 }).catch((e: unknown) => e as Error)
    const site = siteOf(here, 'slow')
    expect(error!.message.split('\n').slice(0, 4)).toEqual([
      'n1guard: expected at most 2 queries, ran 4',
      'ran 4 queries (select 4):',
      '  3 × select * from "pet" where "owner_id" = ?',
      `      at ${site.file}:${site.line} (slow)`,
    ])
    await expect(slow).not.toRunQueries({ max: 2 })
  })

  test('bad expectations are TypeErrors; installMatchers is idempotent', async () => {
    await expect(expect(fast).toRunQueries({ max: 'two' } as never)).rejects.toThrow(/`max` must be an integer >= 0, got "two"/)
    await expect(expect(fast).toRunQueries(undefined as never)).rejects.toThrow(TypeError)
    installMatchers()
    installMatchers()
    await expect(fast).toRunQueries({ exact: 2 })
  })
})

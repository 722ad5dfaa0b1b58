// n1guard must never change what the application sees: the same results and the same errors
// with and without it, and no parameter value in any output unless asked for.
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { consoleReporter, createDetector, NPlusOneError, type Detector, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import type { PetShopDB } from '../../examples/support/schema.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 5 })
})

afterAll(async () => {
  await db.drop()
})

type Outcome = { ok: true; value: unknown } | { ok: false; error: { ctor: string; name: string; code: unknown; message: string } }

async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    const e = error as { name: string; code?: unknown; message: string; constructor: { name: string } }
    return { ok: false, error: { ctor: e.constructor.name, name: e.name, code: e.code, message: e.message } }
  }
}

function pgResult(r: pg.QueryResult): unknown {
  return { rows: r.rows, rowCount: r.rowCount, command: r.command, fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })) }
}

describe('results and errors are identical with and without n1guard', () => {
  const cases: Array<[string, (pool: pg.Pool) => Promise<unknown>]> = [
    ['select with values', async (p) => pgResult(await p.query('select id, name from person where id <= $1 order by id', [3]))],
    ['array row mode', async (p) => pgResult(await p.query({ text: 'select id, name from person order by id', rowMode: 'array' }))],
    ['prepared statement', async (p) => pgResult(await p.query({ name: 'by-id', text: 'select * from person where id = $1', values: [2] }))],
    ['multi-statement text', async (p) => (await p.query('select 1 as a; select 2 as b') as unknown as pg.QueryResult[]).map(pgResult)],
    ['syntax error', async (p) => p.query('selec * from person')],
    ['unique violation', async (p) => p.query('insert into person (name, email) values ($1, $2)', ['dup', 'person1@example.test'])],
    ['bad parameter type', async (p) => p.query('select * from person where id = $1', ['not a number'])],
    ['missing relation', async (p) => p.query('select * from no_such_table')],
  ]

  for (const [name, run] of cases) {
    test(`pg: ${name}`, async () => {
      const bare = db.pool({ max: 1 })
      const detector = createDetector({ mode: 'silent' })
      const watched = instrumentPool(db.pool({ max: 1 }), detector)
      const expected = await outcome(() => run(bare))
      const inScope = await outcome(() => detector.run('transparency', () => run(watched)))
      const outOfScope = await outcome(() => run(watched))
      expect(inScope).toEqual(expected)
      expect(outOfScope).toEqual(expected)
    })
  }

  test('Kysely: rows, errors and streams are the same', async () => {
    const detector = createDetector({ mode: 'silent' })
    const bare = new Kysely<PetShopDB>({ dialect: new PostgresDialect({ pool: db.pool({ max: 1 }) }) })
    const watched = new Kysely<PetShopDB>({
      dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), detector),
    })
    const scenarios: Array<(k: Kysely<PetShopDB>) => Promise<unknown>> = [
      (k) => k.selectFrom('person').selectAll().orderBy('id').execute(),
      (k) => k.selectFrom('person').selectAll().where('id', '=', 99).executeTakeFirstOrThrow(),
      (k) => k.insertInto('person').values({ name: 'x', email: 'person2@example.test' }).execute(),
      (k) => sql`selec 1`.execute(k),
      (k) => k.updateTable('person').set({ name: 'same' }).where('id', '<', 0).executeTakeFirst(),
      (k) => k.transaction().execute(async (t) => t.selectFrom('pet').select('id').orderBy('id').limit(2).execute()),
    ]
    try {
      for (const scenario of scenarios) {
        const expected = await outcome(() => scenario(bare))
        expect(await outcome(() => detector.run('k', () => scenario(watched)))).toEqual(expected)
      }
    } finally {
      await bare.destroy()
      await watched.destroy()
    }
  })
})

describe('parameter values never leave the process by default', () => {
  const SECRET = 'sentinel-7f3a-secret@example.test'

  async function everyOutput(detector: Detector, pool: pg.Pool, out: string[]): Promise<string> {
    const texts: string[] = []
    const report = await detector.capture(async () => {
      for (let i = 0; i < 3; i++) {
        await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
        await pool.query(`select * from person where email = '${SECRET}' and id > ${i}`)
        await pool.query('select * from person where email = $1', [SECRET])
      }
      await pool.query('select * from person where id = $1', [SECRET]).catch(() => undefined)
    })
    texts.push(JSON.stringify(report))
    try {
      await detector.assertNoNPlusOne(async () => {
        for (let i = 0; i < 3; i++) await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
      })
    } catch (error) {
      expect(error).toBeInstanceOf(NPlusOneError)
      texts.push(String((error as Error).message), String((error as Error).stack), JSON.stringify(error))
    }
    await detector.run('warned', async () => {
      for (let i = 0; i < 3; i++) await pool.query(`select * from person where email = '${SECRET}' and id > $1`, [i])
    })
    texts.push(out.join(''))
    return texts.join('\n')
  }

  test('not in records, findings, errors or console warnings', async () => {
    const out: string[] = []
    const detector = createDetector({ reporters: [consoleReporter({ stream: { write: (s: string) => out.push(s) } })] })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const all = await everyOutput(detector, pool, out)
    expect(out.join('')).toContain('N+1 query')
    expect(all).toContain('where email = ?')
    expect(all).not.toContain('sentinel-7f3a')
  })

  test('with captureParams the values are on records, but inlined literals stay masked in shapes', async () => {
    const detector = createDetector({ mode: 'silent', captureParams: true })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const report = await detector.capture(async () => {
      for (let i = 0; i < 2; i++) {
        await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
        await pool.query(`select * from person where name = '${SECRET}' and id > ${i}`)
      }
    })
    expect(report.queries[0]!.params).toEqual([SECRET, 0])
    expect(report.findings[0]!.sampleParams?.[0]).toEqual([SECRET, 0])
    expect(report.queries.map((q) => q.sql).join('\n')).not.toContain(SECRET)
    expect(report.findings.map((f) => f.sql).join('\n')).not.toContain(SECRET)
  })

  test('with captureParams, request and job scopes carry sample parameters too', async () => {
    const seen: ScopeReport[] = []
    const detector = createDetector({ captureParams: true, reporters: [(r) => seen.push(r)] })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    await detector.run('job', async () => {
      for (let i = 1; i <= 7; i++) await pool.query('select * from person where id = $1', [i])
    })
    expect(seen[0]!.findings[0]!.sampleParams).toEqual([[1], [2], [3], [4], [5]])
  })
})

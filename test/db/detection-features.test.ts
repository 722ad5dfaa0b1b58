// Proof, patterns, budgets, pauses, baselines and lost-context warnings on a real PostgreSQL.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest'
import { consoleReporter, createDetector, explainSource, NPlusOneError, type Detector, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>
let pool: pg.Pool

beforeAll(async () => {
  db = await createTestDatabase({ people: 5, petsPerPerson: 2, toysPerPet: 1 })
  detector = createDetector({ mode: 'silent' })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
  pool = instrumentPool(db.pool({ max: 2 }), detector)
})

afterAll(async () => {
  await kdb.destroy()
  await db.drop()
})

describe('the query that fed the loop', () => {
  test('Kysely: the person query is named as the proof, with its call site, rows and column', async () => {
    const { findings } = await detector.capture(async () => {
      const people = await kdb.selectFrom('person').select(['id', 'name']).orderBy('id').execute() // @site:source
      for (const p of people) await kdb.selectFrom('pet').selectAll().where('owner_id', '=', p.id).execute() // @site:loop
    })
    const [f] = findings
    expect(f).toMatchObject({ kind: 'n-plus-one', proven: true, severity: 'high', count: 5 })
    expect(f!.callSite).toMatchObject(siteOf(here, 'loop'))
    expect(f!.source).toMatchObject({ table: 'person', column: 'id', param: 1, queries: 1, rowCount: 5 })
    expect(f!.source!.callSite).toMatchObject(siteOf(here, 'source'))
    expect(explainSource(f!)).toBe('1 query on person returned 5 rows; its id column fed 5 queries on pet')
    expect(f!.hint).toContain('collect person.id from the first query')
  })

  test('raw pg: nested loops name their own sources', async () => {
    const { findings } = await detector.capture(async () => {
      const people = await pool.query<{ id: number }>('select id from person order by id limit 3')
      for (const p of people.rows) {
        const pets = await pool.query<{ id: number }>('select id, name from pet where owner_id = $1 order by id', [p.id])
        for (const pet of pets.rows) await pool.query('select name from toy where pet_id = $1', [pet.id])
      }
    })
    expect(findings.map((f) => [f.table, f.count, f.proven, f.source?.table, f.source?.column, f.source?.rowCount])).toEqual([
      ['pet', 3, true, 'person', 'id', 3],
      ['toy', 6, true, 'pet', 'id', 6],
    ])
    expect(findings[1]!.hint).toContain('where pet_id = any($1::int[]) with an array of id')
  })

  test('a loop over ids the code already had is an N+1 but not proven', async () => {
    const { findings } = await detector.capture(async () => {
      for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1', [id])
    })
    expect(findings[0]).toMatchObject({ proven: false, severity: 'medium' })
    expect(findings[0]!.source).toBeUndefined()
  })

  test('the console warning and the error message carry the proof', async () => {
    const out: string[] = []
    const loud = createDetector({ reporters: [consoleReporter({ stream: { write: (s: string) => out.push(s) }, colors: false })] })
    const lp = instrumentPool(db.pool({ max: 1 }), loud)
    const loop = async () => {
      const people = await lp.query<{ id: number }>('select id from person order by id')
      for (const p of people.rows) await lp.query('select * from pet where owner_id = $1', [p.id])
    }
    await loud.run('GET /people', loop)
    expect(out.join('')).toContain('proof: 1 query on person returned 5 rows; its id column fed 5 queries on pet')
    const error = await loud.assertNoNPlusOne(loop).catch((e: unknown) => e)
    expect((error as NPlusOneError).message).toContain('proof: 1 query on person returned 5 rows')
  })
})

describe('MN+1 patterns', () => {
  test('a loop running two shapes per row is one finding listing both', async () => {
    const { findings } = await detector.capture(async () => {
      const people = await kdb.selectFrom('person').select('id').orderBy('id').execute()
      for (const p of people) {
        await kdb.selectFrom('pet').select('name').where('owner_id', '=', p.id).execute() // @site:pets
        await kdb.selectFrom('person').select('email').where('id', '=', p.id).executeTakeFirst() // @site:email
      }
    })
    expect(findings).toHaveLength(1)
    const [f] = findings
    expect(f!.pattern?.map((m) => [m.table, m.count])).toEqual([
      ['pet', 5],
      ['person', 5],
    ])
    expect(f!.pattern![0]!.callSite).toMatchObject(siteOf(here, 'pets'))
    expect(f!.pattern![1]!.callSite).toMatchObject(siteOf(here, 'email'))
    expect(f!.proven).toBe(true)
  })
})

describe('query budget', () => {
  test('maxQueries per detector, per scope function and per run', async () => {
    const reports: ScopeReport[] = []
    const budgeted = createDetector({
      threshold: 50,
      maxQueries: (scope) => (scope.name === 'GET /reports' ? 100 : 3),
      reporters: [(r) => reports.push(r)],
    })
    const bp = instrumentPool(db.pool({ max: 1 }), budgeted)
    const four = async () => {
      for (const id of [1, 2]) await bp.query('select * from pet where owner_id = $1', [id])
      await bp.query('select count(*) from toy')
      await bp.query('select count(*) from person')
    }
    await budgeted.run('GET /people', four)
    await budgeted.run('GET /reports', four)
    await budgeted.run({ name: 'GET /reports', maxQueries: 2 }, four)
    expect(reports.map((r) => [r.scope.name, r.findings.map((f) => [f.kind, f.count, f.budget])])).toEqual([
      ['GET /people', [['query-budget', 4, 3]]],
      ['GET /reports', []],
      ['GET /reports', [['query-budget', 4, 2]]],
    ])
    const f = reports[0]!.findings[0]!
    expect(f.topShapes?.[0]).toMatchObject({ count: 2, table: 'pet' })
  })
})

describe('pausing and ignore rules', () => {
  test('detector.ignore(fn) pauses detection for a block and returns its result', async () => {
    const { findings, queries } = await detector.capture(async () => {
      await pool.query('select 1')
      const n = await detector.ignore(async () => {
        for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1', [id])
        return 3
      })
      expect(n).toBe(3)
    })
    expect(queries).toHaveLength(1)
    expect(findings).toEqual([])
  })

  test('rules that never matched are stale', async () => {
    const d = createDetector({ mode: 'silent', ignore: [{ table: 'pet' }, { table: 'audit_log' }, /never-there/] })
    const p = instrumentPool(db.pool({ max: 1 }), d)
    await d.capture(async () => {
      for (const id of [1, 2]) await p.query('select * from pet where owner_id = $1', [id])
    })
    expect(d.staleIgnoreRules()).toEqual([{ table: 'audit_log' }, /never-there/])
  })
})

describe('baseline for an existing codebase', () => {
  const loop = async (p: pg.Pool) => {
    for (const id of [1, 2]) await p.query('select * from pet where owner_id = $1', [id]) // @site:known
  }
  const other = async (p: pg.Pool) => {
    for (const id of [1, 2]) await p.query('select * from toy where pet_id = $1', [id])
  }

  test('known findings warn but never fail; new ones fail; unmatched entries are stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-baseline-'))
    const path = join(dir, 'n1guard-baseline.json')
    const fingerprint = (await detector.capture(() => loop(pool))).findings[0]!.fingerprint
    const known = siteOf(here, 'known')
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        findings: [
          { kind: 'n-plus-one', fingerprint, file: known.file, function: 'loop', sql: 'select * from pet where owner_id = ?' },
          { kind: 'n-plus-one', fingerprint: 'ffffffffffffffff', file: 'src/gone.ts', function: 'removed' },
        ],
      }),
    )
    // The temp folder goes when the test ends (the harness leaves nothing in the temp dir).
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const d = createDetector({ mode: 'throw', reporters: [], baseline: path })
    const p = instrumentPool(db.pool({ max: 1 }), d)
    await expect(d.run('known', () => loop(p))).resolves.toBeUndefined()
    await expect(d.assertNoNPlusOne(() => loop(p))).resolves.toBeUndefined()
    const { findings } = await d.capture(() => loop(p))
    expect(findings[0]).toMatchObject({ baselined: true })
    await expect(d.assertNoNPlusOne(() => other(p))).rejects.toBeInstanceOf(NPlusOneError)
    expect(d.staleBaselineEntries().map((e) => e.file)).toEqual(['src/gone.ts'])
  })

  test('N1GUARD_UPDATE_BASELINE=1 writes the file at exit, keyed by file and function, not line', async () => {
    // Inside the repository (git-ignored), so the script resolves `pg` from node_modules.
    const scratch = new URL('../../.tmp/', import.meta.url).pathname
    mkdirSync(scratch, { recursive: true })
    const dir = mkdtempSync(join(scratch, 'baseline-'))
    const path = join(dir, 'baseline.json')
    const script = join(dir, 'app.mts')
    const src = new URL('../../src/', import.meta.url).pathname
    writeFileSync(
      script,
      `import pg from 'pg'
import { createDetector } from '${src}index.ts'
import { instrumentPool } from '${src}pg/index.ts'
const detector = createDetector({ baseline: ${JSON.stringify(path)}, reporters: [] })
const pool = instrumentPool(new pg.Pool({ connectionString: process.env.DATABASE_URL, options: '-c search_path=${db.schema}' }), detector)
async function loadPets() {
  for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1', [id])
}
await detector.run('job', loadPets)
await pool.end()
`,
    )
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname
    const run = promisify(execFile)
    const env = { ...process.env, DATABASE_URL: db.url, N1GUARD_UPDATE_BASELINE: '1' }
    const { stderr } = await run(tsx, [script], { env, cwd: dir })
    expect(stderr).toContain('baseline')
    const written = JSON.parse(readFileSync(path, 'utf8')) as { findings: Array<Record<string, unknown>> }
    expect(written.findings).toEqual([
      expect.objectContaining({ kind: 'n-plus-one', file: 'app.mts', function: 'loadPets', sql: 'select * from pet where owner_id = ?', table: 'pet' }),
    ])
    expect(JSON.stringify(written)).not.toMatch(/"line"/)
    rmSync(dir, { recursive: true, force: true })
  })
})

describe('lost async context', () => {
  test('a query with no scope while a scope is open is named once, with its call site', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const d = createDetector({ reporters: [] })
      const p = instrumentPool(db.pool({ max: 1 }), d)
      // A continuation registered outside any scope runs outside it, whoever triggers it.
      let release: () => void = () => undefined
      const gate = new Promise<void>((resolve) => (release = resolve))
      const detached = gate.then(() => p.query('select 1 as lost')) // @site:lost
      await d.run('GET /x', async () => {
        release()
        await detached
        await p.query('select 2')
      })
      const again = gate.then(() => p.query('select 1 as lost')) // @site:lost2
      await d.run('GET /y', async () => {
        await again
      })
      const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('outside any scope'))
      const site = siteOf(here, 'lost')
      expect(said).toHaveLength(2)
      expect(said[0]).toContain(`${site.file}:${site.line}`)
      expect(said[0]).toContain('async context was lost')
    } finally {
      stderr.mockRestore()
    }
  })

  test('a query that outlives its scope is named once as fire-and-forget', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const d = createDetector({ reporters: [] })
      const p = instrumentPool(db.pool({ max: 1 }), d)
      let late: Promise<unknown> = Promise.resolve()
      await d.run('POST /orders', async () => {
        late = p.query('select pg_sleep(0.05)')
      })
      await late
      const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('after the scope ended'))
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('POST /orders')
    } finally {
      stderr.mockRestore()
    }
  })
})

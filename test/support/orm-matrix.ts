// The ORM matrix (issue: every ORM on node-postgres, first class). Each test/db/orm-<name>.test.ts
// writes the same five cases in its ORM's idiomatic style, once on an instance instrumented with
// its n1guard helper and once on a bare one, and hands them here:
//   (a) loop   the classic loop: lazy relation access where the ORM has it, a query per row otherwise
//   (b) all    the same under Promise.all
//   (c) fix    the idiomatic fix (eager load, join, IN)
//   (d) lines  three different lines each running the same shape once
//   (e) tx     the loop inside a transaction
// (a), (b), (e) must be found with the exact count at the test file's `// @site:<case>` line;
// (c), (d) must be clean; every case returns the same rows with and without n1guard.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector, type Finding } from '../../src/index.js'
import { AUTHORS, BOOKS_PER_AUTHOR, createOrmDatabase, type OrmDatabase } from './orm-db.js'
import { siteOf } from './sites.js'

/** Books per author id, as the ORM returned them (sorted, so both runs compare equal). */
export type AuthorBooks = Array<{ readonly author: number; readonly titles: readonly string[] }>

export interface OrmCases {
  loop(): Promise<AuthorBooks>
  all(): Promise<AuthorBooks>
  fix(): Promise<AuthorBooks>
  lines(): Promise<readonly string[]>
  tx(): Promise<AuthorBooks>
}

export interface OrmUnderTest<H = unknown> {
  /** The instrumented ORM instance, for the file's own tests (`more`). */
  readonly handle?: H
  /** The cases on an instance instrumented with the ORM's n1guard helper. */
  readonly instrumented: OrmCases
  /** The same cases on an instance n1guard never saw. */
  readonly bare: OrmCases
  close(): Promise<void>
}

export interface OrmMatrix<H = unknown> {
  readonly name: string
  /** `import.meta.url` of the test file, whose `// @site:loop|all|lines1|lines2|lines3|tx` markers name the lines. */
  readonly file: string
  /** Words the N+1 fix hint must contain (the ORM's own API). */
  readonly hint: readonly string[]
  /**
   * The ORM keeps its own pool of pg Clients and n1guard sees a statement only once the ORM has a
   * connection for it (Sequelize, Knex, MikroORM): under `Promise.all`, `parallel` is true only when
   * connections were free, so (b) does not assert it.
   */
  readonly ownPool?: boolean
  setup(db: OrmDatabase, detector: Detector): Promise<OrmUnderTest<H>>
  /** Further tests of this ORM, run while its instances are open. */
  readonly more?: Record<string, (handle: H, detector: Detector) => Promise<void>>
}

/** Sorts rows of (author id, title) into AuthorBooks. */
export function byAuthor(rows: Iterable<{ readonly author: number; readonly title: string }>): AuthorBooks {
  const map = new Map<number, string[]>()
  for (const r of rows) {
    const list = map.get(r.author) ?? []
    list.push(r.title)
    map.set(r.author, list)
  }
  return [...map].sort((a, b) => a[0] - b[0]).map(([author, titles]) => ({ author, titles: titles.sort() }))
}

function nPlusOnes(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.kind === 'n-plus-one')
}

/** The matrix's tests for one ORM. */
export function ormMatrix<H>(m: OrmMatrix<H>): void {
  describe(`${m.name}: the ORM matrix on PostgreSQL`, () => {
    let db: OrmDatabase
    let orm: OrmUnderTest<H>
    const detector = createDetector({ mode: 'silent' })

    beforeAll(async () => {
      db = await createOrmDatabase(m.name.replace(/\W/g, ''))
      orm = await m.setup(db, detector)
    })
    afterAll(async () => {
      await orm?.close()
      await db?.drop()
    })

    const found = (name: 'loop' | 'all' | 'tx', parallel: boolean) => async () => {
      const { result, findings, queries } = await detector.capture(() => orm.instrumented[name]())
      const loops = nPlusOnes(findings)
      expect(loops, JSON.stringify(findings, null, 2)).toHaveLength(1)
      const f = loops[0]!
      expect(f.count).toBe(AUTHORS)
      expect(f.distinctParams).toBe(AUTHORS)
      expect(f.callSite).toMatchObject(siteOf(m.file, name))
      if (!(name === 'all' && m.ownPool === true)) expect(f.parallel).toBe(parallel)
      for (const word of m.hint) expect(f.hint).toContain(word)
      // The authors' rows fed the loop: proven whatever shape the ORM reads rows in (objects,
      // rowMode 'array') and whether it binds or inlines the values; a source of two rows or more
      // is what keeps the finding under requireMultiRowSource.
      expect(f.proven, JSON.stringify(f, null, 2)).toBe(true)
      expect(f.source).toMatchObject({ table: 'author', column: 'id', rowCount: AUTHORS })
      expect(findings.filter((x) => x.kind === 'duplicate'), 'no duplicate finding (ORM housekeeping stays out)').toEqual([])
      expect(queries.filter((q) => q.housekeeping !== true && q.kind !== 'transaction').length).toBeGreaterThanOrEqual(AUTHORS + 1)
      expect(result).toEqual(await orm.bare[name]())
      expect(result).toHaveLength(AUTHORS)
      expect(result.every((a) => a.titles.length === BOOKS_PER_AUTHOR)).toBe(true)
    }

    test('(a) the classic loop is one N+1 of 20, at the loop line', found('loop', false))
    test('(b) the loop under Promise.all is one N+1 of 20, parallel, at its line', found('all', true))
    test('(e) the loop inside a transaction is one N+1 of 20, at its line', found('tx', false))

    test('(c) the idiomatic fix is clean and returns the same rows', async () => {
      const { result, findings, queries } = await detector.capture(() => orm.instrumented.fix())
      expect(findings).toEqual([])
      expect(queries.filter((q) => q.housekeeping !== true && q.kind !== 'transaction').length).toBeLessThanOrEqual(3)
      expect(result).toEqual(await orm.bare.fix())
      expect(result).toEqual(await orm.bare.loop())
    })

    test('(d) three lines running one shape once each are clean, each at its own line', async () => {
      const { result, findings, queries } = await detector.capture(() => orm.instrumented.lines())
      expect(findings).toEqual([])
      expect(result).toEqual(await orm.bare.lines())
      expect(result).toHaveLength(3)
      const lines = queries.filter((q) => q.housekeeping !== true && q.kind !== 'transaction').map((q) => q.callSite?.line)
      const expected = ['lines1', 'lines2', 'lines3'].map((n) => siteOf(m.file, n).line)
      expect(lines).toEqual(expected)
      expect(queries.every((q) => q.callSite === undefined || q.callSite.file === siteOf(m.file, 'lines1').file)).toBe(true)
    })

    for (const [name, body] of Object.entries(m.more ?? {})) test(name, () => body(orm.handle as H, detector))
  })
}

// The detector's modes, reporters, ignore rules and scopes, on real queries.
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { consoleReporter, createDetector, liveDetectors, NPlusOneError, onScopeEnd, type ScopeEndEvent, type ScopeReport } from '../../src/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 4 })
})

afterAll(async () => {
  await db.drop()
})

async function petsOfEveryone(pool: pg.Pool): Promise<number> {
  let n = 0
  for (const id of [1, 2, 3, 4]) {
    const { rows } = await pool.query('select * from pet where owner_id = $1', [id]) // @site:helper
    n += rows.length
  }
  return n
}

function collector(): { out: string[]; stream: { write: (s: string) => boolean } } {
  const out: string[] = []
  return { out, stream: { write: (s: string) => out.push(s) > 0 } }
}

describe('modes', () => {
  test("'warn' prints one readable warning per finding when the scope ends, and run returns fn's value", async () => {
    const { out, stream } = collector()
    const detector = createDetector({ reporters: [consoleReporter({ stream, colors: false })] })
    const pool = instrumentPool(db.pool(), detector)
    const result = await detector.run({ name: 'GET /people/pets' }, () => petsOfEveryone(pool))
    expect(result).toBe(8)
    const text = out.join('')
    const site = siteOf(here, 'helper')
    expect(text).toContain('n1guard: N+1 query: 4 × the same shape on pet in GET /people/pets')
    expect(text).toContain('select * from pet where owner_id = ?')
    expect(text).toContain(`at ${site.file}:${site.line}:`)
    expect(text).toContain('(petsOfEveryone)')
    expect(text).toContain('fix: load every pet row in one query: where owner_id = any($1::int[])')
    expect(text).not.toContain('\u001b[')
  })

  test('the default reporter writes to stderr, coloured only on a TTY', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const detector = createDetector()
      const pool = instrumentPool(db.pool(), detector)
      await detector.run('stderr', () => petsOfEveryone(pool))
      const text = write.mock.calls.map((c) => String(c[0])).join('')
      expect(text).toContain('N+1 query: 4 ×')
      if (!process.stderr.isTTY) expect(text).not.toContain('\u001b[')
    } finally {
      write.mockRestore()
    }
  })

  test("'throw' rejects run with NPlusOneError naming shape, count and file:line", async () => {
    const detector = createDetector({ mode: 'throw' })
    const pool = instrumentPool(db.pool(), detector)
    const error = await detector.run('throwing', () => petsOfEveryone(pool)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NPlusOneError)
    const e = error as NPlusOneError
    const site = siteOf(here, 'helper')
    expect(e.message).toContain('4 × select * from pet where owner_id = ?')
    expect(e.message).toContain(`${site.file}:${site.line}`)
    expect(e.findings).toHaveLength(1)
    expect(e.findings[0]!.scope.name).toBe('throwing')
  })

  test("'throw' lets fn's own error win", async () => {
    const detector = createDetector({ mode: 'throw', reporters: [] })
    const pool = instrumentPool(db.pool(), detector)
    const boom = new Error('boom')
    await expect(
      detector.run('fails', async () => {
        await petsOfEveryone(pool)
        throw boom
      }),
    ).rejects.toBe(boom)
  })

  test("'silent' records without reporting; capture reports nothing and never rejects for findings", async () => {
    const reports: ScopeReport[] = []
    const detector = createDetector({ mode: 'silent', reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool(), detector)
    await detector.run('quiet', () => petsOfEveryone(pool))
    const { result, findings, queries } = await detector.capture(() => petsOfEveryone(pool))
    expect(result).toBe(8)
    expect(findings).toHaveLength(1)
    expect(queries).toHaveLength(4)
    expect(reports).toEqual([])
  })

  test('assertNoNPlusOne resolves to the result when clean and rejects when not', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool(), detector)
    await expect(
      detector.assertNoNPlusOne(async () => (await pool.query('select * from pet where owner_id = any($1)', [[1, 2, 3, 4]])).rowCount),
    ).resolves.toBe(8)
    await expect(detector.assertNoNPlusOne(() => petsOfEveryone(pool))).rejects.toBeInstanceOf(NPlusOneError)
  })

  test('enabled: false passes every query through and finds nothing', async () => {
    const detector = createDetector({ enabled: false, mode: 'throw' })
    const pool = instrumentPool(db.pool(), detector)
    expect(await detector.run('off', () => petsOfEveryone(pool))).toBe(8)
    const report = await detector.capture(() => petsOfEveryone(pool))
    expect(report.queries).toEqual([])
    expect(report.findings).toEqual([])
  })
})

describe('reporters and ignore rules', () => {
  test('a reporter that throws is caught, said once, and the others still run', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const seen: ScopeReport[] = []
      const broken = () => {
        throw new Error('reporter bug')
      }
      const detector = createDetector({ reporters: [broken, { report: (r) => seen.push(r) }] })
      const pool = instrumentPool(db.pool(), detector)
      expect(await detector.run('a', () => petsOfEveryone(pool))).toBe(8)
      expect(await detector.run('b', () => petsOfEveryone(pool))).toBe(8)
      expect(seen.map((r) => [r.scope.name, r.findings.length, r.queryCount])).toEqual([
        ['a', 1, 4],
        ['b', 1, 4],
      ])
      const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('reporter bug'))
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('running reporter broken')
    } finally {
      stderr.mockRestore()
    }
  })

  test('ignore rules by SQL, table, file and function silence matching findings only', async () => {
    const rules = [[/owner_id/], ['FROM PET'], [{ table: 'pet' }], [{ file: 'detector.test' }], [{ function: 'petsOfEveryone' }], [(s: { table?: string }) => s.table === 'pet']]
    for (const ignore of rules) {
      const detector = createDetector({ mode: 'silent', ignore: ignore as never })
      const pool = instrumentPool(db.pool({ max: 1 }), detector)
      const { findings } = await detector.capture(() => petsOfEveryone(pool))
      expect(findings, JSON.stringify(ignore)).toEqual([])
    }
    const detector = createDetector({ mode: 'silent', ignore: [{ table: 'toy' }, { function: 'other' }] })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    expect((await detector.capture(() => petsOfEveryone(pool))).findings).toHaveLength(1)
  })
})

describe('scopes', () => {
  test('a query outside any scope is passed through untouched and recorded nowhere', async () => {
    const seen: ScopeReport[] = []
    const detector = createDetector({ reporters: [(r) => seen.push(r)] })
    const pool = instrumentPool(db.pool(), detector)
    expect(await petsOfEveryone(pool)).toBe(8)
    expect(seen).toEqual([])
    expect(detector.currentScope()).toBeUndefined()
  })

  test('the innermost scope owns a query; the outer capture still sees nested findings', async () => {
    const reports: ScopeReport[] = []
    const detector = createDetector({ reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool(), detector)
    const outer = await detector.capture(async () => {
      await pool.query('select 1')
      await detector.run('inner', async () => {
        expect(detector.currentScope()?.name).toBe('inner')
        await petsOfEveryone(pool)
      })
    })
    expect(reports.map((r) => [r.scope.name, r.findings.length])).toEqual([['inner', 1]])
    expect(outer.findings).toHaveLength(1)
    expect(outer.findings[0]!.scope.name).toBe('inner')
    expect(outer.queries).toHaveLength(5)
  })

  test('startScope: named late, ended by hand, reports once', async () => {
    const reports: ScopeReport[] = []
    const detector = createDetector({ reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool(), detector)
    const scope = detector.startScope({ name: 'GET /people', id: 'req-42' })
    await scope.run(() => petsOfEveryone(pool))
    scope.name = 'GET /people/:id'
    expect(() => {
      scope.name = 5 as never
    }).toThrow(/scope name must be a string, got 5/)
    expect(scope.ended).toBe(false)
    const findings = scope.end()
    expect(scope.end()).toBe(findings)
    expect(JSON.parse(JSON.stringify(scope))).toEqual({ id: 'req-42', name: 'GET /people/:id', ended: true })
    expect(findings[0]!.scope).toEqual({ id: 'req-42', name: 'GET /people/:id' })
    expect(reports).toHaveLength(1)
  })

  test('after the warm-up, a shape that first repeats is still counted exactly', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool(), detector)
    for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
    const scope = detector.startScope('lazy')
    await scope.run(async () => {
      for (const id of [1, 2, 3]) await pool.query('select name from pet where owner_id = $1 and id > 0', [id]) // @site:lazy
      await pool.query('select name from toy where pet_id = $1', [1])
      await pool.query('select name from toy where pet_id = $1', [2])
    })
    const findings = scope.end()
    expect(findings.map((f) => [f.table, f.count])).toEqual([['pet', 3]])
    expect(findings[0]!.callSite).toMatchObject(siteOf(here, 'lazy'))
    // A loop of exactly `threshold` runs has no stack on its first run in a lazy scope, so it
    // is not reported there; one scope in 1,024 is exact, and finds it.
    let found = 0
    for (let i = 0; i < 256; i++) {
      const next = detector.startScope('two ids')
      await next.run(async () => {
        for (const id of [1, 2]) await pool.query('select name from toy where pet_id = $1', [id]) // @site:sampled
      })
      const again = next.end()
      if (again.length > 0) {
        found++
        expect(again.map((f) => [f.table, f.count])).toEqual([['toy', 2]])
        expect(again[0]!.callSite).toMatchObject(siteOf(here, 'sampled'))
      }
    }
    expect(found).toBe(1)
  })
})

describe('jobs and the process-wide hooks', () => {
  test('wrapJob runs every call in its own scope, named from the arguments', async () => {
    const reports: ScopeReport[] = []
    const detector = createDetector({ reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool(), detector)
    const job = detector.wrapJob(
      (kind: string) => `job ${kind}`,
      async (kind: string, ids: number[]) => {
        for (const id of ids) await pool.query('select * from pet where owner_id = $1', [id])
        return `${kind}:${ids.length}`
      },
    )
    expect(await Promise.all([job('digest', [1, 2, 3]), job('cleanup', [4])])).toEqual(['digest:3', 'cleanup:1'])
    expect(reports.map((r) => [r.scope.name, r.queryCount, r.findings.length]).sort()).toEqual([
      ['job cleanup', 1, 0],
      ['job digest', 3, 1],
    ])
  })

  test('onScopeEnd sees every scope of every detector, and marks findings already surfaced', async () => {
    const events: ScopeEndEvent[] = []
    const stop = onScopeEnd((e) => events.push(e))
    try {
      const detector = createDetector({ mode: 'silent' })
      expect(liveDetectors()).toContain(detector)
      const pool = instrumentPool(db.pool(), detector)
      await detector.run('plain run', () => petsOfEveryone(pool))
      await detector.capture(() => petsOfEveryone(pool))
      const scope = detector.startScope('manual')
      await scope.run(() => petsOfEveryone(pool))
      scope.end()
    } finally {
      stop()
    }
    expect(events.map((e) => [e.scope.name, e.findings.length, e.surfaced])).toEqual([
      ['plain run', 1, false],
      ['capture', 1, true],
      ['manual', 1, false],
    ])
  })
})

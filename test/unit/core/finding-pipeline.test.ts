// Finding builder, suppressions, reporter dispatch and context diagnostics, driven through a fake
// adapter: candidate -> finding, ignore rules and their hits, severity, reporters said once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest'
import { createDetector, type ScopeReport } from '../../../src/index.js'
import { fakeDb } from '../../support/fake-adapter.js'

const SELECT = 'select * from pet where owner_id = $1'

async function loop(db: ReturnType<typeof fakeDb>, n = 3): Promise<void> {
  for (let id = 1; id <= n; id++) await db.query(SELECT, [id])
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('finding builder', () => {
  test('a candidate becomes a finding: shape, table, counts, call site, scope', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    const { findings } = await detector.capture(() => loop(db))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'n-plus-one',
      sql: 'select * from pet where owner_id = ?',
      table: 'pet',
      count: 3,
      distinctParams: 3,
      parallel: false,
      scope: { name: 'capture' },
      callSite: { file: 'test/unit/core/finding-pipeline.test.ts' },
    })
    expect(findings[0]!.id).toMatch(/^[0-9a-f]+$/)
  })

  test('minSeverity drops findings below it', async () => {
    const detector = createDetector({ mode: 'silent', minSeverity: 'high' })
    const db = fakeDb(detector)
    const { findings } = await detector.capture(() => loop(db))
    expect(findings).toEqual([])
  })
})

describe('suppressions', () => {
  test('an ignore rule drops the finding and is no longer stale', async () => {
    const detector = createDetector({ mode: 'silent', ignore: [{ table: 'pet' }, /toy/] })
    const db = fakeDb(detector)
    expect(detector.staleIgnoreRules()).toHaveLength(2)
    const { findings } = await detector.capture(() => loop(db))
    expect(findings).toEqual([])
    expect(detector.staleIgnoreRules()).toEqual([/toy/])
  })

  test('a baselined finding is marked, does not fail assertNoNPlusOne, and its entry is not stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-baseline-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const first = createDetector({ mode: 'silent' })
    const { findings } = await first.capture(() => loop(fakeDb(first)))
    const f = findings[0]!
    const path = join(dir, 'baseline.json')
    writeFileSync(path, JSON.stringify({ version: 1, findings: [{ kind: f.kind, fingerprint: f.fingerprint, file: f.callSite?.file, function: f.callSite?.function }] }))
    const detector = createDetector({ mode: 'silent', baseline: path })
    const db = fakeDb(detector)
    expect(detector.staleBaselineEntries()).toHaveLength(1)
    await expect(detector.assertNoNPlusOne(() => loop(db))).resolves.toBeUndefined()
    expect(detector.staleBaselineEntries()).toEqual([])
    const again = await detector.capture(() => loop(db))
    expect(again.findings[0]!.baselined).toBe(true)
  })
})

describe('reporter dispatch', () => {
  test('reporters get the scope own findings; one that throws is said once and the others still run', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const seen: ScopeReport[] = []
    const broken = () => {
      throw new Error('broken reporter')
    }
    const detector = createDetector({ reporters: [broken, (r) => seen.push(r)] })
    const db = fakeDb(detector)
    await detector.run('a', () => loop(db))
    await detector.run('b', () => loop(db))
    expect(seen.map((r) => [r.scope.name, r.findings.length, r.queryCount])).toEqual([
      ['a', 1, 3],
      ['b', 1, 3],
    ])
    const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('broken'))
    expect(said).toHaveLength(1)
    expect(said[0]).toContain('running reporter broken')
  })

  test("'throw' mode: run rejects with the N+1 and the reporters are not told it again", async () => {
    const seen: ScopeReport[] = []
    const detector = createDetector({ mode: 'throw', reporters: [(r) => seen.push(r)] })
    const db = fakeDb(detector)
    await expect(detector.run('a', () => loop(db))).rejects.toMatchObject({ name: 'NPlusOneError' })
    expect(seen.map((r) => r.findings.length)).toEqual([0])
  })
})

describe('context diagnostics', () => {
  test('a query outside any scope while one is open is said once per line', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const detector = createDetector({ mode: 'warn', reporters: [] })
    const db = fakeDb(detector)
    const open = detector.startScope('open elsewhere')
    for (let i = 0; i < 3; i++) await db.query('select 1') // outside, 3 times from one line
    open.end()
    const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('ran outside any scope'))
    expect(said).toHaveLength(1)
    expect(said[0]).toContain('test/unit/core/finding-pipeline.test.ts:')
  })

  test('nothing is said for queries inside detector.ignore()', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const detector = createDetector({ mode: 'warn', reporters: [] })
    const db = fakeDb(detector)
    const open = detector.startScope('open elsewhere')
    await detector.ignore(() => db.query('select 1'))
    open.end()
    expect(stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('outside any scope'))).toEqual([])
  })
})

// jsonReporter: one JSON object per finding per line, parameter values only on explicit request.
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { createDetector, findingLogEntry, jsonReporter, type JsonField } from '../../src/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url
const SENTINEL = 'sentinel-4c1d-secret'
let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 3 })
})

afterAll(async () => {
  await db.drop()
})

function sink(): { lines: () => Array<Record<string, any>>; raw: () => string; stream: { write: (s: string) => boolean } } {
  const chunks: string[] = []
  return {
    raw: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>),
    stream: { write: (s: string) => chunks.push(s) > 0 },
  }
}

async function loopAndRepeat(pool: pg.Pool): Promise<void> {
  for (const id of [1, 2, 3]) await pool.query('select * from pet where owner_id = $1 and name <> $2', [id, SENTINEL]) // @site:loop
  for (let i = 0; i < 2; i++) await pool.query('select * from person where email = $1', [SENTINEL]) // @site:dup
}

describe('jsonReporter', () => {
  test('one parseable line per finding with scope, kind, shape, count, call site, hint and time; no values', async () => {
    const out = sink()
    const detector = createDetector({ reporters: [jsonReporter({ stream: out.stream })], captureParams: true })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const before = Date.now()
    await detector.run({ name: 'GET /pets', id: 'req-1' }, () => loopAndRepeat(pool))
    await detector.run('clean', () => pool.query('select 1'))
    const lines = out.lines()
    expect(lines).toHaveLength(2)
    const [n1, dup] = lines as [Record<string, any>, Record<string, any>]
    expect(Object.keys(n1)).toEqual(['time', 'level', 'msg', 'kind', 'id', 'scope', 'sql', 'table', 'count', 'distinctParams', 'parallel', 'totalDurationMs', 'callSite', 'stack', 'hint', 'fingerprint', 'severity', 'proven'])
    // The call path the finding was grouped by, innermost first: the loop's own line, then the scope's callers.
    expect(n1.stack[0]).toEqual(n1.callSite)
    expect(n1).toMatchObject({
      level: 'warn',
      msg: 'n1guard: N+1 query: 3 × the same shape on pet',
      kind: 'n-plus-one',
      scope: { id: 'req-1', name: 'GET /pets' },
      sql: 'select * from pet where owner_id = ? and name <> ?',
      table: 'pet',
      count: 3,
      distinctParams: 3,
      parallel: false,
      callSite: { ...siteOf(here, 'loop'), function: 'loopAndRepeat' },
    })
    expect(n1.hint).toContain('owner_id')
    expect(Date.parse(n1.time)).toBeGreaterThanOrEqual(before - 1)
    expect(dup).toMatchObject({ kind: 'duplicate', count: 2, callSite: siteOf(here, 'dup') })
    // captureParams is on, yet values stay out unless the fields ask for them.
    expect(out.raw()).not.toContain(SENTINEL)
  })

  test('sampleParams only when listed and the detector captures parameters', async () => {
    const fields: JsonField[] = ['kind', 'count', 'sampleParams']
    const withParams = sink()
    const capturing = createDetector({ reporters: [jsonReporter({ stream: withParams.stream, fields })], captureParams: true })
    const pool1 = instrumentPool(db.pool({ max: 1 }), capturing)
    // Core keeps parameter samples only for scopes that keep records: a scope nested in capture() does.
    await capturing.capture(() => capturing.run('a', () => loopAndRepeat(pool1)))
    expect(withParams.lines()[0]).toEqual({ kind: 'n-plus-one', count: 3, sampleParams: [[1, SENTINEL], [2, SENTINEL], [3, SENTINEL]] })

    const withoutCapture = sink()
    const plain = createDetector({ reporters: [jsonReporter({ stream: withoutCapture.stream, fields })] })
    const pool2 = instrumentPool(db.pool({ max: 1 }), plain)
    await plain.capture(() => plain.run('b', () => loopAndRepeat(pool2)))
    expect(withoutCapture.lines()).toEqual([
      { kind: 'n-plus-one', count: 3 },
      { kind: 'duplicate', count: 2 },
    ])
    expect(withoutCapture.raw()).not.toContain(SENTINEL)
  })

  test('a stream that throws never breaks the request, and is said once', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const broken = { write: () => { throw new Error('disk full') } }
      const detector = createDetector({ reporters: [jsonReporter({ stream: broken })] })
      const pool = instrumentPool(db.pool({ max: 1 }), detector)
      await expect(detector.run('x', () => loopAndRepeat(pool))).resolves.toBeUndefined()
      await expect(detector.run('y', () => loopAndRepeat(pool))).resolves.toBeUndefined()
      expect(stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('disk full'))).toHaveLength(1)
    } finally {
      stderr.mockRestore()
    }
  })

  test('bad options are TypeErrors naming the value; findingLogEntry gives the same object', () => {
    expect(() => jsonReporter({ fields: ['sql', 'params'] as never })).toThrow(/fields\[1\] must be one of .*got "params"/)
    expect(() => jsonReporter({ fields: 'sql' as never })).toThrow(/`fields` must be an array, got "sql"/)
    expect(() => jsonReporter({ stream: {} as never })).toThrow(/`stream` needs a write\(\) method, got \{\}/)
    expect(() => jsonReporter({ strem: process.stdout } as never)).toThrow(/unknown option "strem"/)
    const finding = { kind: 'n-plus-one', id: 'x', fingerprint: 'f', sql: 'select ?', count: 2, distinctParams: 2, parallel: false, totalDurationMs: 1, scope: { id: 's' }, hint: 'h', severity: 'medium', proven: false } as const
    expect(findingLogEntry(finding, ['kind', 'table', 'scope'])).toEqual({ kind: 'n-plus-one', scope: { id: 's' } })
  })
})

// Core hooks for integrations: scope-start events and the trace-context provider.
import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { createDetector, onScopeEnd, onScopeStart, type ScopeEndEvent, type ScopeReport, type ScopeStartEvent } from '../../src/index.js'
import { setTraceContextProvider } from '../../src/core/trace-context.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 2 })
})

afterAll(async () => {
  await db.drop()
})

afterEach(() => {
  setTraceContextProvider(undefined)
})

describe('onScopeStart', () => {
  test('fires synchronously in the opener’s async context, with the id the end event carries', async () => {
    const marker = new AsyncLocalStorage<string>()
    const starts: Array<ScopeStartEvent & { opener: string | undefined }> = []
    const ends: ScopeEndEvent[] = []
    const stopStart = onScopeStart((e) => starts.push({ ...e, opener: marker.getStore() }))
    const stopEnd = onScopeEnd((e) => ends.push(e))
    try {
      const detector = createDetector({ reporters: [] })
      await marker.run('test A', () => detector.run({ name: 'job', id: 'job-1' }, async () => undefined))
      const handle = marker.run('test B', () => detector.startScope('GET /x'))
      expect(starts.map((s) => [s.scope.name, s.opener])).toEqual([
        ['job', 'test A'],
        ['GET /x', 'test B'],
      ])
      expect(ends.map((e) => e.scope.id)).toEqual(['job-1'])
      handle.end()
      expect(ends.map((e) => e.scope.id)).toEqual(['job-1', starts[1]!.scope.id])
    } finally {
      stopStart()
      stopEnd()
    }
    expect(() => onScopeStart(7 as never)).toThrow(TypeError)
  })
})

describe('trace-context provider', () => {
  test('captured where the scope opens, or at its first query, and handed to reporters', async () => {
    const active = new AsyncLocalStorage<string>()
    setTraceContextProvider({ capture: () => active.getStore(), traceparent: () => undefined })
    const reports: ScopeReport[] = []
    const detector = createDetector({ reporters: [(r) => reports.push(r)] })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    await active.run('request span', () => detector.run('opened in a span', () => pool.query('select 1')))
    await detector.run('span starts inside', async () => {
      await active.run('job span', () => pool.query('select 1'))
      await active.run('later span', () => pool.query('select 1'))
    })
    await detector.run('no span', () => pool.query('select 1'))
    expect(reports.map((r) => [r.scope.name, r.traceContext])).toEqual([
      ['opened in a span', 'request span'],
      ['span starts inside', 'job span'],
      ['no span', undefined],
    ])
    expect(reports[2]!.traceContext).toBeUndefined()
    expect(JSON.parse(JSON.stringify(reports[2]))).not.toHaveProperty('traceContext')
  })

  test('a provider that throws is reported once and the query goes on', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      setTraceContextProvider({
        capture: () => {
          throw new Error('tracer bug')
        },
        traceparent: () => undefined,
      })
      const detector = createDetector({ mode: 'silent' })
      const pool = instrumentPool(db.pool({ max: 1 }), detector)
      const { result, queries } = await detector.capture(async () => (await pool.query('select 1 as one')).rows[0].one)
      expect(result).toBe(1)
      expect(queries).toHaveLength(1)
      const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('tracer bug'))
      expect(said).toHaveLength(1)
    } finally {
      stderr.mockRestore()
    }
  })
})

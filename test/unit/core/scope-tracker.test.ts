// The scope tracker: every entry point ends its scope through one endScope, ignore() included.
import { afterEach, describe, expect, test } from 'vitest'
import { createDetector, onScopeEnd, onScopeStart } from '../../../src/index.js'
import { ScopeTracker } from '../../../src/core/scope-tracker.js'
import type { Scope, ScopeKind } from '../../../src/core/scope.js'
import { fakeDb } from '../../support/fake-adapter.js'

const RUN: ScopeKind = { exact: false, keepRecords: false, report: true, canThrow: true }
const PAUSED: ScopeKind = { exact: false, keepRecords: false, report: false, canThrow: false, paused: true }

let stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops) stop()
  stops = []
})

/** Scope ids published as opened and not (yet) as ended. */
function watchOpen(): Set<string> {
  const open = new Set<string>()
  stops.push(
    onScopeStart((e) => open.add(e.scope.id)),
    onScopeEnd((e) => open.delete(e.scope.id)),
  )
  return open
}

describe('scope tracker', () => {
  test('every scope published as opened is published as ended, detector.ignore() included', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    const open = watchOpen()
    expect(detector.ignore(() => 42)).toBe(42)
    await detector.ignore(async () => {
      await db.query('select 1')
      await db.query('select 1')
    })
    await detector.run('r', () => db.query('select 2'))
    await detector.capture(() => db.query('select 3'))
    await detector.assertNoNPlusOne(() => db.query('select 4'))
    await detector.wrapJob('job', () => db.query('select 5'))()
    detector.startScope('manual').end()
    expect([...open]).toEqual([])
  })

  test('ignore() still pauses detection for work its function starts after returning', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    const report = await detector.capture(async () => {
      await detector.ignore(async () => {
        await Promise.resolve()
        for (const id of [1, 2, 3]) await db.query('select * from pet where id = $1', [id])
      })
      await db.query('select 1')
    })
    expect(report.queries.map((q) => q.sql)).toEqual(['select ?'])
    expect(report.findings).toEqual([])
  })

  test('endScope: close, report, release, once; a second call does nothing more', () => {
    const reported: Scope[] = []
    const tracker = new ScopeTracker(true, { build: () => [], report: (scope) => reported.push(scope) })
    const scope = tracker.open('a', RUN, 'test')
    expect(tracker.openScopes).toBe(1)
    expect(tracker.endScope(scope).findings).toEqual([])
    expect(tracker.endScope(scope).findings).toEqual([])
    expect(reported).toEqual([scope])
    expect(scope.ended).toBe(true)
    expect(tracker.openScopes).toBe(0)
  })

  test('a paused scope is not active and does not count as open', () => {
    const tracker = new ScopeTracker(true, { build: () => [], report: () => undefined })
    const paused = tracker.open('p', PAUSED, 'test')
    expect(tracker.openScopes).toBe(0)
    tracker.run(paused, () => {
      expect(tracker.activeScope()).toBeUndefined()
      expect(tracker.paused()).toBe(true)
    })
    tracker.endScope(paused)
    expect(tracker.openScopes).toBe(0)
  })

  test('warm-up: the first 1000 scopes are exact, then one in 1024', () => {
    const tracker = new ScopeTracker(true, { build: () => [], report: () => undefined })
    const exact: number[] = []
    for (let i = 0; i < 4200; i++) {
      const scope = tracker.open('s', RUN, 'test')
      if (scope.kind.exact) exact.push(i)
      tracker.endScope(scope)
    }
    expect(exact.length).toBe(1000 + 4)
    expect(exact.slice(1000)).toEqual([1024, 2048, 3072, 4096])
  })

  test('canThrow: the new N+1s come back as thrown, and reporters hear the rest', () => {
    const nPlusOne = { kind: 'n-plus-one', callSite: { file: 'a.ts', line: 1, column: 1 } } as never
    const duplicate = { kind: 'duplicate' } as never
    const throwing: boolean[] = []
    const tracker = new ScopeTracker(true, { build: () => [nPlusOne, duplicate], report: (_, t) => throwing.push(t) })
    const scope = tracker.open('a', RUN, 'test')
    tracker.run(scope, () => undefined)
    // build() is only asked for scopes that ran queries; this fake answers regardless.
    const end = tracker.endScope(scope, { canThrow: true })
    expect(end.thrown).toEqual([nPlusOne])
    expect(end.findings).toEqual([nPlusOne, duplicate])
    expect(throwing).toEqual([true])
  })

  test('a nested scope hands its findings and records up to an enclosing capture', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    const report = await detector.capture(async () => {
      await detector.run('inner', async () => {
        for (const id of [1, 2]) await db.query('select * from pet where id = $1', [id])
      })
    })
    expect(report.queries).toHaveLength(2)
    expect(report.findings.map((f) => f.scope.name)).toEqual(['inner'])
  })
})

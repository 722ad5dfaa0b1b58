// Every detector's scopes ride on one AsyncLocalStorage: on Node 20 each enabled instance is
// propagated at every promise of the process, so a detector per test must not add one each.
import { describe, expect, test } from 'vitest'
import { createDetector } from '../../../src/index.js'
import { capturePort } from '../../../src/core/capture-port.js'
import { currentContext } from '../../../src/callsite/context-store.js'
import { ScopeTracker } from '../../../src/core/scope-tracker.js'
import { fakeDb } from '../../support/fake-adapter.js'
import { carriedSite, carrySite } from '../../../src/callsite/capture-site.js'
import { currentAnnotation, runAnnotated } from '../../../src/core/query-annotation.js'
import { contextValue, runWithContextValue } from '../../../src/core/context-value.js'

function frames(): number {
  let n = 0
  for (let f = currentContext(); f !== undefined; f = f.next) n++
  return n
}

test('an ORM helper\'s carried site and an integration\'s annotation ride on the same store, under and over scopes', async () => {
  const detector = createDetector({ mode: 'silent' })
  const site = { key: 'k', frame: undefined as never, frames: [], frameKeys: ['k'] }
  const note = {}
  await detector.run('r', () =>
    carrySite(site, () =>
      runAnnotated(note, async () => {
        await Promise.resolve()
        expect(carriedSite()).toBe(site)
        expect(currentAnnotation()).toBe(note)
        expect(detector.currentScope()?.name).toBe('r')
        expect(frames()).toBe(3)
        // A scope opened inside keeps both visible.
        await detector.run('inner', async () => {
          expect(carriedSite()).toBe(site)
          expect(currentAnnotation()).toBe(note)
          expect(detector.currentScope()?.name).toBe('inner')
        })
      }),
    ),
  )
  expect(carriedSite()).toBeUndefined()
  expect(currentAnnotation()).toBeUndefined()
})

describe('one context store for every detector', () => {
  test('making and using many detectors adds no AsyncLocalStorage of their own', async () => {
    const holder = globalThis as Record<symbol, unknown>
    const store = holder[Symbol.for('n1guard.context-store')]
    expect(store).toBeDefined()
    const detectors = Array.from({ length: 30 }, () => createDetector({ mode: 'silent' }))
    for (const d of detectors) await d.run('r', async () => expect(d.currentScope()?.name).toBe('r'))
    expect(holder[Symbol.for('n1guard.context-store')]).toBe(store)
    expect('als' in new ScopeTracker(true, { build: () => [], report: () => undefined })).toBe(false)
  })

  test('nested scopes of two detectors are both visible, and each ends on its own', async () => {
    const a = createDetector({ mode: 'silent' })
    const b = createDetector({ mode: 'silent' })
    await a.run('outer', async () => {
      expect(frames()).toBe(1)
      await b.run('inner', async () => {
        await Promise.resolve()
        expect(a.currentScope()?.name).toBe('outer')
        expect(b.currentScope()?.name).toBe('inner')
        expect(frames()).toBe(2)
        // The same detector nested again shadows its own scope and keeps the other's.
        await a.run('again', async () => {
          expect(a.currentScope()?.name).toBe('again')
          expect(b.currentScope()?.name).toBe('inner')
        })
        expect(a.currentScope()?.name).toBe('outer')
      })
      expect(b.currentScope()).toBeUndefined()
      expect(a.currentScope()?.name).toBe('outer')
    })
    expect(a.currentScope()).toBeUndefined()
    expect(currentContext()).toBeUndefined()
  })

  test('a scope run alone reuses its frame; one run beside another detector gets a frame of its own', async () => {
    const a = createDetector({ mode: 'silent' })
    const b = createDetector({ mode: 'silent' })
    const scope = a.startScope('s')
    const seen = new Set<unknown>()
    for (let i = 0; i < 3; i++) scope.run(() => seen.add(currentContext()))
    expect(seen.size).toBe(1)
    await b.run('other', async () => scope.run(() => seen.add(currentContext())))
    expect(seen.size).toBe(2)
    scope.end()
  })

  test("a driver callback bound by a port of two detectors runs in the caller's scopes of both", async () => {
    const a = createDetector({ mode: 'silent' })
    const b = createDetector({ mode: 'silent' })
    const port = capturePort(a, 'test')
    port.merge(capturePort(b, 'test'))
    let bound: (() => Array<string | undefined>) | undefined
    const ra = a.startScope('ra')
    const rb = b.startScope('rb')
    ra.run(() =>
      rb.run(() => {
        bound = port.bindToCaller(() => [a.currentScope()?.name, b.currentScope()?.name])
      }),
    )
    // Called back from another request's context (as pg does from the socket's): the caller's scopes.
    const other = a.startScope('someone else')
    expect(other.run(() => bound!())).toEqual(['ra', 'rb'])
    expect(bound!()).toEqual(['ra', 'rb'])
    other.end()
    rb.end()
    ra.end()
  })

  test("a detector's statements stay its own inside another detector's scope", async () => {
    const a = createDetector({ mode: 'silent' })
    const b = createDetector({ mode: 'silent' })
    const dbA = fakeDb(a)
    const report = await a.capture(async () => {
      await b.run('inner', async () => {
        await dbA.query('select 1 from inner_table')
      })
      await dbA.query('select 1 from outer_table')
    })
    // Detector b has no port on this database: both statements are a's, inside its capture.
    expect(report.queries.map((q) => q.sql)).toEqual(['select ? from inner_table', 'select ? from outer_table'])
  })
})

describe('values integrations keep in the shared context (the Vitest guard\'s running test)', () => {
  test('a value is seen across awaits and in scopes opened inside it, by its own key only, and not after', async () => {
    const detector = createDetector({ mode: 'silent' })
    const TEST = Symbol('test')
    const OTHER = Symbol('other')
    const state = { name: 't' }
    await runWithContextValue(TEST, state, async () => {
      await Promise.resolve()
      expect(contextValue(TEST)).toBe(state)
      expect(contextValue(OTHER)).toBeUndefined()
      // A request served in-process opens its scope in the test's context: the test stays visible.
      await detector.run('request', async () => {
        await new Promise((resolve) => setImmediate(resolve))
        expect(contextValue(TEST)).toBe(state)
        expect(detector.currentScope()?.name).toBe('request')
      })
      const handle = detector.startScope('manual')
      await handle.run(async () => expect(contextValue(TEST)).toBe(state))
      handle.end()
      // The newest value of a key wins, and the older one is back after it.
      await runWithContextValue(TEST, 'inner', async () => expect(contextValue(TEST)).toBe('inner'))
      expect(contextValue(TEST)).toBe(state)
    })
    expect(contextValue(TEST)).toBeUndefined()
  })
})

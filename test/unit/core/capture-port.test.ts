// The capture port with a fake adapter: what an adapter sees of the core, and nothing else.
import { describe, expect, test } from 'vitest'
import { createDetector } from '../../../src/index.js'
import { capturePort } from '../../../src/core/capture-port.js'
import { fakeDb } from '../../support/fake-adapter.js'

const SELECT = 'select * from pet where owner_id = $1'

describe('capture port', () => {
  test('capturePort names a value that is not a detector', () => {
    expect(() => capturePort({}, 'instrumentThing')).toThrow(TypeError)
    expect(() => capturePort({}, 'instrumentThing')).toThrow(/instrumentThing needs a detector from createDetector\(\), got/)
  })

  test('begin is undefined outside a scope, and the statement passes through untouched', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector, () => [{ id: 1 }])
    expect(db.port.active()).toBe(false)
    expect(db.port.begin(SELECT, [1], 'pg', () => undefined, undefined as never)).toBeUndefined()
    await expect(db.query(SELECT, [1])).resolves.toEqual({ rows: [{ id: 1 }] })
  })

  test('begin, finish: a statement is recorded in the scope with rows, params and duration', async () => {
    const detector = createDetector({ captureParams: true })
    const db = fakeDb(detector, () => [{ id: 1 }, { id: 2 }])
    const report = await detector.capture(async () => {
      expect(db.port.active()).toBe(true)
      await db.query(SELECT, [7])
    })
    expect(report.queries).toHaveLength(1)
    expect(report.queries[0]).toMatchObject({ sql: 'select * from pet where owner_id = ?', rowCount: 2, params: [7] })
    expect(report.queries[0]!.durationMs).toBeGreaterThanOrEqual(0)
  })

  test('finish with an error records its name and code, never its message without captureParams', async () => {
    const detector = createDetector()
    const failure = Object.assign(new Error('invalid input "secret"'), { code: '22P02' })
    const db = fakeDb(detector, () => failure)
    const report = await detector.capture(async () => {
      await expect(db.query(SELECT, ['x'])).rejects.toBe(failure)
    })
    expect(report.queries[0]!.error).toEqual({ name: 'Error', message: '', code: '22P02' })
  })

  test('a loop through the port is an N+1 with the call site of the loop', async () => {
    const detector = createDetector()
    const db = fakeDb(detector)
    const { findings } = await detector.capture(async () => {
      for (const id of [1, 2, 3]) await db.query(SELECT, [id])
    })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ kind: 'n-plus-one', count: 3, distinctParams: 3 })
    expect(findings[0]!.callSite?.file).toBe('test/unit/core/capture-port.test.ts')
  })

  test('tag adds the sqlcommenter comment of the scope', async () => {
    const detector = createDetector({ sqlcommenter: { route: true, scopeId: false } })
    const db = fakeDb(detector)
    await detector.run('GET /pets', () => db.query(SELECT, [1]))
    expect(db.sent).toEqual([`${SELECT} /*route='GET%20%2Fpets'*/`])
  })

  test('merge: one port reports to several detectors, the first with an open scope wins', async () => {
    const a = createDetector({ mode: 'silent' })
    const b = createDetector({ mode: 'silent' })
    const db = fakeDb(a)
    db.port.merge(capturePort(b, 'test'))
    db.port.merge(capturePort(b, 'test'))
    expect(db.port.cores).toHaveLength(2)
    const inB = await b.capture(() => db.query(SELECT, [1]))
    expect(inB.queries).toHaveLength(1)
  })

  test('bindToCaller runs a callback in the caller scope, from another async context', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    let later: (() => void) | undefined
    const seen: Array<string | undefined> = []
    const outside = new Promise<void>((resolve) => {
      later = () => {
        seen.push(detector.currentScope()?.name)
        resolve()
      }
    })
    let bound: (() => void) | undefined
    const pending = detector.run('caller', async () => {
      bound = db.port.bindToCaller(later!)
      await outside
    })
    // Called from this test's context, outside the scope: the bound callback still sees 'caller'.
    bound!()
    await pending
    expect(seen).toEqual(['caller'])
  })
})

// A scope's first finished statement is held back from the aggregate until a second one finishes:
// a scope that runs one statement (most requests of many APIs) is never analyzed, and nothing else
// may notice the difference.
import { describe, expect, test } from 'vitest'
import { createDetector, onScopeEnd, type ScopeEndEvent } from '../../../src/index.js'
import { fakeDb } from '../../support/fake-adapter.js'

describe('the first statement of a scope', () => {
  test('a one-statement scope still counts its statement and reports nothing', async () => {
    const reports: number[] = []
    const detector = createDetector({ reporters: [(r) => void reports.push(r.queryCount)] })
    const db = fakeDb(detector, () => [{ id: 1 }])
    const events: ScopeEndEvent[] = []
    const stop = onScopeEnd((e) => void events.push(e))
    try {
      await detector.run('GET /one', () => db.query('select * from person where id = $1', [1]))
    } finally {
      stop()
    }
    expect(reports).toEqual([1])
    expect(events.map((e) => [e.queryCount, e.findings.length])).toEqual([[1, 0]])
  })

  test('its rows still prove the loop it fed, however the statements overlap', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector, (sql, params) =>
      sql.includes('from author') ? [{ id: 1 }, { id: 2 }, { id: 3 }] : [{ author_id: params[0], title: 't' }],
    )
    const report = await detector.capture(async () => {
      const authors = (await db.query('select id from author')).rows as Array<{ id: number }>
      await Promise.all(authors.map((a) => db.query('select * from book where author_id = $1', [a.id])))
    })
    const [finding] = report.findings
    expect(finding?.kind).toBe('n-plus-one')
    expect(finding?.count).toBe(3)
    expect(finding?.proven).toBe(true)
    expect(report.queries).toHaveLength(4)
  })

  test('a budget of one is still exceeded by a second statement', async () => {
    const detector = createDetector({ mode: 'silent', maxQueries: 1 })
    const db = fakeDb(detector)
    const one = await detector.capture(() => db.query('select 1 from a'))
    expect(one.findings).toEqual([])
    const two = await detector.capture(async () => {
      await db.query('select 1 from a')
      await db.query('select 1 from b')
    })
    expect(two.findings.map((f) => f.kind)).toEqual(['query-budget'])
  })
})

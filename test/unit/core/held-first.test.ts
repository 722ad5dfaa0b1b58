// A scope's finished statements are held back from the aggregate while none of its shapes has
// repeated (up to 32): a scope whose statements are all different (most requests) is never
// analyzed, and nothing else may notice the difference.
import { describe, expect, test } from 'vitest'
import { createDetector, onScopeEnd, type ScopeEndEvent } from '../../../src/index.js'
import { fakeDb } from '../../support/fake-adapter.js'

describe('statements held back until a shape repeats', () => {
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

  test('a loop after 40 different statements is found, and proven by a held statement', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector, (sql, params) =>
      sql.includes('from author') ? [{ id: 7 }, { id: 8 }, { id: 9 }] : sql.includes('from book') ? [{ author_id: params[0] }] : [],
    )
    const events: ScopeEndEvent[] = []
    const stop = onScopeEnd((e) => void events.push(e))
    try {
      await detector.run('GET /many', async () => {
        const authors = (await db.query('select id from author')).rows as Array<{ id: number }>
        for (let i = 0; i < 40; i++) await db.query(`select 1 from t${i}`)
        for (const a of authors) await db.query('select * from book where author_id = $1', [a.id])
      })
    } finally {
      stop()
    }
    expect(events).toHaveLength(1)
    expect(events[0]!.queryCount).toBe(44)
    const [finding] = events[0]!.findings
    expect(finding?.kind).toBe('n-plus-one')
    expect(finding?.count).toBe(3)
    expect(finding?.proven).toBe(true)
  })

  test('different statements only: counted, nothing found; the same statement again: a duplicate', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector)
    const clean = await detector.capture(async () => {
      for (let i = 0; i < 5; i++) await db.query(`select 1 from t${i} where id = $1`, [i])
    })
    expect(clean.queries).toHaveLength(5)
    expect(clean.findings).toEqual([])
    const dup = await detector.capture(async () => {
      await db.query('select * from t where id = $1', [1])
      for (let i = 0; i < 3; i++) await db.query(`select 1 from u${i}`)
      await db.query('select * from t where id = $1', [1])
    })
    expect(dup.findings.map((f) => [f.kind, f.count])).toEqual([['duplicate', 2]])
  })

  test('shapes counted by the scope alone, then by its aggregate: every count exact, findings in first-run order', async () => {
    const found: Array<Array<[string | undefined, number]>> = []
    const detector = createDetector({ reporters: [(r) => void found.push(r.findings.map((f) => [f.table, f.count]))] })
    const db = fakeDb(detector)
    // Past the warm-up, a shape's first run takes no stack: its later runs must know they are repeats.
    for (let i = 0; i < 1000; i++) detector.startScope('warm-up').end()
    for (const others of [2, 7, 8, 12]) {
      // A loop of three: `a` every time, `b` twice, and `others` different statements in its first pass.
      const loop = async () => {
        for (let round = 0; round < 3; round++) {
          await db.query('select * from a where id = $1', [round])
          if (round < 2) await db.query('select * from b where id = $1', [round])
          if (round === 0) for (let i = 0; i < others; i++) await db.query(`select 1 from t${i}`)
        }
      }
      const report = await detector.capture(loop)
      expect(report.queries).toHaveLength(others + 5)
      expect(report.findings.map((f) => [f.table, f.count])).toEqual([
        ['a', 3],
        ['b', 2],
      ])
      await detector.run('GET /loop', loop)
      // `b` runs twice: its first run has no stack, so its one captured repeat is no loop by itself.
      expect(found.at(-1)).toEqual([['a', 3]])
    }
  })
})

// Once a shape repeats, statements still go to the aggregate in batches (of 32, or 4,096 rows and
// values): where the batches fall must change nothing a scope finds.
describe('statements added in batches', () => {
  test('a long loop finds the same, however its statements fall into batches', async () => {
    const detector = createDetector({ mode: 'silent' })
    const db = fakeDb(detector, (sql, params) =>
      sql.includes('from author') ? Array.from({ length: 90 }, (_, i) => ({ id: i + 1 })) : sql.includes('from book') ? [{ author_id: params[0] }] : [],
    )
    const seen: string[] = []
    for (const before of [0, 1, 7, 31, 32, 33]) {
      const report = await detector.capture(async () => {
        for (let i = 0; i < before; i++) await db.query(`select 1 from t${i}`)
        const authors = (await db.query('select id from author')).rows as Array<{ id: number }>
        for (const a of authors) {
          await db.query('select * from book where author_id = $1', [a.id])
          // The same lookup again, a write to its table in between from the 45th author on: runs of
          // one parameter set end at a write, whichever batch the write falls in.
          if (a.id >= 45) await db.query('update settings set v = $1 where k = $2', [a.id, 'last'])
          await db.query('select * from settings where k = $1', ['last'])
        }
      })
      expect(report.queries).toHaveLength(before + 1 + 90 + 46 + 90)
      seen.push(JSON.stringify(report.findings.map((f) => [f.kind, f.table, f.count, f.distinctParams, f.proven, f.parallel])))
    }
    expect(new Set(seen).size).toBe(1)
    // The loop; the settings read repeated 44 times with no write between; the update, once per
    // author from the 45th on, with the authors' ids.
    expect(JSON.parse(seen[0]!)).toEqual([
      ['n-plus-one', 'book', 90, 90, true, false],
      ['duplicate', 'settings', 44, 1, false, false],
      ['n-plus-one', 'settings', 46, 46, true, false],
    ])
  })
})

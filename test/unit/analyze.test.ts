import { describe, expect, test } from 'vitest'
import { analyze, type AnalyzedQuery } from '../../src/analyze/index.js'
import { record } from '../support/records.js'

const q = (partial: Partial<AnalyzedQuery> & { paramKey: number }): AnalyzedQuery => record({ adapter: 'pg', ...partial })

describe('analyze: the detection rules on plain records', () => {
  test('threshold executions with two distinct parameter sets make an N+1', () => {
    const two = analyze([q({ paramKey: 1 }), q({ paramKey: 2 })], { threshold: 2 })
    expect(two).toMatchObject([{ kind: 'n-plus-one', count: 2, distinctParams: 2, parallel: false, totalDurationMs: 4 }])
    expect(analyze([q({ paramKey: 1 }), q({ paramKey: 2 })], { threshold: 3 })).toEqual([])
    expect(analyze([q({ paramKey: 1 }), q({ paramKey: 2 }), q({ paramKey: 3 })], { threshold: 3 })).toHaveLength(1)
  })

  test('the same parameters repeated are a duplicate', () => {
    expect(analyze([q({ paramKey: 7 }), q({ paramKey: 7 }), q({ paramKey: 7 })], { threshold: 2 })).toMatchObject([
      { kind: 'duplicate', count: 3, distinctParams: 1 },
    ])
  })

  test('different call sites are different groups', () => {
    const records = [q({ paramKey: 1, siteKey: 'a:1:1' }), q({ paramKey: 2, siteKey: 'a:2:1' }), q({ paramKey: 3, siteKey: 'a:3:1' })]
    expect(analyze(records, { threshold: 2 })).toEqual([])
  })

  test('overlapping executions are flagged parallel, back-to-back ones are not', () => {
    const overlapping = [q({ paramKey: 1, startedAt: 0, endedAt: 5 }), q({ paramKey: 2, startedAt: 1, endedAt: 6 })]
    expect(analyze(overlapping, { threshold: 2 })[0]?.parallel).toBe(true)
    const sequential = [q({ paramKey: 1, startedAt: 0, endedAt: 5 }), q({ paramKey: 2, startedAt: 5, endedAt: 9 })]
    expect(analyze(sequential, { threshold: 2 })[0]?.parallel).toBe(false)
    // Issued together, run one after the other behind a pool of one connection: still parallel.
    const queued = [q({ paramKey: 1, issuedAt: 0, startedAt: 0, endedAt: 5 }), q({ paramKey: 2, issuedAt: 0, startedAt: 5, endedAt: 9 })]
    expect(analyze(queued, { threshold: 2 })[0]?.parallel).toBe(true)
  })

  test('transaction control never counts', () => {
    const tx = (k: number) => q({ paramKey: k, fingerprint: 'fp-begin', shape: 'begin', kind: 'transaction', tables: [] })
    expect(analyze([tx(1), tx(1), tx(1)], { threshold: 2 })).toEqual([])
  })

  test('a first run without a call site joins a known site that is a finding by itself, and nothing else', () => {
    const loop = [q({ paramKey: 1, siteKey: undefined }), q({ paramKey: 2 }), q({ paramKey: 3 })]
    expect(analyze(loop, { threshold: 2 })).toMatchObject([{ count: 3, distinctParams: 3, siteKey: 'app.ts:10:5' }])
    const twoLines = [q({ paramKey: 1, siteKey: undefined }), q({ paramKey: 2, siteKey: 'b:1:1' })]
    expect(analyze(twoLines, { threshold: 2 })).toEqual([])
    const threeLines = [q({ paramKey: 1, siteKey: undefined }), q({ paramKey: 2, siteKey: 'b:1:1' }), q({ paramKey: 3, siteKey: 'c:1:1' })]
    expect(analyze(threeLines, { threshold: 2 })).toEqual([])
    const noSiteAtAll = [q({ paramKey: 1, siteKey: undefined }), q({ paramKey: 2, siteKey: undefined })]
    expect(analyze(noSiteAtAll, { threshold: 2 })).toMatchObject([{ count: 2, siteKey: undefined }])
  })

  test('findings come in the order their first query ran, with a hint naming table and column', () => {
    const toy = (paramKey: number) =>
      q({ paramKey, fingerprint: 'fp-toy', shape: 'select * from toy where pet_id = ?', tables: ['toy'], siteKey: 't', filters: [{ column: 'pet_id', operator: '=', param: 1 }] })
    const records = [q({ paramKey: 1 }), q({ paramKey: 2 }), toy(1), toy(2), toy(3)]
    const found = analyze(records, { threshold: 2 })
    expect(found.map((c) => c.fingerprint)).toEqual(['fp-pet', 'fp-toy'])
    expect(found[1]!.hint).toContain('pet_id = any($1')
    expect(found[1]!.hint).toContain('toy')
  })

  test('distinct parameter sets are exact for small groups and bounded for huge ones', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => q({ paramKey: i }))
    const [c] = analyze(many, { threshold: 2 })
    expect(c!.count).toBe(10_000)
    expect(c!.distinctParams).toBe(4096)
  })
})

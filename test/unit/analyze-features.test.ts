// The issue-4 rules on plain records: the query that fed a loop, MN+1 patterns, budgets,
// severity, the false-positive filters and the fix hints.
import { describe, expect, test } from 'vitest'
import { analyze, type AnalyzedQuery } from '../../src/analyze/index.js'
import { record } from '../support/records.js'

const q = (partial: Partial<AnalyzedQuery> & { paramKey: number }): AnalyzedQuery => record({ adapter: 'kysely', ...partial })

const people = (ids: unknown[]) =>
  q({
    paramKey: 0,
    fingerprint: 'fp-people',
    shape: 'select * from person',
    tables: ['person'],
    filters: [],
    siteKey: 'app.ts:3:1',
    rows: ids.map((id) => ({ id, name: `p${String(id)}`, age: 40 })),
    rowCount: ids.length,
  })
const pets = (owner: unknown, petIds: number[]) =>
  q({ paramKey: Number(owner) + 1000, values: [owner], rows: petIds.map((id) => ({ id, owner_id: owner })), rowCount: petIds.length })
const toy = (petId: number) =>
  q({
    paramKey: petId + 5000,
    fingerprint: 'fp-toy',
    shape: 'select * from toy where pet_id = ?',
    tables: ['toy'],
    filters: [{ column: 'pet_id', operator: '=', param: 1 }],
    siteKey: 'app.ts:20:7',
    values: [petId],
    rows: [{ id: petId * 10, pet_id: petId }],
    rowCount: 1,
  })

describe('the query that fed the loop', () => {
  test('parameters that are values of an earlier result column prove the N+1', () => {
    const [c] = analyze([people([1, 2, 3]), pets(1, [11]), pets(2, [12, 13]), pets(3, [14])], { threshold: 2 })
    expect(c).toMatchObject({
      kind: 'n-plus-one',
      severity: 'high',
      source: { fingerprint: 'fp-people', column: 'id', param: 1, queries: 1, rowCount: 3, siteKey: 'app.ts:3:1', tables: ['person'] },
    })
    expect(c!.hint).toContain('collect person.id from the first query')
  })

  test('ids returned as strings (pg int8) still match numeric parameters', () => {
    const [c] = analyze([people(['1', '2']), pets(1, [11]), pets(2, [12])], { threshold: 2 })
    expect(c!.source?.column).toBe('id')
  })

  test('nested loops: the inner loop is fed by every result of the outer one', () => {
    const found = analyze([people([1, 2]), pets(1, [11, 12]), toy(11), toy(12), pets(2, [13]), toy(13)], { threshold: 2 })
    expect(found.map((c) => [c.fingerprint, c.source?.fingerprint, c.source?.column, c.source?.rowCount])).toEqual([
      ['fp-pet', 'fp-people', 'id', 2],
      ['fp-toy', 'fp-pet', 'id', 3],
    ])
  })

  test('no proof when a value is missing from every column, or the rows came after the loop began', () => {
    expect(analyze([people([1, 2]), pets(1, [11]), pets(9, [12])], { threshold: 2 })[0]!.source).toBeUndefined()
    const late = analyze([pets(1, [11]), people([1, 2]), pets(2, [12])], { threshold: 2 })
    expect(late.find((c) => c.fingerprint === 'fp-pet')!.source).toBeUndefined()
  })
})

describe('severity and false positives', () => {
  test('two single-row lookups with nothing behind them are low; ten are high', () => {
    const lookup = (id: number) => q({ paramKey: id, values: [id], rows: [{ id }], rowCount: 1 })
    expect(analyze([lookup(1), lookup(2)], { threshold: 2 })[0]).toMatchObject({ severity: 'low', singleRow: true })
    expect(analyze([lookup(1), lookup(2), lookup(3), lookup(4)], { threshold: 2 })[0]!.severity).toBe('medium')
    expect(analyze(Array.from({ length: 10 }, (_, i) => lookup(i)), { threshold: 2 })[0]!.severity).toBe('high')
  })

  test('requireMultiRowSource keeps only N+1s proven to come from a multi-row result', () => {
    const proven = [people([1, 2]), pets(1, [11]), pets(2, [12])]
    const unproven = [pets(7, [11]), pets(8, [12])]
    expect(analyze(proven, { threshold: 2, requireMultiRowSource: true })).toHaveLength(1)
    expect(analyze(unproven, { threshold: 2, requireMultiRowSource: true })).toEqual([])
    expect(analyze(unproven, { threshold: 2 })).toHaveLength(1)
  })

  test('minTotalDurationMs leaves out cheap loops', () => {
    const records = [q({ paramKey: 1, startedAt: 0, endedAt: 1 }), q({ paramKey: 2, startedAt: 2, endedAt: 3 })]
    expect(analyze(records, { threshold: 2, minTotalDurationMs: 5 })).toEqual([])
    expect(analyze(records, { threshold: 2, minTotalDurationMs: 2 })).toHaveLength(1)
  })
})

describe('MN+1: a loop that runs several shapes per row', () => {
  test('A B A B A B is one finding listing both shapes', () => {
    const records = [people([1, 2, 3]), pets(1, [11]), toy(11), pets(2, [12]), toy(12), pets(3, [13]), toy(13)]
    const found = analyze(records, { threshold: 2 })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ fingerprint: 'fp-pet', count: 3, totalDurationMs: 12 })
    expect(found[0]!.pattern?.map((m) => [m.fingerprint, m.count])).toEqual([
      ['fp-pet', 3],
      ['fp-toy', 3],
    ])
    expect(found[0]!.hint).toContain('2 queries per row (pet, toy)')
  })

  test('two loops one after the other stay two findings', () => {
    const records = [pets(1, [11]), pets(2, [12]), toy(11), toy(12)]
    expect(analyze(records, { threshold: 2 }).map((c) => c.pattern)).toEqual([undefined, undefined])
  })
})

describe('query budget', () => {
  test('a scope over maxQueries gets one query-budget finding with the top shapes', () => {
    const records = [people([1]), pets(1, [1]), pets(2, [2]), pets(3, [3]), toy(1), toy(2)]
    const found = analyze(records, { threshold: 99, maxQueries: 5 })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ kind: 'query-budget', count: 6, budget: 5 })
    expect(found[0]!.topShapes?.map((t) => [t.fingerprint, t.count])).toEqual([
      ['fp-pet', 3],
      ['fp-toy', 2],
      ['fp-people', 1],
    ])
    expect(found[0]!.hint).toContain('ran 6 queries, over its budget of 5')
    expect(analyze(records, { threshold: 99, maxQueries: 6 })).toEqual([])
  })

  test('transaction control does not count toward the budget', () => {
    const begin = (n: number) => q({ paramKey: n, fingerprint: 'fp-begin', shape: 'begin', kind: 'transaction', tables: [] })
    expect(analyze([begin(1), begin(2), begin(3), toy(1)], { threshold: 99, maxQueries: 1 })).toEqual([])
  })
})

describe('fix hints fit the code', () => {
  test('Kysely: where in, jsonArrayFrom for lists, jsonObjectFrom for single rows', () => {
    const many = analyze([pets(1, [11, 12]), pets(2, [13, 14])], { threshold: 2 })[0]!.hint
    expect(many).toContain(".where('owner_id', 'in', ids)")
    expect(many).toContain('jsonArrayFrom()')
    expect(many).toContain('DataLoader')
    const one = analyze([toy(1), toy(2), toy(3)], { threshold: 2 })[0]!.hint
    expect(one).toContain(".where('pet_id', 'in', ids)")
    expect(one).toContain('jsonObjectFrom()')
  })

  test('raw pg: = any($1::type[]) with the type of the values', () => {
    const uuid = (u: string) => q({ paramKey: u.length + u.charCodeAt(0), adapter: 'pg', values: [u] })
    const hint = analyze([uuid('4f1c2a1e-8d2b-4b8e-9a1a-2b3c4d5e6f70'), uuid('9a1c2a1e-8d2b-4b8e-9a1a-2b3c4d5e6f71')], { threshold: 2 })[0]!.hint
    expect(hint).toContain('where owner_id = any($1::uuid[])')
    const ints = analyze([q({ paramKey: 1, adapter: 'pg', values: [1] }), q({ paramKey: 2, adapter: 'pg', values: [2] })], { threshold: 2 })
    expect(ints[0]!.hint).toContain('= any($1::int[])')
  })

  test('inserts, updates and deletes in a loop get a one-statement hint', () => {
    const ins = (n: number) => q({ paramKey: n, kind: 'insert', shape: 'insert into toy (pet_id, name) values (?, ?)', tables: ['toy'], filters: [] })
    expect(analyze([ins(1), ins(2)], { threshold: 2 })[0]!.hint).toContain(".insertInto('toy').values(rows)")
    const upd = (n: number) => q({ paramKey: n, kind: 'update', adapter: 'pg', shape: 'update pet set name = ? where id = ?', filters: [{ column: 'id', operator: '=', param: 2 }] })
    expect(analyze([upd(1), upd(2)], { threshold: 2 })[0]!.hint).toContain('update all rows in one statement: where id = any(')
  })
})

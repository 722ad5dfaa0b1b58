// Issue 13 on plain records: writes repeated are a loop of writes, utility statements and lock
// calls are never findings, array rows prove a loop through their column names.
import { describe, expect, test } from 'vitest'
import { analyze, type AnalyzedQuery } from '../../src/analyze/index.js'
import { record } from '../support/records.js'

const times = (n: number, make: (i: number) => AnalyzedQuery): AnalyzedQuery[] => Array.from({ length: n }, (_, i) => make(i))

describe('writes, DDL and locks', () => {
  test('the same insert five times is an N+1 with a multi-row hint, not a duplicate', () => {
    const insert = () =>
      record({ paramKey: 7, adapter: 'pg', fingerprint: 'fp-ins', shape: 'insert into audit (event) values (?)', kind: 'insert', tables: ['audit'], filters: [], rowCount: 1 })
    const [c, ...rest] = analyze(times(5, insert), { threshold: 2 })
    expect(rest).toEqual([])
    expect(c).toMatchObject({ kind: 'n-plus-one', count: 5, distinctParams: 1, severity: 'medium' })
    expect(c!.hint).toContain('insert all rows in one statement: insert into audit (...) values (...), (...)')
    expect(c!.hint).not.toContain('DataLoader')
  })

  test('the same update with the same values: run it once', () => {
    const update = () =>
      record({ paramKey: 9, adapter: 'kysely', fingerprint: 'fp-upd', shape: 'update counter set n = n + ? where id = ?', kind: 'update', tables: ['counter'], filters: [{ column: 'id', operator: '=', param: 2 }] })
    const [c] = analyze(times(3, update), { threshold: 2 })
    expect(c).toMatchObject({ kind: 'n-plus-one', count: 3 })
    expect(c!.hint).toBe('the same update with the same values ran 3 times: run it once, after the loop')
  })

  test.each([
    ['create table if not exists t (id int)', 'utility', []],
    ['select pg_advisory_lock(?)', 'select', []],
    ['select pg_advisory_unlock(?)', 'select', []],
    ['select pg_advisory_xact_lock(?)', 'select', []],
    ['select pg_try_advisory_lock(?), pg_advisory_unlock_all()', 'select', []],
    ['select nextval(?)', 'select', []],
    ['set search_path to ?', 'utility', []],
  ] as const)('%s repeated is never a finding', (shape, kind, tables) => {
    const run = (i: number) => record({ paramKey: i % 2, fingerprint: `fp-${shape}`, shape, kind, tables, filters: [] })
    expect(analyze(times(6, run), { threshold: 2 })).toEqual([])
  })

  test('a read of a constant is still a duplicate (select now() is cacheable)', () => {
    const run = () => record({ paramKey: 1, fingerprint: 'fp-now', shape: 'select now()', tables: [], filters: [] })
    expect(analyze(times(3, run), { threshold: 2 })[0]).toMatchObject({ kind: 'duplicate' })
  })
})

describe("rows read with rowMode 'array'", () => {
  const people = record({
    paramKey: 0, fingerprint: 'fp-people', shape: 'select id, name from person', tables: ['person'], filters: [], siteKey: 'app.ts:3:1',
    rows: [[1, 'a'], [2, 'b'], [3, 'c']], columns: ['id', 'name'], rowCount: 3,
  })
  const pet = (owner: number) => record({ paramKey: owner, values: [owner], rows: [[owner * 10, owner]], columns: ['id', 'owner_id'], rowCount: 1 })

  test('are read by column name through their fields', () => {
    const [c] = analyze([people, pet(1), pet(2), pet(3)], { threshold: 2, requireMultiRowSource: true })
    expect(c).toMatchObject({ kind: 'n-plus-one', severity: 'high', source: { fingerprint: 'fp-people', column: 'id', rowCount: 3, param: 1 } })
  })

  test('without their column names they prove nothing (and are not mistaken for objects)', () => {
    const bare = { ...people, columns: undefined }
    const [c] = analyze([bare, pet(1), pet(2), pet(3)], { threshold: 2 })
    expect(c).toMatchObject({ kind: 'n-plus-one' })
    expect(c!.source).toBeUndefined()
  })
})

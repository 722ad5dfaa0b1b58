// The call-path rules on plain records: grouping by path, duplicates across paths and writes,
// proofs in time, siblings, unknown sites; and the two text rules behind them.
import { describe, expect, test } from 'vitest'
import { analyze, samePath, type AnalyzedQuery } from '../../src/analyze/index.js'
import { repeatSafe } from '../../src/analyze/repeat-safe.js'
import { record } from '../support/records.js'

const q = (partial: Partial<AnalyzedQuery> & { paramKey: number }): AnalyzedQuery => record({ adapter: 'pg', ...partial })
const HELPER = 'repo.ts:3:9'
const get = (id: number, caller: string) => q({ paramKey: id, values: [id], siteKey: `${HELPER}|${caller}`, rows: [{ id }], rowCount: 1 })
const write = (table: string) =>
  q({ paramKey: 99, fingerprint: `fp-w-${table}`, shape: `update ${table} set x = ? where id = ?`, kind: 'update', tables: [table], filters: [], siteKey: 'w.ts:1:1' })

describe('call paths', () => {
  test('one helper called from four lines of a handler is four paths: clean', () => {
    expect(analyze([get(1, 'h.ts:2'), get(2, 'h.ts:3'), get(3, 'h.ts:4'), get(4, 'h.ts:5')], { threshold: 2 })).toEqual([])
  })

  test('one helper under two loops is two findings', () => {
    const found = analyze([get(1, 'a.ts:7'), get(2, 'a.ts:7'), get(3, 'b.ts:9'), get(4, 'b.ts:9')], { threshold: 2 })
    expect(found.map((c) => [c.kind, c.count, c.siteKey])).toEqual([
      ['n-plus-one', 2, `${HELPER}|a.ts:7`],
      ['n-plus-one', 2, `${HELPER}|b.ts:9`],
    ])
  })

  test('the first run, sent synchronously, and the runs after an await are one path', () => {
    expect(samePath([HELPER, 'l.ts:5', 't.ts:88'], [HELPER, 'l.ts:5', '~t.ts:100'])).toBe(true)
    expect(samePath([HELPER, 'l.ts:5', 'm.ts:2', 't.ts:9'], [HELPER, 'l.ts:5'])).toBe(true)
    expect(samePath([HELPER, 'h.ts:2'], [HELPER, 'h.ts:3'])).toBe(false)
    expect(samePath([HELPER, '~a.ts:7'], [HELPER, '~b.ts:9'])).toBe(false)
    const found = analyze([get(1, 'l.ts:5|t.ts:88'), get(2, 'l.ts:5|~t.ts:100'), get(3, 'l.ts:5|~t.ts:100')], { threshold: 2 })
    expect(found.map((c) => c.count)).toEqual([3])
  })

  test('a lone first run from another path joins the loop right after it, never tips a path over', () => {
    expect(analyze([get(1, 'x.ts:83'), get(2, 'cb.ts:77'), get(3, 'cb.ts:77')], { threshold: 2 }).map((c) => c.count)).toEqual([3])
    // After the loop, or before a path that is no finding by itself: apart.
    expect(analyze([get(2, 'cb.ts:77'), get(3, 'cb.ts:77'), get(1, 'x.ts:83')], { threshold: 2 }).map((c) => c.count)).toEqual([2])
    expect(analyze([get(1, 'x.ts:83'), get(2, 'cb.ts:77')], { threshold: 2 })).toEqual([])
  })
})

describe('duplicates across call paths', () => {
  test('the same read with the same parameters from two paths is one duplicate listing both', () => {
    const [c, ...rest] = analyze([get(1, 'h.ts:2'), get(1, 'h.ts:3')], { threshold: 2 })
    expect(rest).toEqual([])
    expect(c).toMatchObject({ kind: 'duplicate', count: 2, sites: [`${HELPER}|h.ts:2`, `${HELPER}|h.ts:3`] })
    expect(c!.hint).toContain('from 2 call sites')
  })

  test('a write to its table in between splits the repeats; a write to another table does not', () => {
    const reads = (table: string) => [get(1, 'h.ts:2'), write(table), get(1, 'h.ts:3')].map((r) => (r.kind === 'select' ? { ...r, tables: ['person'] } : r))
    expect(analyze(reads('pet'), { threshold: 2 })).toMatchObject([{ kind: 'duplicate', count: 2 }])
    expect(analyze(reads('person'), { threshold: 2 })).toEqual([])
  })

  test('a repeated idempotent write is a duplicate; one that reads its own column is not', () => {
    // Sent from two paths: from one path, a repeated write is a loop of writes (an N+1).
    const upd = (shape: string, caller: string) =>
      q({ paramKey: 1, values: [1], fingerprint: shape, shape, kind: 'update', tables: ['person'], siteKey: `u.ts:1:1|${caller}` })
    const set = 'update person set name = ? where id = ?'
    const bump = 'update person set n = n + ? where id = ?'
    expect(analyze([upd(set, 'h.ts:2'), upd(set, 'h.ts:3')], { threshold: 2 })).toMatchObject([{ kind: 'duplicate', count: 2 }])
    expect(analyze([upd(bump, 'h.ts:2'), upd(bump, 'h.ts:3')], { threshold: 2 })).toEqual([])
  })

  test('repeats inside an N+1 path are that N+1, not a duplicate too', () => {
    const found = analyze([get(1, 'l.ts:5'), get(1, 'l.ts:5'), get(2, 'l.ts:5')], { threshold: 2 })
    expect(found.map((c) => c.kind)).toEqual(['n-plus-one'])
  })

  test('repeatSafe reads the SET list', () => {
    expect(repeatSafe('update person set name = ?, last_login = now() where id = ?', 'update')).toBe(true)
    expect(repeatSafe('update person set n = coalesce(n, ?) + ? where id = ?', 'update')).toBe(false)
    expect(repeatSafe('update t set x = ?::int where id = ?', 'update')).toBe(true)
    expect(repeatSafe('delete from t where id = ?', 'delete')).toBe(true)
    expect(repeatSafe('insert into t (a) values (?)', 'insert')).toBe(false)
    expect(repeatSafe('insert into t (a) values (?) on conflict (a) do nothing', 'insert')).toBe(true)
    expect(repeatSafe('insert into t (a) values (?) on conflict (a) do update set a = excluded.a', 'insert')).toBe(true)
    expect(repeatSafe('insert into t (a) values (?) on conflict (a) do update set n = t.n + ?', 'insert')).toBe(false)
  })
})

describe('proofs in time', () => {
  const list = (names: string[], at: number) =>
    q({ paramKey: 0, fingerprint: 'fp-list', shape: 'select name from person', tables: ['person'], filters: [], siteKey: 'm.ts:1:1', rows: names.map((name) => ({ name })), rowCount: names.length, startedAt: at })
  const insert = (name: string, key: number, at: number) =>
    q({ paramKey: key, values: [name], fingerprint: 'fp-ins', shape: 'insert into person (name) values (?)', kind: 'insert', tables: ['person'], filters: [], siteKey: 'm.ts:5:3', startedAt: at })

  test('rows that came back after the loop sent the values are no proof', () => {
    const found = analyze([list([], 0), insert('a', 1, 10), insert('b', 2, 20), insert('c', 3, 30), list(['a', 'b', 'c'], 40)], { threshold: 2 })
    expect(found).toMatchObject([{ kind: 'n-plus-one', count: 3 }])
    expect(found[0]!.source).toBeUndefined()
  })

  test('a shape that runs once per iteration of the same loop never feeds it', () => {
    const person = (i: number) =>
      q({ paramKey: 100 + i, values: [`p${i}`], fingerprint: 'fp-p', shape: 'insert into person (name) values (?) returning id', kind: 'insert', tables: ['person'], filters: [], siteKey: 'i.ts:2:1', rows: [{ id: i }], rowCount: 1 })
    const pet = (i: number) =>
      q({ paramKey: 200 + i, values: [i], fingerprint: 'fp-pt', shape: 'insert into pet (owner_id) values (?)', kind: 'insert', tables: ['pet'], filters: [], siteKey: 'i.ts:3:1', rowCount: 1 })
    const found = analyze([person(1), pet(1), person(2), pet(2), person(3), pet(3)], { threshold: 2 })
    expect(found).toHaveLength(1)
    expect(found[0]!.source).toBeUndefined()
  })

  test('a sibling sent the same keys is not the source, even when all its rows came first (Promise.all)', () => {
    const ppl = q({ paramKey: 0, fingerprint: 'fp-ppl', shape: 'select id from person', tables: ['person'], filters: [], siteKey: 's.ts:1:1', rows: [{ id: 1 }, { id: 2 }, { id: 3 }], rowCount: 3, startedAt: 0 })
    const pets = (o: number, at: number) => q({ paramKey: o, values: [o], siteKey: 's.ts:4:9', rows: [{ id: o * 10, owner_id: o }], rowCount: 1, startedAt: at, issuedAt: 10, endedAt: at + 1 })
    const count = (o: number, at: number) =>
      q({ paramKey: o + 50, values: [o], fingerprint: 'fp-count', shape: 'select count(*) from pet where owner_id = ?', siteKey: 's.ts:5:9', rows: [{ n: 1, owner_id: o }], rowCount: 1, startedAt: at, issuedAt: at, endedAt: at + 1 })
    const found = analyze([ppl, pets(1, 11), pets(2, 12), pets(3, 13), count(1, 20), count(2, 21), count(3, 22)], { threshold: 2 })
    expect(found).toHaveLength(1)
    expect(found[0]!.pattern?.map((m) => m.fingerprint)).toEqual(['fp-pet', 'fp-count'])
    expect(found[0]!.source).toMatchObject({ fingerprint: 'fp-ppl', column: 'id' })
  })
})

describe('unknown call sites', () => {
  test('a loop with no application frame is low severity, with a hint that says why', () => {
    const found = analyze(
      Array.from({ length: 12 }, (_, i) => q({ paramKey: i, values: [i], siteKey: undefined })),
      { threshold: 2 },
    )
    expect(found).toMatchObject([{ kind: 'n-plus-one', count: 12, severity: 'low', siteUnknown: true }])
    expect(found[0]!.hint).toMatch(/^call site unknown/)
  })
})

// The advisor's reading of LIMIT / FETCH / OFFSET from statement text (pure; no database).
import { describe, expect, test } from 'vitest'
import { joinPairs } from '../../src/advisor/join-columns.js'
import { knownLimits, offsetOf, statementLimits } from '../../src/advisor/statement-limits.js'
import { sqlInfo } from '../../src/fingerprint/index.js'

const limits = (sql: string) => statementLimits(sqlInfo(sql), sql)

describe('statementLimits', () => {
  test.each([
    ['select * from pet', false],
    ['select * from pet limit 10', true],
    ['select * from pet limit $1', true],
    ['select * from pet limit all', false],
    ['select * from pet order by id fetch first 5 rows only', true],
    ['select * from pet order by id fetch next $1 rows only', true],
    ['select * from (select * from pet limit 10) t', false],
    ['select * from pet where id in (select pet_id from toy limit 3)', false],
    ['with t as (select * from pet limit 3) select * from t', false],
    ['select a from x union all select a from y limit 5', true],
    ['SELECT * FROM pet LIMIT 1', true],
    ["select 'limit 5' from pet", false],
    ['select "limit" from pet', false],
  ])('%s: bounded %s', (sql, bounded) => {
    expect(limits(sql).bounded).toBe(bounded)
  })

  test('OFFSET as a parameter, a literal, inside a subquery, and absent', () => {
    expect(limits('select * from pet order by id limit $1 offset $2').offset).toEqual({ param: 2 })
    expect(limits('select * from pet order by id offset 5000 limit 10').offset).toEqual({ value: 5000 })
    expect(limits('select * from (select * from pet offset 5000) t').offset).toBeUndefined()
    expect(limits('select * from pet').offset).toBeUndefined()
  })

  test('offsetOf reads the bound value as given by the driver', () => {
    const l = limits('select * from pet order by id limit $1 offset $2')
    expect(offsetOf(l, [10, 2000])).toBe(2000)
    expect(offsetOf(l, [10, '2000'])).toBe(2000)
    expect(offsetOf(l, [10, 2000n])).toBe(2000)
    expect(offsetOf(l, [10, null])).toBeUndefined()
    expect(offsetOf(l, [10, 'abc'])).toBeUndefined()
    expect(offsetOf(l, undefined)).toBeUndefined()
  })

  test('is read once per distinct text (cached on the fingerprint module\'s SqlInfo)', () => {
    const sql = 'select * from pet order by id offset $1'
    expect(statementLimits(sqlInfo(sql), sql)).toBe(statementLimits(sqlInfo(sql), ''))
    expect(knownLimits(sqlInfo(sql))).toBe(statementLimits(sqlInfo(sql), sql))
    expect(knownLimits(sqlInfo('select 1 as never_read'))).toBeUndefined()
  })

  test('an info sqlInfo did not make (a copy) is read from its text too, and the note stays invisible', () => {
    const sql = 'select * from pet order by id offset 7000'
    const copy = { ...sqlInfo(sql) }
    expect(Object.keys(copy).sort()).toEqual(['filters', 'fingerprint', 'housekeeping', 'id', 'kind', 'literalKey', 'shape', 'tables'])
    expect(JSON.stringify(sqlInfo(sql))).toBe(JSON.stringify(copy))
    expect(knownLimits(copy)).toBeUndefined()
    expect(statementLimits(copy, sql).offset).toEqual({ value: 7000 })
    expect(knownLimits(copy)).toBe(statementLimits(copy, ''))
  })
})

describe('joinPairs', () => {
  test('resolves aliases, quoted names and schema-qualified tables', () => {
    expect(joinPairs('select * from toy t join pet p on p.id = t.pet_id where p.owner_id = $1')).toEqual([
      { left: { table: 'pet', column: 'id' }, right: { table: 'toy', column: 'pet_id' } },
    ])
    expect(joinPairs('select "toy"."name" from "pet" inner join "toy" on "toy"."pet_id" = "pet"."id" where "pet"."owner_id" = $1')).toEqual([
      { left: { table: 'toy', column: 'pet_id' }, right: { table: 'pet', column: 'id' } },
    ])
    expect(joinPairs('select * from shop.pet as p join shop.toy t on t.pet_id = p.id')).toEqual([
      { left: { table: 'shop.toy', column: 'pet_id' }, right: { table: 'shop.pet', column: 'id' } },
    ])
    expect(joinPairs('select * from pet where pet.owner_id = $1')).toEqual([])
  })
})

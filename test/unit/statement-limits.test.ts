// The advisor's reading of LIMIT / FETCH / OFFSET from statement text (pure; no database).
import { describe, expect, test } from 'vitest'
import { offsetOf, statementLimits } from '../../src/advisor/statement-limits.js'
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
  })
})

// Statement facts issue 13 depends on: the class of a multi-statement text, the main table of a
// select with a subquery before its FROM, and the values a statement inlines.
import { describe, expect, test } from 'vitest'
import { literalValues, sqlInfo } from '../../src/fingerprint/index.js'

describe('multi-statement text is classed by the statements inside', () => {
  test.each([
    ['begin; select * from books where author_id = 1; commit', 'select', ['books']],
    ['BEGIN; UPDATE pet SET name = $1 WHERE id = $2; COMMIT;', 'update', ['pet']],
    ['set local statement_timeout = 5; delete from pet where id = $1', 'delete', ['pet']],
    ['begin; commit', 'transaction', []],
    ['begin', 'transaction', []],
    ['create table t (id int); drop table t', 'utility', ['t']],
  ] as const)('%s', (sql, kind, tables) => {
    const info = sqlInfo(sql)
    expect(info.kind).toBe(kind)
    expect(info.tables).toEqual(tables)
  })
})

describe("a select's main table is its outermost FROM", () => {
  test.each([
    ['select person.id, (select json_agg(pet) from pet where pet.owner_id = person.id) as pets from person', ['person', 'pet']],
    ['select "person"."id", (select coalesce(json_agg(agg), \'[]\') from (select * from "pet" where "pet"."owner_id" = "person"."id") as agg) as "pets" from "person"', ['person', 'pet']],
    ['select exists (select 1 from pet where owner_id = $1)', ['pet']],
    ['select * into temp t from pet', ['t', 'pet']],
    ['select * from (select * from pet) p', ['pet']],
  ] as const)('%s', (sql, tables) => {
    expect(sqlInfo(sql).tables).toEqual(tables)
  })

  test('shape and id do not depend on it', () => {
    expect(sqlInfo('select a, (select b from pet) from person').shape).toBe('select a, (select b from pet) from person')
  })
})

describe('literalValues', () => {
  test.each([
    ['SELECT "id" FROM "pet" WHERE "owner_id" = 7;', ['7']],
    ["select * from person where name = 'O''Brien' and age > 3.5", ["O'Brien", '3.5']],
    ['select * from pet where owner_id = $1', []],
    ["select E'a\\n', $$x$$", ["E'a\\n'", '$$x$$']],
  ] as const)('%s', (sql, values) => {
    expect(literalValues(sql)).toEqual(values)
  })

  test('stops at 64 values (a bulk write is not a lookup)', () => {
    expect(literalValues(`insert into t values ${Array.from({ length: 100 }, (_, i) => `(${i})`).join(', ')}`)).toHaveLength(64)
  })
})

// ORM housekeeping statements and fix hints in each ORM's words: pure, on plain records.
import { describe, expect, test } from 'vitest'
import { analyze, type AnalyzedQuery, type OrmName } from '../../src/analyze/index.js'
import { columnBehind } from '../../src/analyze/hint-facts.js'
import { isHousekeeping, sqlInfo } from '../../src/fingerprint/index.js'

let clock = 0

// A loop: one parent query returning `ids`, then one child query per id, from one call site.
function loop(childSql: string, opts: { orm?: OrmName; parentSql?: string; parentKey?: string; adapter?: 'pg' | 'kysely' } = {}): AnalyzedQuery[] {
  const parentSql = opts.parentSql ?? 'select "id", "name" from "author"'
  const key = opts.parentKey ?? 'id'
  const ids = [1, 2, 3, 4]
  const q = (sql: string, values: unknown[], rows: unknown[], site: string): AnalyzedQuery => {
    const info = sqlInfo(sql)
    const startedAt = (clock += 10)
    return {
      fingerprint: info.id,
      shape: info.shape,
      kind: info.kind,
      tables: info.tables,
      filters: info.filters,
      siteKey: site,
      paramKey: values.length === 0 ? 0 : Number(values[0]),
      issuedAt: startedAt,
      startedAt,
      endedAt: startedAt + 1,
      adapter: opts.adapter ?? 'pg',
      values,
      rows,
      rowCount: rows.length,
      housekeeping: info.housekeeping,
      ...(opts.orm === undefined ? {} : { orm: opts.orm }),
    }
  }
  return [q(parentSql, [], ids.map((id) => ({ [key]: id, name: `a${id}` })), 'app.ts:1:1'), ...ids.map((id) => q(childSql, [id], [{ id: id * 10, title: 't' }], 'app.ts:2:1'))]
}

function hintOf(queries: AnalyzedQuery[]): string {
  const found = analyze(queries, { threshold: 2 }).filter((c) => c.kind === 'n-plus-one')
  expect(found).toHaveLength(1)
  return found[0]!.hint
}

describe('housekeeping statements', () => {
  test.each([
    ['Sequelize connection setup', "SET client_min_messages TO warning;SET TIME ZONE '+00:00';"],
    ['Sequelize pg_type scan', "SELECT typname, typtype, oid, typarray FROM pg_type WHERE (typtype = 'b' AND typname IN ('hstore', 'geometry', 'geography')) OR (typtype = 'r')"],
    ['Knex version check', 'select version();'],
    ['Knex search path', 'set search_path to "app"'],
    ['MikroORM database check', "select 1 from pg_database where datname = 'app'"],
    ['TypeORM version', 'SELECT version()'],
    ['TypeORM current schema', 'SELECT * FROM current_schema()'],
    ['TypeORM metadata', 'SELECT * FROM "information_schema"."tables" WHERE "table_schema" = $1'],
    ['a server setting', 'SHOW server_version'],
  ])('%s is housekeeping', (_name, sql) => {
    expect(sqlInfo(sql).housekeeping).toBe(true)
  })

  test.each([
    'select * from "author" where "id" = $1',
    'select 1',
    'select $1::int as n',
    'select 1 from "author" where "id" = $1',
    'select version, name from release',
    'update pg_settings_mirror set x = 1',
    'insert into author (name) values ($1)',
    'select count(*) from author join pg_type on true',
  ])('%s is the application\'s', (sql) => {
    const info = sqlInfo(sql)
    expect(isHousekeeping(info.shape, info.kind, info.tables)).toBe(false)
  })

  test('housekeeping never makes a finding, even repeated with different values', () => {
    const queries = ['a', 'b', 'c'].map((db, i) => {
      const info = sqlInfo(`select 1 from pg_database where datname = '${db}'`)
      return { fingerprint: info.id, shape: info.shape, kind: info.kind, tables: info.tables, filters: info.filters, siteKey: 'x:1:1', paramKey: i + 1, issuedAt: i, startedAt: i, endedAt: i + 0.5, adapter: 'pg' as const, housekeeping: true }
    })
    expect(analyze(queries, { threshold: 2 })).toEqual([])
    expect(analyze(queries, { threshold: 2, maxQueries: 1 })).toEqual([])
  })
})

describe('fix hints in the ORM\'s own words', () => {
  const child = 'select "id", "author_id", "title" from "book" where "book"."author_id" = $1'
  test.each([
    ['drizzle', ['inArray(book.author_id, ids)', 'db.query.author.findMany({ with:']],
    ['prisma', ['{ author_id: { in: ids } }', 'include:', "relationLoadStrategy: 'join'"]],
    ['typeorm', ['In(ids)', 'relations:', 'leftJoinAndSelect()']],
    ['mikro-orm', ['$in: ids', 'populate:']],
    ['sequelize', ['include:', 'an array becomes IN']],
    ['knex', [".whereIn('author_id', ids)"]],
  ] as const)('%s', (orm, words) => {
    const hint = hintOf(loop(child, { orm }))
    expect(hint).toContain('collect author.id from the first query')
    for (const w of words) expect(hint).toContain(w)
    expect(hint).not.toContain('any($1')
  })

  test('without an ORM: SQL for raw pg, builder calls for Kysely', () => {
    expect(hintOf(loop(child))).toContain('author_id = any($1::int[])')
    expect(hintOf(loop(child, { adapter: 'kysely' }))).toContain(".where('author_id', 'in', ids)")
  })

  test('a loop whose query takes a list already is told so', () => {
    const inList = 'select "id", "title" from "book" where "book"."author_id" in ($1)'
    expect(hintOf(loop(inList))).toContain('this query already takes a list (author_id in (...))')
    expect(hintOf(loop(inList, { orm: 'typeorm' }))).toContain('this query already takes a list (author_id in (...))')
    expect(hintOf(loop(inList, { orm: 'typeorm' }))).toContain('relations:')
  })

  test("TypeORM's select alias (Author_id) is read back as the column it names", () => {
    const parentSql = 'SELECT "Author"."id" AS "Author_id", "Author"."name" AS "Author_name" FROM "author" "Author"'
    const hint = hintOf(loop(child, { orm: 'typeorm', parentSql, parentKey: 'Author_id' }))
    expect(hint).toContain('collect author.id')
    expect(hint).not.toContain('Author_id')
    expect(hintOf(loop(child, { parentSql, parentKey: 'Author_id' }))).toContain('collect author.id')
    expect(columnBehind('select "a"."id" as "a.id" from a', 'a.id')).toBe('id')
    expect(columnBehind('select id from a', 'id')).toBe('id')
  })
})

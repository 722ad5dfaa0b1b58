import { takesList } from './hint-facts.js'
import { ormSelectHint } from './orm-hint.js'
import type { CandidateBase } from './types.js'

function bare(name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}

function q(s: string): string {
  return `'${s}'`
}

// The column the loop filters on: the one compared with the parameter fed per row.
function loopColumn(c: CandidateBase): string | undefined {
  const param = c.source?.param
  const filter =
    (param === undefined ? undefined : c.filters.find((f) => f.param === param)) ??
    c.filters.find((f) => f.param !== undefined) ??
    c.filters[0]
  return filter?.column
}

function selectHint(c: CandidateBase): string {
  if (c.orm !== undefined) return ormSelectHint(c, c.orm, loopColumn(c), bare(c.tables[0]))
  const table = bare(c.tables[0])
  const column = loopColumn(c)
  const kysely = c.adapter === 'kysely'
  const type = c.paramType ?? 'int'
  const rows = table === undefined ? 'the rows' : `every ${table} row`
  const from = c.source === undefined ? '' : `collect ${bare(c.source.tables[0]) ?? 'the'}.${c.source.column} from the first query, then `
  if (column === undefined) {
    return kysely
      ? `load ${rows} in one query (a join, or jsonArrayFrom() from 'kysely/helpers/postgres') instead of one query per row`
      : `load ${rows} in one query (a join, or = any($1::${type}[]) with an array of keys) instead of one query per row`
  }
  if (kysely) {
    const nest = c.singleRow
      ? `or nest it in the first query with jsonObjectFrom() from 'kysely/helpers/postgres'`
      : `or nest them in the first query with jsonArrayFrom() from 'kysely/helpers/postgres'`
    return `${from}load ${rows} in one query: .where(${q(column)}, 'in', ids) and group by ${column} in memory (${nest}, or batch per request with a DataLoader)`
  }
  return `${from}load ${rows} in one query: where ${column} = any($1::${type}[]) with an array of ${c.source?.column ?? 'keys'}, then group by ${column} in memory`
}

/**
 * One line on how to fix a finding, naming its table and column and written for the layer that
 * issued it: Kysely builder calls (`where(col, 'in', ids)`, `jsonArrayFrom` / `jsonObjectFrom`,
 * DataLoader) or SQL for raw pg (`= any($1::int[])`).
 *
 * @example
 * fixHint(candidate)
 * // "load every pet row in one query: .where('owner_id', 'in', ids) and group by owner_id in memory (...)"
 */
export function fixHint(c: CandidateBase): string {
  const hint = hintFor(c)
  if (c.siteUnknown !== true) return hint
  return `call site unknown: no application frame was on the stack (the query was sent from a library callback, a timer or an ORM's thenable), so n1guard cannot tell one loop from several lines and reports it as low severity only; if it is a loop: ${hint}`
}

function hintFor(c: CandidateBase): string {
  const kysely = c.adapter === 'kysely'
  if (c.kind === 'query-budget') {
    const top = c.topShapes?.[0]
    return `this scope ran ${c.count} queries, over its budget of ${c.budget}; start with the shape that ran most${top === undefined ? '' : ` (${top.count} ×${top.tables[0] === undefined ? '' : ` on ${bare(top.tables[0])}`})`}`
  }
  if (c.kind === 'duplicate') {
    const where = c.sites !== undefined && c.sites.length > 1 ? ` from ${c.sites.length} call sites` : ''
    return `the same query with the same parameters ran ${c.count} times${where} with no write to its tables in between: run it once and reuse the result (hoist it out of the loop, or cache it per request with a DataLoader)`
  }
  if (c.pattern !== undefined && c.pattern.length > 1) {
    const tables = c.pattern.map((m) => bare(m.tables[0]) ?? '?').join(', ')
    return `the loop runs ${c.pattern.length} queries per row (${tables}): load each of them once for all rows (${
      kysely ? ".where(col, 'in', ids) or jsonArrayFrom() in the first query" : '= any($1) with an array of keys'
    }) and combine in memory`
  }
  const table = bare(c.tables[0])
  const column = loopColumn(c)
  if (c.orm === undefined && column !== undefined && takesList(c, column)) {
    return `this query already takes a list (${column} in (...)) but runs once per row: collect every key first and run it once with all of them, then group by ${column} in memory`
  }
  switch (c.statementKind) {
    case 'insert':
      return kysely
        ? `insert all rows in one statement: .insertInto(${q(table ?? 'table')}).values(rows) with an array of rows instead of one insert per row`
        : `insert all rows in one statement: insert into ${table ?? 'table'} (...) values (...), (...) or select * from unnest($1::${c.paramType ?? 'int'}[], ...) instead of one insert per row`
    case 'update':
    case 'delete':
    case 'merge': {
      const verb = c.statementKind
      if (c.distinctParams < 2) {
        return `the same ${verb} with the same values ran ${c.count} times: run it once, after the loop`
      }
      if (column === undefined) return `${verb} all rows in one statement instead of one ${verb} per row`
      if (verb === 'merge') return `merge all rows in one statement: using (select * from unnest($1::${c.paramType ?? 'int'}[], ...)) instead of one merge per row`
      return kysely
        ? `${verb} all rows in one statement: .where(${q(column)}, 'in', ids) instead of one ${verb} per row`
        : `${verb} all rows in one statement: where ${column} = any($1::${c.paramType ?? 'int'}[]) with an array of keys instead of one ${verb} per row`
    }
    default:
      return selectHint(c)
  }
}

import type { CandidateBase } from './types.js'

function bare(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}

/**
 * One line on how to fix a finding, naming its table and column and written for the layer that
 * issued it (Kysely builder calls, or SQL for raw pg).
 *
 * @example
 * fixHint(candidate)
 * // "load every pet in one query: .where('owner_id', 'in', ids), then group the rows by owner_id in memory ..."
 */
export function fixHint(c: CandidateBase): string {
  const table = c.tables[0] === undefined ? undefined : bare(c.tables[0])
  const filter = c.filters.find((f) => f.param !== undefined) ?? c.filters[0]
  const column = filter?.column
  const kysely = c.adapter === 'kysely'
  const what = table === undefined ? 'the rows' : `every ${table} row`
  if (c.kind === 'duplicate') {
    return `the same query with the same parameters ran ${c.count} times: run it once and reuse the result (hoist it out of the loop, or cache it per request with a DataLoader)`
  }
  switch (c.statementKind) {
    case 'insert':
      return kysely
        ? `insert all rows in one statement: .insertInto(${q(table ?? 'table')}).values(rows) with an array of rows`
        : `insert all rows in one statement: insert into ${table ?? 'table'} (...) select * from unnest($1::int[], $2::text[], ...)`
    case 'update':
    case 'delete': {
      const verb = c.statementKind
      if (column === undefined) return `${verb} all rows in one statement instead of one per row`
      return kysely
        ? `${verb} all rows in one statement: .where(${q(column)}, 'in', ids) instead of one ${verb} per row`
        : `${verb} all rows in one statement: where ${column} = any($1::int[]) with an array of ids`
    }
    default: {
      if (column === undefined) {
        return kysely
          ? `load ${what} in one query (a join, or jsonArrayFrom() from 'kysely/helpers/postgres') instead of one query per row`
          : `load ${what} in one query (a join, or = any($1) with an array of keys) instead of one query per row`
      }
      return kysely
        ? `load ${what} in one query: .where(${q(column)}, 'in', ids), then group by ${column} in memory (or nest them with jsonArrayFrom() from 'kysely/helpers/postgres', or batch per request with a DataLoader)`
        : `load ${what} in one query: where ${column} = any($1::int[]) with an array of ids, then group by ${column} in memory`
    }
  }
}

function q(s: string): string {
  return `'${s}'`
}

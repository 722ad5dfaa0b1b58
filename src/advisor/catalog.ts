// What the advisor reads from the PostgreSQL catalog, and the statements it suggests.
import type { OwnClient } from './own-connection.js'

/** One table's columns and the columns its indexes lead with. */
export interface TableFacts {
  /** The table as PostgreSQL prints it (`pet`, or `shop.pet` outside the search path). */
  readonly name: string
  /** `r` table, `p` partitioned table, `v` view, ... (only tables are advised on). */
  readonly kind: string
  readonly columns: readonly string[]
  /** First column of every index (primary keys and unique constraints are indexes too). */
  readonly leading: readonly string[]
}

const TABLE_FACTS = `select c.oid::regclass::text as name, c.relkind::text as kind,
  array(select a.attname::text from pg_catalog.pg_attribute a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
  array(select a.attname::text from pg_catalog.pg_index i
        join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
        where i.indrelid = c.oid) as leading
from pg_catalog.pg_class c where c.oid = pg_catalog.to_regclass($1)`

/** Quotes an identifier when PostgreSQL would fold or reject it bare. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

// `public.pet` as written in SQL (unquoted by the fingerprint module) -> '"public"."pet"' for to_regclass.
function regclassInput(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.')
}

/**
 * Columns and leading index columns of `table` (as the statement named it, resolved on the
 * connection's search path), or undefined when it is no relation (a CTE, a function).
 *
 * @example
 * await tableFacts(client, 'pet') // { name: 'pet', kind: 'r', columns: [...], leading: ['id'] }
 */
export async function tableFacts(client: OwnClient, table: string): Promise<TableFacts | undefined> {
  const { rows } = await client.query(TABLE_FACTS, [regclassInput(table)])
  const row = rows[0]
  if (row === undefined) return undefined
  return {
    name: String(row.name),
    kind: String(row.kind),
    columns: (row.columns as string[] | null) ?? [],
    leading: (row.leading as string[] | null) ?? [],
  }
}

/**
 * The `create index concurrently` statement for `columns` of `table`.
 *
 * @example
 * createIndexStatement('pet', ['owner_id']) // 'create index concurrently pet_owner_id_idx on pet (owner_id);'
 */
export function createIndexStatement(table: string, columns: readonly string[]): string {
  const bare = table.slice(table.lastIndexOf('.') + 1).replace(/"/g, '')
  const name = `${bare}_${columns.join('_')}_idx`.slice(0, 63)
  return `create index concurrently ${quoteIdent(name)} on ${table} (${columns.map(quoteIdent).join(', ')});`
}

const UNINDEXED_FOREIGN_KEYS = `select c.conrelid::regclass::text as "table", c.confrelid::regclass::text as "references",
  c.conname::text as "constraint",
  array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, n)
        join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.n) as columns
from pg_catalog.pg_constraint c
join pg_catalog.pg_namespace ns on ns.oid = c.connamespace
where c.contype = 'f' and ns.nspname = any (pg_catalog.current_schemas(false))
  and not exists (
    select 1 from pg_catalog.pg_index i
    where i.indrelid = c.conrelid
      and (pg_catalog.string_to_array(i.indkey::text, ' ')::int2[])[1:pg_catalog.cardinality(c.conkey)] operator(pg_catalog.@>) c.conkey
      and (pg_catalog.string_to_array(i.indkey::text, ' ')::int2[])[1:pg_catalog.cardinality(c.conkey)] operator(pg_catalog.<@) c.conkey)
order by 1, 3`

/** A foreign key no index leads with, and the statement that adds one. */
export interface ForeignKeyGap {
  readonly table: string
  readonly columns: readonly string[]
  readonly references: string
  readonly constraint: string
  readonly createIndex: string
}

/**
 * Foreign keys of the schemas on the search path whose columns no index leads with (in any order).
 *
 * @example
 * await unindexedForeignKeys(client) // [{ table: 'pet', columns: ['owner_id'], references: 'person', ... }]
 */
export async function unindexedForeignKeys(client: OwnClient): Promise<ForeignKeyGap[]> {
  const { rows } = await client.query(UNINDEXED_FOREIGN_KEYS)
  return rows.map((row) => {
    const table = String(row.table)
    const columns = (row.columns as string[] | null) ?? []
    return {
      table,
      columns,
      references: String(row.references),
      constraint: String(row.constraint),
      createIndex: createIndexStatement(table, columns),
    }
  })
}

interface PlanNode {
  readonly 'Node Type'?: string
  readonly 'Relation Name'?: string
  readonly Plans?: readonly PlanNode[]
}

/** How EXPLAIN reads one table: `Seq Scan on pet`, `Index Scan on pet`, or undefined when it does not. */
export function scanOf(plan: unknown, table: string): { node: string; sequential: boolean } | undefined {
  const bare = table.slice(table.lastIndexOf('.') + 1).replace(/"/g, '')
  let found: { node: string; sequential: boolean } | undefined
  const visit = (node: PlanNode | undefined): void => {
    if (node === undefined || node === null || typeof node !== 'object') return
    if (node['Relation Name'] === bare && typeof node['Node Type'] === 'string') {
      const sequential = node['Node Type'] === 'Seq Scan'
      // A sequential scan anywhere on the table is the one that matters.
      if (found === undefined || sequential) found = { node: `${node['Node Type']} on ${bare}`, sequential }
    }
    for (const child of node.Plans ?? []) visit(child)
  }
  const root = Array.isArray(plan) ? (plan[0] as { Plan?: PlanNode } | undefined)?.Plan : undefined
  visit(root)
  return found
}

/**
 * The plan of a SELECT, never executed (no ANALYZE): a generic plan on PostgreSQL 16 and later,
 * so no parameter value is sent; on older servers the values of one execution.
 *
 * @example
 * scanOf(await explainPlan(client, 'select * from pet where owner_id = $1', [1], 170000), 'pet')
 */
export async function explainPlan(client: OwnClient, sql: string, values: readonly unknown[] | undefined, serverVersion: number): Promise<unknown> {
  if (serverVersion >= 160000) {
    const { rows } = await client.query(`explain (format json, generic_plan) ${sql}`)
    return rows[0]?.['QUERY PLAN']
  }
  const { rows } = await client.query(`explain (format json) ${sql}`, values ?? [])
  return rows[0]?.['QUERY PLAN']
}

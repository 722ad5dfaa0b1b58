// Statements an ORM or driver runs for itself, not for the application: connection setup
// (Sequelize's `SET client_min_messages …; SET TIME ZONE …`, Knex's `SET search_path`), version and
// schema probes (Knex's `select version()`, TypeORM's `SELECT * FROM current_schema()`) and catalog
// lookups (Sequelize's pg_type scan, MikroORM's pg_database check, TypeORM's information_schema reads).

import type { StatementKind } from './types.js'

// Connection-level settings and the server's own facts.
const SETUP = /^(?:set|show|reset|discard)\s/i
// `select version()`, `select current_schema()`, `select current_database(), current_user` …
// (`select 1` stays the application's: tests and health checks use it as "a query").
const PROBE_ITEM = String.raw`(?:version\(\)|current_(?:schema|database|catalog)\(\)|current_(?:schema|user|catalog)|current_setting\(\?\)|pg_backend_pid\(\)|session_user)(?:\s+as\s+"?\w+"?)?`
const PROBE = new RegExp(String.raw`^select\s+${PROBE_ITEM}(?:\s*,\s*${PROBE_ITEM})*\s*;?$`, 'i')
const STAR_PROBE = /^select\s+\*\s+from\s+(?:current_schema|version)\(\)\s*;?$/i

function isCatalog(table: string): boolean {
  const t = table.toLowerCase()
  return t.startsWith('pg_') || t.startsWith('pg_catalog.') || t.startsWith('information_schema.')
}

/**
 * True for a statement an ORM or driver runs for itself: session setup (`SET …`, `SHOW …`),
 * version and schema probes (`select version()`, `select current_schema()`), and reads of the
 * system catalogs only (`pg_*`, `information_schema.*`). Such statements never make a finding and are left out
 * of query counts; `capture()` still lists them, marked `housekeeping: true`.
 *
 * @example
 * isHousekeeping("SET client_min_messages TO warning; SET TIME ZONE ?", 'utility', []) // true
 * isHousekeeping('select * from pet where owner_id = ?', 'select', ['pet'])            // false
 */
export function isHousekeeping(shape: string, kind: StatementKind, tables: readonly string[]): boolean {
  if (kind === 'utility') return SETUP.test(shape)
  if (kind !== 'select') return false
  if (tables.length === 0) return PROBE.test(shape) || STAR_PROBE.test(shape)
  for (const t of tables) if (!isCatalog(t)) return false
  return true
}

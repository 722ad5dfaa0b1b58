// Statements an ORM or driver runs for itself, not for the application: connection setup
// (Sequelize's `SET client_min_messages …; SET TIME ZONE …`, Knex's `SET search_path`), version and
// liveness probes (Knex's `select version()`, MikroORM's `select 1`) and catalog lookups (Sequelize's
// pg_type scan, MikroORM's pg_database check, TypeORM's information_schema reads).

import type { StatementKind } from './types.js'

// Connection-level settings and the server's own facts.
const SETUP = /^(?:set|show|reset|discard)\s/i
// `select 1`, `select version()`, `select current_schema()`, `select * from current_schema()` …
const PROBE =
  /^select\s+(?:(?:\?|version\(\)|current_(?:schema|database|user|catalog|setting\(\?\))(?:\(\))?|pg_backend_pid\(\)|session_user)(?:\s+as\s+"?\w+"?)?\s*,\s*)*(?:\?|version\(\)|current_(?:schema|database|user|catalog|setting\(\?\))(?:\(\))?|pg_backend_pid\(\)|session_user)(?:\s+as\s+"?\w+"?)?(?:\s+from\s+current_schema\(\))?\s*;?$/i
const STAR_PROBE = /^select\s+\*\s+from\s+(?:current_schema|version)\(\)\s*;?$/i

function isCatalog(table: string): boolean {
  const t = table.toLowerCase()
  return t.startsWith('pg_') || t.startsWith('pg_catalog.') || t.startsWith('information_schema.')
}

/**
 * True for a statement an ORM or driver runs for itself: session setup (`SET …`, `SHOW …`),
 * version and liveness probes (`select version()`, `select 1`), and reads of the system catalogs
 * only (`pg_*`, `information_schema.*`). Such statements never make a finding and are left out
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

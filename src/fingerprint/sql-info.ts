// The one entry point the hot path calls: text -> everything we know about the statement,
// memoised on the exact text.

import { GenerationalCache } from './cache.js'
import { describeSqlArgument } from './describe-sql-argument.js'
import { isHousekeeping } from './housekeeping.js'
import { normalize } from './normalize.js'
import { describeStatement } from './statement-info.js'
import { tokenizeShared } from './tokenizer.js'
import type { Fingerprint, SqlInfo } from './types.js'

/**
 * Entries kept by the statement cache.
 *
 * @example
 * fingerprintCacheSize() <= FINGERPRINT_CACHE_CAPACITY // always true
 */
export const FINGERPRINT_CACHE_CAPACITY = 2048

/**
 * Statements longer than this many characters are fingerprinted every time rather than cached.
 *
 * @example
 * sqlInfo('x'.repeat(MAX_CACHED_SQL_LENGTH + 1)) // computed, not cached
 */
export const MAX_CACHED_SQL_LENGTH = 100_000

const cache = new GenerationalCache<SqlInfo>(FINGERPRINT_CACHE_CAPACITY)

// In front of the cache: the last statement seen of each length (modulo FRONT_SLOTS). Query
// builders and ORMs (Kysely, Drizzle, Knex) make a new string for every execution, and a Map
// lookup must hash all of it first (0.5 µs a statement on a server, more than the lookup); an
// equality test against the last text of the same length needs no hash, and a loop or a request
// whose statements differ in length hits every time. Texts the application keeps as constants
// (raw pg) are the same string, so the test is a pointer comparison.
const FRONT_SLOTS = 64
const MAX_FRONT_LENGTH = 8192
// Text and answer side by side (slot i at 2i and 2i + 1): one cache line read per lookup, not two.
const front: (string | SqlInfo | undefined)[] = new Array<string | SqlInfo | undefined>(2 * FRONT_SLOTS).fill(undefined)

// This copy's own: another copy of n1guard (another version, perhaps) keeps its notes its own way,
// and reads an info of this copy through its fallback.
const NOTES = Symbol('n1guard.statement-notes')

function compute(sql: string): SqlInfo {
  const tokens = tokenizeShared(sql)
  const { shape, id, literalKey } = normalize(tokens)
  const { kind, tables, filters } = describeStatement(tokens)
  const fingerprint: Fingerprint = Object.freeze({ id, shape })
  const info = {
    id,
    shape,
    kind,
    tables: Object.freeze(tables),
    filters: Object.freeze(filters),
    literalKey,
    fingerprint,
    housekeeping: isHousekeeping(shape, kind, tables),
  }
  // Not enumerable: a user's copy, JSON or deep-equality of the info never sees it.
  Object.defineProperty(info, NOTES, { value: { limits: undefined } satisfies StatementNotes })
  return Object.freeze(info)
}

/**
 * What other modules learn of a statement once and keep with its cached `SqlInfo`, read by one
 * property load (a WeakMap keyed by the info was a hash lookup, cache-cold on a server, for every
 * select). @internal
 */
export interface StatementNotes {
  /** The query advisor's reading of the text's LIMIT / FETCH / OFFSET (advisor/statement-limits.ts). */
  limits: unknown
}

/**
 * The notes slot of an info made by this copy's `sqlInfo`, or undefined for an info made elsewhere
 * (a test's literal, a copy of the info, another copy of n1guard). @internal
 *
 * @example
 * const limits = (notesOf(info)!.limits ??= scan(sql))
 */
export function notesOf(info: SqlInfo): StatementNotes | undefined {
  return (info as { [NOTES]?: StatementNotes })[NOTES]
}

/**
 * Shape, id, statement kind, tables, column filters and literal key of a SQL text. Cached on the
 * exact text (2048 entries); never throws for a string.
 *
 * @example
 * const info = sqlInfo('select * from "pet" where "pet"."owner_id" = $1')
 * info.shape   // 'select * from "pet" where "pet"."owner_id" = ?'
 * info.kind    // 'select'
 * info.tables  // ['pet']
 * info.filters // [{ table: 'pet', column: 'owner_id', operator: '=', param: 1 }]
 */
export function sqlInfo(sql: string): SqlInfo {
  if (typeof sql !== 'string') throw new TypeError(`sqlInfo() expects a SQL string, got ${describeSqlArgument(sql)}`)
  const slot = (sql.length & (FRONT_SLOTS - 1)) << 1
  if (front[slot] === sql) return front[slot + 1] as SqlInfo
  let info = cache.get(sql)
  if (info === undefined) {
    info = compute(sql)
    if (sql.length <= MAX_CACHED_SQL_LENGTH) cache.set(sql, info)
  }
  if (sql.length <= MAX_FRONT_LENGTH) {
    front[slot] = sql
    front[slot + 1] = info
  }
  return info
}

/**
 * Number of statements in the cache, for tests and diagnostics.
 *
 * @example
 * fingerprintCacheSize() // 0 … 2048
 */
export function fingerprintCacheSize(): number {
  return cache.size
}

/**
 * Empties the statement cache (tests use it to measure uncached work).
 *
 * @example
 * clearFingerprintCache()
 */
export function clearFingerprintCache(): void {
  cache.clear()
  front.fill(undefined)
}

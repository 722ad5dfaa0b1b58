import { describeSqlArgument } from './describe-sql-argument.js'
import { sqlInfo } from './sql-info.js'
import type { Fingerprint } from './types.js'

/**
 * The shape of a SQL statement (values replaced by `?`, value lists collapsed) and a stable
 * 16-hex-character id of it. Statements that differ only in literal values, parameter numbers,
 * casts on parameters, IN / ARRAY / VALUES list lengths, whitespace, comments or keyword case get
 * the same id. The result is frozen and cached.
 *
 * @example
 * fingerprint('select * from pet where owner_id = 42')
 * // { id: '…16 hex…', shape: 'select * from pet where owner_id = ?' }
 * fingerprint('SELECT * FROM pet WHERE owner_id IN (1, 2, 3)').shape
 * // 'SELECT * FROM pet WHERE owner_id IN (...)'
 * @throws TypeError when `sql` is not a string
 */
export function fingerprint(sql: string): Fingerprint {
  if (typeof sql !== 'string') throw new TypeError(`fingerprint() expects a SQL string, got ${describeSqlArgument(sql)}`)
  return sqlInfo(sql).fingerprint
}

// Public surface of the fingerprint module. It imports nothing from the rest of n1guard.
export { fingerprint } from './fingerprint.js'
export { isHousekeeping } from './housekeeping.js'
export {
  clearFingerprintCache,
  FINGERPRINT_CACHE_CAPACITY,
  fingerprintCacheSize,
  MAX_CACHED_SQL_LENGTH,
  sqlInfo,
} from './sql-info.js'
export { literalValues } from './literal-values.js'
export type { ColumnFilter, Fingerprint, SqlInfo, StatementKind } from './types.js'

/**
 * n1guard for Kysely: `instrumentDialect`.
 * @module n1guard/kysely
 */
export { instrumentDialect } from './instrument-dialect.js'

/**
 * n1guard for raw node-postgres: `instrumentPool` and `instrumentClient`.
 * @module n1guard/pg
 */
export { instrumentClient, type PgQueryable } from './instrument-client.js'
export { instrumentPool, type PgPoolLike } from './instrument-pool.js'

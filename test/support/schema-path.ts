// Keeping a connection on a test schema. pg reads `options: '-c search_path=…'` from 8.3 on; the
// oldest pg of the version matrix (8.0) ignores it, so there the path is set when a client
// connects instead, as applications on old pg do.
import pg from 'pg'

/** True when this pg sends the `options` connection parameter (pg >= 8.3). */
export const honoursOptions =
  (new pg.Client({ options: '-c x=y' }) as unknown as { connectionParameters: { options?: string } }).connectionParameters.options !== undefined

/**
 * Sets `schema` as the client's search path, through the prototype's query so an instrumented
 * client does not record it, ahead of any query of the test (pg runs a client's queries in order).
 */
export function setPath(client: pg.Client, schema: string): void {
  ;(pg.Client.prototype.query as (this: pg.Client, text: string) => Promise<unknown>).call(client, `set search_path to ${schema}`).catch(() => undefined)
}

/** `pool`, kept on `schema` on a pg that ignores `options` (a no-op on pg >= 8.3). */
export function onSchema<P extends pg.Pool>(pool: P, schema: string): P {
  if (!honoursOptions) pool.on('connect', (client) => setPath(client, schema))
  return pool
}

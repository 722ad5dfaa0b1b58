// A client n1guard makes for itself from an application's pg Pool (the advisor's catalog reads,
// the panel's EXPLAIN) is set up as the pool sets up its own: pg-pool emits `connect` with each new
// client, and applications pick their schema there (`pool.on('connect', (c) => c.query('set
// search_path to app'))`). Catalog reads and EXPLAIN resolve table names on that search path.

/** A pg Pool's listeners, read structurally (pg-pool is an EventEmitter). */
interface PoolWithListeners {
  listeners?(event: string): unknown
}

/**
 * Calls the pool's `connect` or `remove` listeners with `client`, as pg-pool would for one of its
 * own. A listener that throws or rejects is the application's and stops nothing here.
 *
 * @example
 * await client.connect()
 * emitPoolEvent(pool, 'connect', client)
 */
export function emitPoolEvent(pool: unknown, event: 'connect' | 'remove', client: unknown): void {
  if (pool === null || typeof pool !== 'object') return
  let listeners: unknown
  try {
    const read = (pool as PoolWithListeners).listeners
    listeners = typeof read === 'function' ? read.call(pool, event) : undefined
  } catch {
    return
  }
  if (!Array.isArray(listeners)) return
  for (const listener of listeners) {
    if (typeof listener !== 'function') continue
    try {
      const returned: unknown = listener.call(pool, client)
      // An async listener whose query fails on this client must not become an unhandled rejection.
      if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
        ;(returned as PromiseLike<unknown>).then(undefined, () => undefined)
      }
    } catch {
      // The application's listener failed on a client it did not ask for: nothing to undo.
    }
  }
}

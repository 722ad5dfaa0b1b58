import type { Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { instrumentAcquired } from './acquired.js'

/** What n1guard needs of a Knex instance on `pg`: its `client`, which hands out connections. */
export interface KnexLike {
  readonly client: { acquireConnection: (...args: any[]) => any }
}

/**
 * Instruments a Knex instance (client `pg`) in place and returns it: every connection it takes
 * from its pool reports to `detector`, transactions included (a transaction's client inherits
 * from the instance's). Knex's own per-connection statements (`select version()`,
 * `set search_path`) run before a connection is handed out, so they never reach a scope; fix hints
 * speak Knex (`whereIn`).
 *
 * @example
 * import knex from 'knex'
 * import { instrumentKnex } from 'n1guard/knex'
 * const db = instrumentKnex(knex({ client: 'pg', connection: process.env.DATABASE_URL }), detector)
 */
export function instrumentKnex<K extends KnexLike>(knex: K, detector: Detector): K {
  const client = (knex as { client?: unknown } | null | undefined)?.client
  if (client === null || typeof client !== 'object' || typeof (client as { acquireConnection?: unknown }).acquireConnection !== 'function') {
    throw new TypeError(`n1guard: instrumentKnex needs a Knex instance (with client.acquireConnection), got ${describeValue(knex)}`)
  }
  instrumentAcquired(client, 'acquireConnection', detector, 'knex', 'instrumentKnex')
  return knex
}

import type { Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { instrumentAcquired } from './acquired.js'

interface KnexConnectionLike {
  getKnex?: () => { client?: unknown }
}

/** What n1guard needs of an initialised MikroORM (6, `@mikro-orm/postgresql`): its driver's connections. */
export interface MikroORMLike {
  readonly em: { getDriver: () => { getConnection: (type?: any) => unknown } }
}

function instrumentConnection(connection: unknown, detector: Detector): boolean {
  const knex = (connection as KnexConnectionLike | null | undefined)?.getKnex?.()
  const client = knex?.client
  if (client === null || typeof client !== 'object' || typeof (client as { acquireConnection?: unknown }).acquireConnection !== 'function') return false
  instrumentAcquired(client, 'acquireConnection', detector, 'mikro-orm', 'instrumentMikroORM')
  return true
}

/**
 * Instruments an initialised MikroORM 6 on PostgreSQL (`@mikro-orm/postgresql`, which runs on Knex
 * and node-postgres) in place and returns it: every connection its write connection and read
 * replicas take from their pools reports to `detector`, `em.transactional` included. MikroORM's
 * pg_database lookup is housekeeping (its `select 1` check counts as a query); fix hints speak
 * MikroORM (`populate`).
 *
 * @example
 * import { MikroORM } from '@mikro-orm/postgresql'
 * import { instrumentMikroORM } from 'n1guard/mikro-orm'
 * const orm = instrumentMikroORM(await MikroORM.init(config), detector)
 */
export function instrumentMikroORM<O extends MikroORMLike>(orm: O, detector: Detector): O {
  const driver = (orm as { em?: { getDriver?: () => unknown } } | null | undefined)?.em?.getDriver?.() as
    | { getConnection?: (type?: string) => unknown; replicas?: unknown }
    | undefined
  if (driver === undefined || typeof driver.getConnection !== 'function' || !instrumentConnection(driver.getConnection('write'), detector)) {
    throw new TypeError(
      `n1guard: instrumentMikroORM needs an initialised MikroORM on PostgreSQL (@mikro-orm/postgresql: em.getDriver().getConnection().getKnex()), got ${describeValue(orm)}`,
    )
  }
  if (Array.isArray(driver.replicas)) for (const replica of driver.replicas) instrumentConnection(replica, detector)
  return orm
}

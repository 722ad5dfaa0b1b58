import type { Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { instrumentAcquired } from './acquired.js'

/** What n1guard needs of a Sequelize instance (dialect `postgres`): its connection manager. */
export interface SequelizeLike {
  readonly connectionManager: { getConnection: (...args: any[]) => any }
}

/**
 * Instruments a Sequelize instance (dialect `postgres`) in place and returns it: every connection
 * it takes from its pool reports to `detector`, transactions included. Sequelize's per-connection
 * `SET client_min_messages …; SET TIME ZONE …` and its pg_type scan run before a connection is
 * handed out, so they never reach a scope; fix hints speak Sequelize (`include`).
 *
 * @example
 * import { Sequelize } from 'sequelize'
 * import { instrumentSequelize } from 'n1guard/sequelize'
 * const sequelize = instrumentSequelize(new Sequelize(process.env.DATABASE_URL!, { dialect: 'postgres' }), detector)
 */
export function instrumentSequelize<S extends SequelizeLike>(sequelize: S, detector: Detector): S {
  const manager = (sequelize as { connectionManager?: unknown } | null | undefined)?.connectionManager
  if (manager === null || typeof manager !== 'object' || typeof (manager as { getConnection?: unknown }).getConnection !== 'function') {
    throw new TypeError(`n1guard: instrumentSequelize needs a Sequelize instance (with connectionManager.getConnection), got ${describeValue(sequelize)}`)
  }
  instrumentAcquired(manager, 'getConnection', detector, 'sequelize', 'instrumentSequelize')
  return sequelize
}

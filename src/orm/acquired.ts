import { adoptPort, capturePort, type CapturePort, type OrmName } from '../core/capture-port.js'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { instrumentClientWith, type PgQueryable } from '../pg/instrument-client.js'

type Fn = (...args: any[]) => any

function instrumentConnection(connection: unknown, port: CapturePort): void {
  try {
    if (connection !== null && typeof connection === 'object' && typeof (connection as { query?: unknown }).query === 'function') {
      instrumentClientWith(connection as PgQueryable, port)
    }
  } catch (error) {
    internalError('instrumenting a pooled ORM connection', error)
  }
}

/**
 * Instruments every node-postgres connection `owner[method]()` hands out (Knex's
 * `client.acquireConnection`, Sequelize's `connectionManager.getConnection`), in place: the ORM's
 * own pool keeps raw pg `Client`s, and a connection is instrumented the first time the ORM takes
 * it for a query (so the per-connection setup it ran on connect stays out of every scope).
 * Instrumenting again with another detector adds that detector. @internal
 */
export function instrumentAcquired(owner: object, method: string, detector: Detector, orm: OrmName, what: string): void {
  const { port, fresh } = adoptPort(owner, capturePort(detector, what).attached())
  port.orm ??= orm
  if (!fresh) return
  const original = (owner as Record<string, unknown>)[method] as Fn
  Object.defineProperty(owner, method, {
    value: function (this: unknown, ...args: unknown[]): unknown {
      const acquired = original.apply(this, args) as unknown
      if (acquired === null || typeof acquired !== 'object' || typeof (acquired as PromiseLike<unknown>).then !== 'function') {
        instrumentConnection(acquired, port)
        return acquired
      }
      return (acquired as Promise<unknown>).then((connection) => {
        instrumentConnection(connection, port)
        return connection
      })
    },
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

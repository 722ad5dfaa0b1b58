import { createDepthHint, carrySite, siteToCarry } from '../core/carry.js'
import { detectorCore, type Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { portOf, type CapturePort } from '../core/capture-port.js'
import { instrumentPool, type PgPoolLike } from '../pg/instrument-pool.js'
import { tagOrm } from '../pg/tag-orm.js'

/** What n1guard needs of a TypeORM `DataSource` on PostgreSQL: its driver and relation loader. */
export interface TypeORMDataSourceLike {
  readonly driver: object
  readonly relationLoader?: object
}

type Fn = (...args: any[]) => any
interface PostgresDriverLike {
  master?: unknown
  slaves?: unknown
  connect?: Fn
}

const HINT = createDepthHint()
const MARK = Symbol.for('n1guard.typeorm.instrumented')

function isPool(value: unknown): value is PgPoolLike {
  return value !== null && typeof value === 'object' && typeof (value as PgPoolLike).query === 'function' && typeof (value as PgPoolLike).connect === 'function'
}

// The pools TypeORM made in driver.connect(): the primary, and replicas under `replication`.
function instrumentPools(driver: PostgresDriverLike, detector: Detector): CapturePort | undefined {
  let w: CapturePort | undefined
  const pools = [driver.master, ...(Array.isArray(driver.slaves) ? driver.slaves : [])]
  for (const pool of pools) {
    if (!isPool(pool)) continue
    instrumentPool(pool, detector)
    tagOrm(pool, 'typeorm')
    w ??= portOf(pool)
  }
  return w
}

/**
 * Instruments a TypeORM `DataSource` (type `postgres`) in place and returns it, before or after
 * `initialize()`: the pg pools TypeORM makes report to `detector`, and a lazy relation
 * (`await author.books`) carries the line that read it to its SQL, which TypeORM issues behind a
 * `.then()` where V8's async stack holds no application frame. Fix hints speak TypeORM
 * (`relations`, `leftJoinAndSelect`), and its select aliases (`Author_id`) read as columns.
 *
 * @example
 * import { DataSource } from 'typeorm'
 * import { instrumentTypeORM } from 'n1guard/typeorm'
 * const dataSource = instrumentTypeORM(new DataSource({ type: 'postgres', url, entities }), detector)
 * await dataSource.initialize()
 */
export function instrumentTypeORM<S extends TypeORMDataSourceLike>(dataSource: S, detector: Detector): S {
  detectorCore(detector, 'instrumentTypeORM')
  const driver = (dataSource as { driver?: unknown } | null | undefined)?.driver as PostgresDriverLike | undefined
  if (driver === null || typeof driver !== 'object' || typeof driver.connect !== 'function') {
    throw new TypeError(`n1guard: instrumentTypeORM needs a TypeORM DataSource of type 'postgres', got ${describeValue(dataSource)}`)
  }
  // CapturePort of the primary pool, once it exists: lazy relations carry a site only in its scopes.
  let w = instrumentPools(driver, detector)
  if ((driver as { [MARK]?: true })[MARK] === true) return dataSource
  Object.defineProperty(driver, MARK, { value: true, enumerable: false, configurable: true })
  const connect = driver.connect
  Object.defineProperty(driver, 'connect', {
    value: async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const result: unknown = await connect.apply(this, args)
      w = instrumentPools(driver, detector) ?? w
      return result
    },
    writable: true,
    configurable: true,
    enumerable: false,
  })
  const loader = dataSource.relationLoader as { load?: Fn } | undefined
  const load = loader?.load
  if (loader !== undefined && typeof load === 'function') {
    // A lazy relation's getter calls load() synchronously from the user's `author.books`.
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const site = siteToCarry(w, wrapped, HINT)
      return site === undefined ? load.apply(this, args) : carrySite(site, () => load.apply(this, args))
    }
    Object.defineProperty(loader, 'load', { value: wrapped, writable: true, configurable: true, enumerable: false })
  }
  return dataSource
}

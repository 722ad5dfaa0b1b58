import { createDepthHint, carryOnMethods, carrySite, siteToCarry, type RawSite } from '../core/carry.js'
import { detectorCore, type Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { portOf, type CapturePort } from '../core/capture-port.js'
import { instrumentClient, looksLikePgPool } from '../pg/instrument-client.js'
import { instrumentPool } from '../pg/instrument-pool.js'
import { tagOrm } from '../pg/tag-orm.js'

/**
 * What n1guard needs of a Drizzle database made by `drizzle()` from `drizzle-orm/node-postgres`
 * (or the `tx` of its `transaction`): the node-postgres pool or client in `$client`, its `session`.
 */
export interface DrizzleDatabaseLike {
  readonly $client?: unknown
  session?: unknown
  query?: unknown
  transaction?: (...args: any[]) => any
}

type Fn = (...args: any[]) => any
interface SessionLike {
  prepareQuery: Fn
  transaction?: Fn
}

const MARK = Symbol.for('n1guard.drizzle.carried')
const HINT = createDepthHint()

function isSession(value: unknown): value is SessionLike {
  return value !== null && typeof value === 'object' && typeof (value as { prepareQuery?: unknown }).prepareQuery === 'function'
}

// A prepared query whose statements carry `site`: Drizzle runs a builder from its then(), where no
// application frame is on the stack, so the site taken where the builder was made stands in.
function carryingPrepared(prepared: unknown, site: RawSite): unknown {
  return carryOnMethods(prepared, ['execute', 'all', 'values'], site)
}

// The session a builder made now gets: the real one, seen through an object that remembers the
// application frame that asked for it (db.select, db.query.x.findMany, db.execute, db.$count ...).
function sessionFor(real: SessionLike, w: CapturePort | undefined, entry: Function): SessionLike {
  const site = siteToCarry(w, entry, HINT)
  if (site === undefined) return real
  const view = Object.create(real) as SessionLike
  view.prepareQuery = function (this: unknown, ...args: unknown[]) {
    return carryingPrepared(real.prepareQuery.apply(this, args), site)
  }
  // A transaction's own statements and callback belong to the lines that issue them, not to this one.
  if (typeof real.transaction === 'function') view.transaction = (...args: unknown[]) => (real.transaction as Fn).apply(real, args)
  return view
}

function carrySessions(holder: object, w: CapturePort | undefined): void {
  const real = (holder as { session?: unknown }).session
  if (!isSession(real)) return
  let current: SessionLike = real
  const get = function session(): SessionLike {
    return sessionFor(current, w, get)
  }
  Object.defineProperty(holder, 'session', {
    get,
    set(value: SessionLike) {
      current = value
    },
    configurable: true,
    enumerable: true,
  })
}

function carry(db: DrizzleDatabaseLike, w: CapturePort | undefined): void {
  if ((db as { [MARK]?: true })[MARK] === true) return
  Object.defineProperty(db, MARK, { value: true, enumerable: false, configurable: true })
  carrySessions(db, w)
  const query = db.query
  if (query !== null && typeof query === 'object') {
    for (const builder of Object.values(query)) if (builder !== null && typeof builder === 'object') carrySessions(builder, w)
  }
  const transaction = db.transaction
  if (typeof transaction === 'function') {
    Object.defineProperty(db, 'transaction', {
      value: function (this: unknown, callback: unknown, ...rest: unknown[]) {
        if (typeof callback !== 'function') return transaction.call(this, callback, ...rest)
        return transaction.call(
          this,
          (tx: DrizzleDatabaseLike, ...more: unknown[]) => {
            carry(tx, w)
            return (callback as Fn)(tx, ...more)
          },
          ...rest,
        )
      },
      writable: true,
      configurable: true,
    })
  }
}

/**
 * Instruments a Drizzle database on node-postgres in place and returns it: its pool (or client)
 * reports to `detector`, and every builder (`db.select()…`, `db.query.authors.findMany()`,
 * `db.insert()…`, `db.execute()`, `db.$count()`, the same on a transaction's `tx`) carries the line
 * that made it to its SQL, which Drizzle issues from the builder's then(), where the stack holds no
 * application frame. Fix hints speak Drizzle (`inArray`, relational `with`).
 *
 * @example
 * import { drizzle } from 'drizzle-orm/node-postgres'
 * import { instrumentDrizzle } from 'n1guard/drizzle'
 * const db = instrumentDrizzle(drizzle({ client: pool, schema }), detector)
 */
export function instrumentDrizzle<D extends DrizzleDatabaseLike>(db: D, detector: Detector): D {
  detectorCore(detector, 'instrumentDrizzle')
  const client = db?.$client
  if (db === null || typeof db !== 'object' || client === null || typeof client !== 'object' || typeof (client as { query?: unknown }).query !== 'function') {
    throw new TypeError(`n1guard: instrumentDrizzle needs a database from drizzle-orm/node-postgres (with a pg Pool or Client in $client), got ${describeValue(db)}`)
  }
  if (looksLikePgPool(client)) instrumentPool(client as { query: Fn; connect: Fn }, detector)
  else instrumentClient(client as { query: Fn }, detector)
  tagOrm(client, 'drizzle')
  carry(db, portOf(client))
  return db
}

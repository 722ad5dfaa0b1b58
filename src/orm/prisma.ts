import { createDepthHint, carryOnMethods, carrySite, siteToCarry, type RawSite } from '../core/carry.js'
import { detectorCore, type Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'
import { portOf, type CapturePort } from '../core/capture-port.js'
import { instrumentPool, type PgPoolLike } from '../pg/instrument-pool.js'
import { tagOrm } from '../pg/tag-orm.js'

/** What n1guard needs of a Prisma 7 client made with `adapter: new PrismaPg(...)` (`@prisma/adapter-pg`). */
export interface PrismaClientLike {
  $transaction: (...args: any[]) => any
}

type Fn = (...args: any[]) => any
interface ClientInternals {
  _createPrismaPromise?: Fn
  _createItxClient?: Fn
  _engineConfig?: { adapter?: { externalPool?: unknown; connect?: Fn } }
}

const HINT = createDepthHint()
const MARK = Symbol.for('n1guard.prisma.instrumented')

function isPool(value: unknown): value is PgPoolLike {
  return value !== null && typeof value === 'object' && typeof (value as PgPoolLike).query === 'function' && typeof (value as PgPoolLike).connect === 'function'
}

// Prisma makes every model call's promise (prisma.book.findMany(...), the fluent
// findUnique().books(), $queryRaw) through the client's _createPrismaPromise, synchronously from
// the user's call; its SQL runs later, behind then() and a process.nextTick batch. The line taken
// here is carried to that SQL.
function carryingFactory(factory: Fn, getCapturePort: () => CapturePort | undefined): Fn {
  const wrapped = function (this: unknown, callback: unknown, ...rest: unknown[]): unknown {
    const site = typeof callback === 'function' ? siteToCarry(getCapturePort(), wrapped, HINT) : undefined
    if (site === undefined) return factory.call(this, callback, ...rest)
    return factory.call(this, (...args: unknown[]) => carrySite(site, () => (callback as Fn)(...args)), ...rest)
  }
  return wrapped
}

// A PrismaPromise runs its request on then() / catch() / finally(), or when a batch $transaction
// asks for it: each of those runs inside the carried site.
function carryPromise(promise: unknown, site: RawSite): unknown {
  return carryOnMethods(promise, ['then', 'catch', 'finally', 'requestTransaction'], site)
}

function carryingCalls(target: object, getCapturePort: () => CapturePort | undefined, nested: boolean): object {
  const cache = new Map<string, { readonly value: unknown; readonly made: unknown }>()
  return new Proxy(target, {
    get(t, key, receiver) {
      const value: unknown = Reflect.get(t, key, receiver)
      if (typeof key !== 'string' || key.startsWith('_')) return value
      const hit = cache.get(key)
      if (hit !== undefined && hit.value === value) return hit.made
      let made: unknown = value
      if (typeof value === 'function' && (nested || key.startsWith('$query') || key.startsWith('$execute'))) {
        const call = function (this: unknown, ...args: unknown[]): unknown {
          const site = siteToCarry(getCapturePort(), call, HINT)
          const result: unknown = (value as Fn).apply(this === receiver ? t : this, args)
          return site === undefined ? result : carryPromise(result, site)
        }
        made = call
      } else if (!nested && value !== null && typeof value === 'object' && !key.startsWith('$')) {
        made = carryingCalls(value, getCapturePort, true)
      } else {
        return value
      }
      cache.set(key, { value, made })
      return made
    },
  })
}

function carryingTx(tx: unknown, getCapturePort: () => CapturePort | undefined): unknown {
  return tx !== null && typeof tx === 'object' ? carryingCalls(tx, getCapturePort, false) : tx
}

/**
 * Instruments a Prisma 7 client on `@prisma/adapter-pg` in place and returns it: the pg pool
 * given to `PrismaPg` (or the one it makes from a connection string) reports to `detector`, and
 * every model call (`prisma.book.findMany(...)`, the fluent `findUnique(...).books()`, raw
 * queries, the same on an interactive transaction's `tx`) carries the line that made it to its SQL,
 * which Prisma issues behind then() and a process.nextTick batch where the stack holds no
 * application frame. Fix hints speak Prisma (`include`, `relationLoadStrategy: 'join'`).
 *
 * @example
 * import { PrismaPg } from '@prisma/adapter-pg'
 * import { instrumentPrisma } from 'n1guard/prisma'
 * const prisma = instrumentPrisma(new PrismaClient({ adapter: new PrismaPg(pool) }), detector)
 */
export function instrumentPrisma<P extends PrismaClientLike>(prisma: P, detector: Detector): P {
  detectorCore(detector, 'instrumentPrisma')
  const client = prisma as unknown as ClientInternals | null
  const adapter = client?._engineConfig?.adapter
  if (client === null || typeof client !== 'object' || typeof client._createPrismaPromise !== 'function' || adapter === undefined || adapter === null) {
    throw new TypeError(
      `n1guard: instrumentPrisma needs a Prisma 7 client made with a driver adapter (adapter: new PrismaPg(pool) from @prisma/adapter-pg), got ${describeValue(prisma)}`,
    )
  }
  let w: CapturePort | undefined
  const adopt = (pool: unknown): void => {
    if (!isPool(pool)) return
    instrumentPool(pool, detector)
    tagOrm(pool, 'prisma')
    w ??= portOf(pool)
  }
  adopt(adapter.externalPool)
  if ((client as { [MARK]?: true })[MARK] === true) return prisma
  Object.defineProperty(client, MARK, { value: true, enumerable: false, configurable: true })
  const connect = adapter.connect
  if (typeof connect === 'function' && !isPool(adapter.externalPool)) {
    // PrismaPg made from a connection string or config creates its pool on connect().
    adapter.connect = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const connected: unknown = await connect.apply(this, args)
      adopt((connected as { client?: unknown } | null)?.client)
      return connected
    }
  }
  const port = (): CapturePort | undefined => w
  Object.defineProperty(client, '_createPrismaPromise', {
    value: carryingFactory(client._createPrismaPromise, port),
    writable: true,
    configurable: true,
  })
  const createItx = client._createItxClient
  if (typeof createItx === 'function') {
    // An interactive transaction's `tx` makes its promises with a factory bound to the transaction,
    // out of reach: its model and raw-query calls are seen through proxies that take the line.
    Object.defineProperty(client, '_createItxClient', {
      value: function (this: unknown, ...args: unknown[]): unknown {
        return carryingTx(createItx.apply(this, args), port)
      },
      writable: true,
      configurable: true,
    })
  }
  return prisma
}

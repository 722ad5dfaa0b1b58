import { AsyncLocalStorage } from 'node:async_hooks'
import type { RawSite } from './capture-site.js'

// A thenable ORM (Drizzle's builders, Prisma's model calls, TypeORM's lazy relations) issues its SQL
// from a then() that the microtask queue runs, or behind a process.nextTick batch: the stack at the
// query holds no application frame, and V8's async stack traces do not cross a thenable's then().
// The user's frame is on the stack where the builder or relation promise is made; the ORM helpers
// capture it there and carry it to the query through this store. Made on first use, so an app that
// uses no ORM helper never enables a second AsyncLocalStorage.
let carrier: AsyncLocalStorage<RawSite> | undefined

/** The call site an ORM helper carried to the statement being issued now, if any. */
export function carriedSite(): RawSite | undefined {
  return carrier?.getStore()
}

/**
 * Runs `fn` with `site` as the call site of every statement it issues, synchronously or in the
 * async work it starts (a carried site wins over the live stack, which is the ORM's own there).
 */
export function carrySite<T>(site: RawSite, fn: () => T): T {
  return (carrier ??= new AsyncLocalStorage<RawSite>()).run(site, fn)
}

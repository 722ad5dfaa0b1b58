import { captureLiveSite, carriedSite, carrySite, createDepthHint, type DepthHint, type RawSite } from '../callsite/capture-site.js'
import { internalError } from './internal-error.js'
import type { CapturePort } from './capture-port.js'

export { carrySite, createDepthHint, type DepthHint, type RawSite }

/**
 * The application frame that called `entry` (an ORM method an n1guard helper wrapped), taken only
 * while a scope of `port`'s detectors is open: the site an ORM helper carries to the statements the call
 * issues later, from a then() or a batch where the stack holds no application frame. One shallow
 * stack capture (the frame sits right above `entry`); undefined when there is nothing to carry.
 */
export function siteToCarry(port: CapturePort | undefined, entry: Function, hint: DepthHint): RawSite | undefined {
  if (port === undefined || !port.active()) return undefined
  try {
    // Inside an ORM call that carries a line already (a Prisma query extension re-issuing the
    // call, say), that line stays: it is where the application asked.
    return carriedSite() ?? captureLiveSite(entry, hint)
  } catch (error) {
    internalError('capturing an ORM call site', error)
    return undefined
  }
}

/**
 * Replaces each of `names` that is a method of `target` with one that runs the original inside
 * `site` (in place: the object stays what the ORM made, for its own checks). Returns `target`.
 *
 * @example
 * carryOnMethods(prismaPromise, ['then', 'catch', 'finally'], site)
 */
export function carryOnMethods<T>(target: T, names: readonly string[], site: RawSite): T {
  if (target === null || typeof target !== 'object') return target
  const t = target as Record<string, unknown>
  for (const name of names) {
    const original = t[name]
    if (typeof original !== 'function') continue
    Object.defineProperty(t, name, {
      value: function (this: unknown, ...args: unknown[]) {
        return carrySite(site, () => (original as (...a: unknown[]) => unknown).apply(this, args))
      },
      writable: true,
      configurable: true,
    })
  }
  return target
}

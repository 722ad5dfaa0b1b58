import type { Finding } from './types.js'

/**
 * The findings that fail a test or reject `run` in 'throw' mode: new (not baselined) N+1s sent
 * from a known call site. Without an application frame on the stack n1guard cannot tell a loop from
 * several lines calling the same helper, so such a finding warns (severity `low`) but never fails
 * by itself. Used by
 * the detector's `run` / `assertNoNPlusOne`, `n1guard/testing` and the Vitest guard, which is why
 * it is a file of its own rather than part of any of them.
 *
 * @example
 * const bad = findings.filter(failsOn)
 */
export function failsOn(f: Finding): boolean {
  return f.kind === 'n-plus-one' && f.baselined !== true && f.callSite !== undefined
}

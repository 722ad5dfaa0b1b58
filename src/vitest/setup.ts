/**
 * A Vitest `setupFiles` entry: installs the n1guard matchers and fails every test during which an
 * N+1 is found (see `guardTests`). Environment: `N1GUARD_FAIL_ON` (`n-plus-one`, `any`, `never`)
 * picks what fails a test; `N1GUARD_SCOPE_PER_TEST=1` watches test bodies too.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({
 *   test: { setupFiles: ['n1guard/vitest/setup'], reporters: ['default', 'n1guard/vitest/reporter'] },
 * })
 * @module n1guard/vitest/setup
 */
import { guardTests, type GuardOptions } from './index.js'

const env = process.env
guardTests({
  ...(env.N1GUARD_FAIL_ON ? { failOn: env.N1GUARD_FAIL_ON as GuardOptions['failOn'] } : {}),
  ...(env.N1GUARD_SCOPE_PER_TEST ? { scopePerTest: env.N1GUARD_SCOPE_PER_TEST === '1' || env.N1GUARD_SCOPE_PER_TEST === 'true' } : {}),
})

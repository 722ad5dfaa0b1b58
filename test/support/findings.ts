import { expect } from 'vitest'
import type { Finding } from '../../src/index.js'

/** The one finding of `kind` among `findings`; fails the test (showing them all) when there is not exactly one. */
export function only(findings: readonly Finding[], kind: Finding['kind'] = 'n-plus-one'): Finding {
  const matching = findings.filter((f) => f.kind === kind)
  expect(matching, JSON.stringify(findings, null, 2)).toHaveLength(1)
  return matching[0]!
}

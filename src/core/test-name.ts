// Failure headers of the test helpers name the running test (read from the runner's global state,
// structurally: core never imports a test runner) or the function under test, not n1guard's own
// scope ("capture", "assertNoNPlusOne").

/**
 * The running test's full name under Vitest or Jest, when there is one.
 *
 * @example
 * currentTestName() // 'people > lists everyone with their pets'
 */
export function currentTestName(): string | undefined {
  const g = globalThis as Record<symbol, unknown>
  try {
    const vitestExpect = g[Symbol.for('expect-global')] as { getState?: () => { currentTestName?: unknown } } | undefined
    const name = vitestExpect?.getState?.().currentTestName
    if (typeof name === 'string' && name !== '') return name
    const jest = g[Symbol.for('$$jest-matchers-object')] as { state?: { currentTestName?: unknown } } | undefined
    const jestName = jest?.state?.currentTestName
    if (typeof jestName === 'string' && jestName !== '') return jestName
  } catch {
    // A runner whose state we cannot read: fall back to the function.
  }
  return undefined
}

/**
 * `test "<name>"` under a test runner, else `<fn name>()`, else undefined (an anonymous arrow).
 *
 * @example
 * testOrFunctionName(listPeople) // 'listPeople()' outside a test runner
 */
export function testOrFunctionName(fn: Function): string | undefined {
  const test = currentTestName()
  if (test !== undefined) return `test "${test}"`
  if (typeof fn.name === 'string' && fn.name !== '' && fn.name !== 'anonymous') return `${fn.name}()`
  return undefined
}

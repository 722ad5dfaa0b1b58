// The setup-file half of n1guard/vitest: fails the test during which an N+1 was found, including
// N+1s inside requests served in-process, and leaves the findings in task meta for the reporter.
import * as vitest from 'vitest'
import { contextValue, runWithContextValue } from '../core/context-value.js'
import { failsOn } from '../core/fails-on.js'
import { NPlusOneError } from '../core/errors.js'
import type { ScopeHandle } from '../core/detector.js'
import { onScopeEnd, type ScopeEndEvent } from '../core/hub.js'
import { onScopeStart } from '../core/scope-start.js'
import { liveDetectors } from '../core/registry.js'
import { atFrames, frameOf } from '../testing/caller.js'
import { anyInstrumented, notInstrumentedMessage } from '../testing/watch.js'
import { describeValue } from '../core/options.js'
import type { Finding } from '../core/types.js'
import { formatFinding, PLAIN } from '../report/format-finding.js'
import { META_KEY, toTestFinding, type FileMeta, type TestFinding, type TestMeta } from './meta.js'

/** Options of `guardTests` (and, through environment variables, of `n1guard/vitest/setup`). */
export interface GuardOptions {
  /**
   * Which findings fail the test they happened in: `'n-plus-one'`, `'any'` (duplicates too), or
   * `'never'` (only collect them for the summary). Env: `N1GUARD_FAIL_ON`.
   * @default 'n-plus-one'
   */
  readonly failOn?: 'n-plus-one' | 'any' | 'never'
  /**
   * How long the end of a test waits for the scopes it opened (requests it sent to an in-process
   * server) to end, in milliseconds. A scope still open then is reported in the summary only.
   * @default 2000
   */
  readonly scopeTimeoutMs?: number
  /**
   * Also run each test (with its beforeEach / afterEach hooks) in a scope of every live detector,
   * named after the test, so queries the test body issues outside any request or job scope are
   * watched too. Off by default: a test that seeds rows in a loop would count as an N+1.
   * Env: `N1GUARD_SCOPE_PER_TEST=1`.
   * @default false
   */
  readonly scopePerTest?: boolean
}

interface TestState {
  readonly name: string
  readonly scopes: ScopeHandle[]
  readonly findings: Finding[]
  readonly open: Set<string>
  wake: (() => void) | undefined
  done: boolean
}

interface TaskLike {
  readonly name: string
  readonly meta: Record<string, unknown>
  readonly file?: { readonly meta: Record<string, unknown> }
}

// Captured before a test can install fake timers: the wait for open scopes must really end.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

function resolveOptions(options: unknown): Required<GuardOptions> {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`n1guard: guardTests options must be an object, got ${describeValue(options)}`)
  }
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!['failOn', 'scopeTimeoutMs', 'scopePerTest'].includes(key)) {
      throw new TypeError(`n1guard: guardTests: unknown option ${JSON.stringify(key)} (known: failOn, scopeTimeoutMs, scopePerTest)`)
    }
  }
  const failOn = o.failOn ?? 'n-plus-one'
  if (failOn !== 'n-plus-one' && failOn !== 'any' && failOn !== 'never') {
    throw new TypeError(`n1guard: guardTests option \`failOn\` must be 'n-plus-one', 'any' or 'never', got ${describeValue(failOn)}`)
  }
  const scopeTimeoutMs = o.scopeTimeoutMs ?? 2000
  if (typeof scopeTimeoutMs !== 'number' || !Number.isFinite(scopeTimeoutMs) || scopeTimeoutMs < 0) {
    throw new TypeError(`n1guard: guardTests option \`scopeTimeoutMs\` must be a number >= 0, got ${describeValue(scopeTimeoutMs)}`)
  }
  const scopePerTest = o.scopePerTest ?? false
  if (typeof scopePerTest !== 'boolean') throw new TypeError(`n1guard: guardTests option \`scopePerTest\` must be a boolean, got ${describeValue(scopePerTest)}`)
  return { failOn, scopeTimeoutMs, scopePerTest }
}

function failing(findings: readonly Finding[], failOn: Required<GuardOptions>['failOn']): Finding[] {
  if (failOn === 'never') return []
  // Findings the baseline lists warn but never fail (docs/baseline.md).
  return failOn === 'any' ? findings.filter((f) => f.baselined !== true) : findings.filter(failsOn)
}

function failureMessage(findings: readonly Finding[], test: string): string {
  const n = findings.filter((f) => f.kind === 'n-plus-one').length
  const d = findings.length - n
  const what = [n > 0 ? `${n} N+1 ${n === 1 ? 'query' : 'queries'}` : '', d > 0 ? `${d} duplicate ${d === 1 ? 'query' : 'queries'}` : '']
  const lines = [`n1guard: ${what.filter((w) => w !== '').join(' and ')} while test "${test}" ran`]
  for (const f of findings) lines.push('', ...formatFinding(f, PLAIN))
  return lines.join('\n')
}

async function settled(state: TestState, timeoutMs: number): Promise<void> {
  if (state.open.size === 0) return
  await new Promise<void>((resolve) => {
    const timer = realSetTimeout(resolve, timeoutMs)
    state.wake = () => {
      realClearTimeout(timer)
      resolve()
    }
  })
  state.wake = undefined
}

/**
 * Makes every test of the current file fail when n1guard finds an N+1 while it runs: in the
 * test's own code, and in requests served in-process by instrumented middleware (supertest),
 * whose async context is not the test's. Findings that reached the test already (`capture()`,
 * `assertNoNPlusOne`, `toHaveNoNPlusOne`, a `'throw'`-mode `run`) are left to it. Each test's
 * findings also go into its task meta for `n1guard/vitest/reporter`'s end-of-run summary.
 * Call it from a `setupFiles` module; `n1guard/vitest/setup` does it with the defaults.
 *
 * @example
 * // vitest.setup.ts, listed in test.setupFiles
 * import { guardTests } from 'n1guard/vitest'
 * guardTests({ failOn: 'any' })
 */
export function guardTests(options?: GuardOptions): void {
  const { failOn, scopeTimeoutMs, scopePerTest } = resolveOptions(options)
  // The test whose async context this is, kept in n1guard's one async context (an
  // AsyncLocalStorage of its own would tax every promise of the process on Node 20).
  const TEST = Symbol('n1guard.running-test')
  const running = new Set<TestState>()
  const byTask = new WeakMap<object, TestState>()
  const owners = new Map<string, TestState>()
  const unclaimed: Array<TestFinding & { test?: string }> = []
  let stop: Array<() => void> = []
  // The file's task, taken from its first test: file meta carries what no test could be held to.
  let file: TaskLike['file']

  // The test a scope belongs to: the one whose async context opened it (supertest on the app, a
  // server started inside the test), else the only test running (a server started in beforeAll).
  const owner = (): TestState | undefined => {
    const own = contextValue<TestState>(TEST)
    if (own !== undefined && !own.done) return own
    if (running.size !== 1) return undefined
    const [only] = running
    return only
  }

  const onEnd = (e: ScopeEndEvent): void => {
    const opener = owners.get(e.scope.id)
    if (opener !== undefined) {
      owners.delete(e.scope.id)
      opener.open.delete(e.scope.id)
      if (opener.open.size === 0) opener.wake?.()
    }
    if (e.surfaced || e.findings.length === 0) return
    const test = opener ?? owner()
    if (test !== undefined && !test.done) test.findings.push(...e.findings)
    else for (const f of e.findings) unclaimed.push({ ...toTestFinding(f), ...(test === undefined ? {} : { test: test.name }) })
  }

  vitest.beforeAll(() => {
    stop = [
      onScopeStart((e) => {
        const test = owner()
        if (test === undefined) return
        owners.set(e.scope.id, test)
        test.open.add(e.scope.id)
      }),
      onScopeEnd(onEnd),
    ]
  })

  vitest.afterAll(() => {
    for (const s of stop) s()
    stop = []
    if (unclaimed.length > 0 && file !== undefined) file.meta[META_KEY] = { findings: unclaimed } satisfies FileMeta
    // A detector that exists but was never given a pool, client or dialect guards nothing: every
    // test would pass for want of queries seen, so the file fails instead of passing vacuously.
    const detectors = liveDetectors()
    if (file !== undefined && detectors.length > 0 && !anyInstrumented(detectors, 'guardTests')) {
      const where = (file as { filepath?: string }).filepath
      throw atFrames(new Error(notInstrumentedMessage('the n1guard Vitest guard', detectors.length)), where === undefined ? '' : `    at ${where}:1:1`)
    }
  })

  const begin = (task: TaskLike): TestState => {
    const state: TestState = { name: task.name, scopes: [], findings: [], open: new Set(), wake: undefined, done: false }
    byTask.set(task, state)
    running.add(state)
    file ??= task.file
    return state
  }

  // aroundEach (Vitest >= 4.1) runs the test, its hooks and everything they start inside the
  // test's own async context, which tells concurrent tests apart; before it, the running test is
  // whichever one is.
  const aroundEach = (vitest as { aroundEach?: (fn: (run: () => Promise<void>, ctx: { task: TaskLike }) => Promise<void>) => void }).aroundEach
  if (typeof aroundEach === 'function') {
    aroundEach(async (runTest, ctx) => {
      const state = begin(ctx.task)
      try {
        await runWithContextValue(TEST, state, () => {
          if (!scopePerTest) return runTest()
          // Nested, so each detector's scope holds the test; the afterEach hook closes them.
          let run = runTest
          for (const detector of liveDetectors()) {
            const scope = detector.startScope({ name: ctx.task.name })
            state.scopes.push(scope)
            const inner = run
            run = () => scope.run(inner)
          }
          return run()
        })
      } finally {
        state.done = true
        running.delete(state)
      }
    })
  } else {
    if (scopePerTest) throw new Error('n1guard: guardTests({ scopePerTest: true }) needs Vitest >= 4.1 (aroundEach)')
    vitest.beforeEach((ctx) => {
      begin(ctx.task as unknown as TaskLike)
    })
  }

  vitest.afterEach(async (ctx) => {
    const task = ctx.task as unknown as TaskLike
    const state = byTask.get(task)
    if (state === undefined) return
    // The query advisor's catalog lookups for the test's repeated queries finish before it ends.
    await Promise.all(state.scopes.map((scope) => scope.settle()))
    for (const scope of state.scopes) scope.end()
    await settled(state, scopeTimeoutMs)
    state.done = true
    running.delete(state)
    // Scopes still open keep their owner: if they end later, the summary names this test.
    if (state.findings.length === 0) return
    task.meta[META_KEY] = { findings: state.findings.map(toTestFinding) } satisfies TestMeta
    const bad = failing(state.findings, failOn)
    if (bad.length > 0) {
      // The stack is the findings' call sites in the user's code: the runner's code frame shows
      // the line that ran the N+1, not this hook.
      const sites = bad.flatMap((f) => (f.callSite === undefined ? [] : [frameOf(f.callSite)]))
      throw atFrames(new NPlusOneError(bad, failureMessage(bad, state.name)), sites.join('\n'))
    }
  })
}

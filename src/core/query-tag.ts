// Query tags: how an integration says *where in its own terms* a query ran (n1guard/graphql: the
// resolver field), without core knowing the integration. The integration runs its code inside
// `runWithQueryTag(tag, fn)`; the query recorder reads `currentQueryTag()` when a query begins and
// the analyzer keeps the first tag of each group; when a scope closes, the tags' `refine` functions
// rewrite the findings they carry in the integration's words. Nothing is made until an integration
// tags something: a process that never does pays one property read per query.
import { AsyncLocalStorage } from 'node:async_hooks'
import { internalError } from './internal-error.js'
import type { Finding } from './types.js'

/**
 * A label an integration attaches to every query issued while some of its code runs. Opaque to
 * core, apart from `refine`.
 *
 * @example
 * const tag: QueryTag = { refine: (findings, tags) => findings.map((f, i) => (tags[i] === tag ? { ...f, hint: 'batch it' } : f)) }
 * runWithQueryTag(tag, () => resolver(parent, args, context, info))
 */
export interface QueryTag {
  /**
   * Rewrites a closing scope's findings: gets all of them and, at the same index, the tag their
   * queries carried (undefined when untagged); returns the findings to report (it may merge or
   * drop tagged ones, and must keep untagged ones). Called once per distinct function. If it
   * throws, the findings stay as they were.
   */
  readonly refine?: (findings: readonly Finding[], tags: readonly (QueryTag | undefined)[]) => readonly Finding[]
}

// On globalThis, so that two copies of n1guard in one process (an app's and a test setup's) agree.
const KEY = Symbol.for('n1guard.query-tag')
const holder = ((globalThis as { [KEY]?: { store: AsyncLocalStorage<QueryTag> | undefined } })[KEY] ??= { store: undefined })

/**
 * Runs `fn` with `tag` on every query it issues (and everything it starts issues). Returns what
 * `fn` returns.
 *
 * @example
 * runWithQueryTag(fieldTag, () => resolve(source, args, context, info))
 */
export function runWithQueryTag<T>(tag: QueryTag, fn: () => T): T {
  return (holder.store ??= new AsyncLocalStorage<QueryTag>()).run(tag, fn)
}

/** The tag of the current async context, if any integration set one. @internal */
export function currentQueryTag(): QueryTag | undefined {
  return holder.store?.getStore()
}

/**
 * Applies the tags' `refine` functions to a closing scope's findings (`tags[i]` belongs to
 * `findings[i]`). @internal
 */
export function refineTagged(findings: readonly Finding[], tags: readonly (QueryTag | undefined)[]): readonly Finding[] {
  let out = findings
  let outTags = tags
  const done = new Set<Function>()
  for (const tag of tags) {
    const refine = tag?.refine
    if (refine === undefined || done.has(refine)) continue
    done.add(refine)
    try {
      const next = refine(out, outTags)
      if (next !== out) {
        // Tags follow their findings by identity; a rewritten finding has done its refining.
        const byFinding = new Map(out.map((f, i) => [f, outTags[i]]))
        outTags = next.map((f) => byFinding.get(f))
        out = next
      }
    } catch (error) {
      internalError('describing findings in an integration\'s terms (a query tag\'s refine threw)', error)
    }
  }
  return out
}

// Query annotations: how an integration says where, in its own terms, a query ran (n1guard/graphql:
// the resolver field), without core knowing the integration. The integration runs its code inside
// `runAnnotated(annotation, fn)`; the query recorder reads `currentAnnotation()` when a query
// begins; the analyzer keeps the first annotation of each (shape, call site) group; and when a
// scope closes, the annotations' `refine` functions rewrite the findings they carry in the
// integration's words. An annotation is a link of n1guard's one async context (see
// callsite/context-store.ts); a process that never annotates pays one property read per query.
import { currentContext, nearestLinkValue, runInContext, type ContextLink } from '../callsite/context-store.js'
import { internalError } from './internal-error.js'
import type { Finding } from './types.js'

/**
 * What an integration attaches to every query issued while some of its code runs. Opaque to core,
 * apart from `refine`.
 *
 * @example
 * const field: QueryAnnotation = { refine: (findings, notes) => findings.map((f, i) => (notes[i] === field ? { ...f, hint: 'batch it' } : f)) }
 * runAnnotated(field, () => resolver(parent, args, context, info))
 */
export interface QueryAnnotation {
  /**
   * Rewrites a closing scope's findings: gets all of them and, at the same index, the annotation
   * their queries carried (undefined when none); returns the findings to report (it may merge or
   * drop annotated ones, and must keep the others). Called once per distinct function. If it
   * throws, the findings stay as they were.
   */
  readonly refine?: (findings: readonly Finding[], annotations: readonly (QueryAnnotation | undefined)[]) => readonly Finding[]
}

// On globalThis, so that two copies of n1guard in one process (an app's and a test setup's) agree.
const KEY = Symbol.for('n1guard.query-annotation')
const holder = ((globalThis as { [KEY]?: { annotated?: boolean } })[KEY] ??= {})

interface AnnotationLink extends ContextLink {
  readonly annotation: QueryAnnotation
}

/**
 * Runs `fn` with `annotation` on every query it issues (and everything it starts issues). Returns
 * what `fn` returns, and throws what it throws.
 *
 * @example
 * runAnnotated(fieldAnnotation, () => resolve(source, args, context, info))
 */
export function runAnnotated<T>(annotation: QueryAnnotation, fn: () => T): T {
  holder.annotated = true
  const link: AnnotationLink = { annotation, next: currentContext() }
  return runInContext(link, fn)
}

/** The annotation of the current async context, if an integration set one. @internal */
export function currentAnnotation(): QueryAnnotation | undefined {
  return holder.annotated === true ? nearestLinkValue<QueryAnnotation>('annotation') : undefined
}

/**
 * Applies the annotations' `refine` functions to a closing scope's findings (`annotations[i]`
 * belongs to `findings[i]`). @internal
 */
export function refineAnnotated(findings: readonly Finding[], annotations: readonly (QueryAnnotation | undefined)[]): readonly Finding[] {
  let out = findings
  let outNotes = annotations
  const done = new Set<Function>()
  for (const note of annotations) {
    const refine = note?.refine
    if (refine === undefined || done.has(refine)) continue
    done.add(refine)
    try {
      const next = refine(out, outNotes)
      if (next !== out) {
        // Annotations follow their findings by identity; a rewritten finding has been refined.
        const byFinding = new Map(out.map((f, i) => [f, outNotes[i]]))
        outNotes = next.map((f) => byFinding.get(f))
        out = next
      }
    } catch (error) {
      internalError("describing findings in an integration's terms (a query annotation's refine threw)", error)
    }
  }
  return out
}

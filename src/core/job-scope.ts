// What a job's name function returns comes from a queue's data at run time (a numeric job id,
// undefined, `{ name, id: 7 }`): it must never keep the job from running. Usable parts are kept
// (a number id becomes its decimal string), the rest degrades to a generic name, said once.
import { describeValue } from './describe-value.js'
import { printable } from './printable.js'
import type { ScopeInput } from './types.js'

/** The scope name of a job whose name function gave nothing usable. */
export const GENERIC_JOB_NAME = 'job'

function idOf(id: unknown): string | undefined {
  if (typeof id === 'string') return id === '' ? undefined : id
  if ((typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint') return String(id)
  return undefined
}

/**
 * The scope to run a job in, from what its name function returned (or threw). Never throws;
 * `complain(problem)` is called when something had to be dropped.
 *
 * @example
 * jobScope({ name: 'job digest', id: 7 }, complain) // { name: 'job digest', id: '7' }
 * jobScope(7, complain)                              // 'job' (and complain('returned 7 ...'))
 */
export function jobScope(value: unknown, complain: (problem: string) => void): ScopeInput {
  if (typeof value === 'string') return value
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { name, id, maxQueries } = value as { name?: unknown; id?: unknown; maxQueries?: unknown }
    const problems: string[] = []
    const scope: { name?: string; id?: string; maxQueries?: number } = {}
    if (typeof name === 'string') scope.name = name
    else {
      scope.name = GENERIC_JOB_NAME
      if (name !== undefined) problems.push(`name ${describeValue(name)}`)
    }
    const usableId = idOf(id)
    if (usableId !== undefined) scope.id = usableId
    else if (id !== undefined) problems.push(`id ${describeValue(id)}`)
    if (typeof maxQueries === 'number' && Number.isInteger(maxQueries) && maxQueries >= 1) scope.maxQueries = maxQueries
    else if (maxQueries !== undefined) problems.push(`maxQueries ${describeValue(maxQueries)}`)
    if (problems.length > 0) complain(`returned a scope with an unusable ${problems.join(', ')}`)
    return scope
  }
  let shown: string
  try {
    shown = describeValue(value)
  } catch {
    shown = typeof value
  }
  complain(`returned ${shown}, not a name or { name?, id? }`)
  return GENERIC_JOB_NAME
}

/**
 * A `complain` for `jobScope` that says the first problem of one wrapped job on stderr, once.
 *
 * @example
 * const complain = complainOnce()
 */
export function complainOnce(): (problem: string) => void {
  let said = false
  return (problem) => {
    if (said) return
    said = true
    try {
      process.stderr.write(
        `${printable(`n1guard: detector.wrapJob: the name function ${problem}; the job runs in a scope named "${GENERIC_JOB_NAME}" (or without the unusable part). (said once for this job)`)}\n`,
      )
    } catch {
      // nowhere to say it
    }
  }
}

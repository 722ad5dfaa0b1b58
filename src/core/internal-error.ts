// "Instrumentation never hurts the host": a failure inside n1guard is caught where it happens,
// said once on stderr, and the query, the scope and the app go on as if n1guard were not there.

import { printable } from './printable.js'

const said = new Set<string>()

// A message can carry anything (a scope name, a value from a request): it is printed as one
// escaped line, and only the stack's frame lines after it keep their line breaks.
function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    let text: string
    try {
      text = String(error)
    } catch {
      // No usable toString (a null-prototype object): say what it is.
      text = Object.prototype.toString.call(error)
    }
    return printable(text)
  }
  const head = error.message === '' ? String(error.name) : `${error.name}: ${error.message}`
  const stack = typeof error.stack === 'string' ? error.stack : ''
  const at = stack.indexOf('\n    at ')
  const frames = stack.startsWith(head) ? stack.slice(head.length) : at >= 0 ? stack.slice(at) : ''
  return printable(head) + frames.split('\n').map(printable).join('\n')
}

/**
 * Reports an internal failure once per `topic` for the life of the process.
 *
 * @example
 * try { record() } catch (error) { internalError('recording a query', error) }
 */
export function internalError(topic: string, error: unknown): void {
  if (said.has(topic)) return
  said.add(topic)
  try {
    process.stderr.write(
      `n1guard: internal error while ${printable(topic)}; n1guard carries on and will not repeat this message.\n${describeError(error)}\n`,
    )
  } catch {
    // stderr itself failed: nothing left to tell
  }
}

/** For tests: forget which topics were already reported. */
export function resetInternalErrors(): void {
  said.clear()
}

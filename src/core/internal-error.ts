// "Instrumentation never hurts the host": a failure inside n1guard is caught where it happens,
// said once on stderr, and the query, the scope and the app go on as if n1guard were not there.

const said = new Set<string>()

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
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
    process.stderr.write(
      `n1guard: internal error while ${topic}; n1guard carries on and will not repeat this message.\n${detail}\n`,
    )
  } catch {
    // stderr itself failed: nothing left to tell
  }
}

/** For tests: forget which topics were already reported. */
export function resetInternalErrors(): void {
  said.clear()
}

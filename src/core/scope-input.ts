import { describeValue } from './options.js'

/** A scope argument after validation. */
export interface ParsedScope {
  readonly name: string | undefined
  readonly id: string | undefined
  readonly maxQueries: number | undefined
}

/** Validates a scope argument (`'name'` or `{ name?, id?, maxQueries? }`); TypeError names the bad value. */
export function parseScopeInput(input: unknown, what: string): ParsedScope {
  if (typeof input === 'string') return { name: input, id: undefined, maxQueries: undefined }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const { name, id, maxQueries } = input as { name?: unknown; id?: unknown; maxQueries?: unknown }
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`n1guard: ${what}: scope name must be a string, got ${describeValue(name)}`)
    }
    if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
      throw new TypeError(`n1guard: ${what}: scope id must be a non-empty string, got ${describeValue(id)}`)
    }
    if (maxQueries !== undefined && (typeof maxQueries !== 'number' || !Number.isInteger(maxQueries) || maxQueries < 1)) {
      throw new TypeError(`n1guard: ${what}: scope maxQueries must be an integer >= 1, got ${describeValue(maxQueries)}`)
    }
    return { name, id, maxQueries }
  }
  throw new TypeError(`n1guard: ${what}: scope must be a name or { name?, id?, maxQueries? }, got ${describeValue(input)}`)
}

/** Throws a TypeError naming `fn` unless it is a function. */
export function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`n1guard: ${what} needs a function, got ${describeValue(fn)}`)
}

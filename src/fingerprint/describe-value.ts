// Error messages name the offending value (DESIGN.md, "Style") without dumping large objects.

/**
 * A short description of a value for error messages: its type and, when cheap, the value.
 *
 * @example
 * describeValue(42)        // 'number 42'
 * describeValue(undefined) // 'undefined'
 * describeValue({ text: 'select 1' }) // 'object Object'
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`
    case 'symbol':
      return value.toString()
    case 'function':
      return `function ${value.name || '(anonymous)'}`
    case 'object': {
      if (Array.isArray(value)) return `array of length ${value.length}`
      let name: unknown
      try {
        // A proxy or an exotic prototype may throw; the message must still be built.
        name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name
      } catch {
        name = undefined
      }
      return `object ${typeof name === 'string' && name !== '' ? name : 'Object'}`
    }
    default:
      return typeof value
  }
}

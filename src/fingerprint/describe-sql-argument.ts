// Error messages name the offending value (DESIGN.md, "Style"). What reaches fingerprint() or
// sqlInfo() in place of a SQL string is often a query object holding parameter values, which are
// never printed (PII): so unlike core's describeValue for option values, which shows an object as
// JSON, this one shows only an object's type, never its contents.

/**
 * A short description of a non-string passed where SQL text was expected: its type, the value
 * only for primitives, never an object's contents.
 *
 * @example
 * describeSqlArgument(42)        // 'number 42'
 * describeSqlArgument(undefined) // 'undefined'
 * describeSqlArgument({ text: 'select $1', values: ['secret'] }) // 'object Object'
 */
export function describeSqlArgument(value: unknown): string {
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

// Core's wording for a bad option or argument in a TypeError: strings quoted, small objects as
// JSON. (fingerprint/describe-value.ts words values differently, for SQL parameter errors.)

/**
 * Shows a bad value the way a user would recognise it in their code.
 *
 * @example
 * describeValue('x') // '"x"'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `array of length ${value.length}`
  try {
    const json = JSON.stringify(value)
    return json.length > 80 ? `${json.slice(0, 77)}...` : json
  } catch {
    return Object.prototype.toString.call(value)
  }
}

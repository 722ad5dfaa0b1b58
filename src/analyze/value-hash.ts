// 32-bit identities for values and parameter sets: "same parameters again" (a duplicate) is told
// from "other parameters" (an N+1) without keeping the values, and a parameter is matched against
// the values of an earlier result's column (the query that fed the loop). Runs once per query
// inside a scope, so it avoids allocation for the common value types.

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
const MAX_CHARS = 4096
const MAX_DEPTH = 3

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x01000193)
  return (h ^ (h >>> 15)) | 0
}

function mixString(h: number, s: string): number {
  const n = Math.min(s.length, MAX_CHARS)
  for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return mix(h, s.length)
}

const digits = new Uint8Array(17)

// mixString(h, String(x)) for a safe integer, without making the string: ids are most values.
function mixInteger(h: number, x: number): number {
  let n = x < 0 ? -x : x
  let len = 0
  do {
    const d = n % 10
    digits[len++] = d
    n = (n - d) / 10
  } while (n > 0)
  let chars = len
  if (x < 0) {
    h = Math.imul(h ^ 0x2d, 0x01000193)
    chars++
  }
  while (len > 0) h = Math.imul(h ^ (0x30 + digits[--len]!), 0x01000193)
  return mix(h, chars)
}

function mixNumber(h: number, x: number): number {
  if ((x | 0) === x) return mix(mix(h, 0x6e), x)
  f64[0] = x
  return mix(mix(mix(h, 0x66), u32[0]!), u32[1]!)
}

function mixValue(h: number, v: unknown, depth: number): number {
  switch (typeof v) {
    case 'number':
      return mixNumber(h, v)
    case 'string':
      return mixString(mix(h, 0x73), v)
    case 'bigint':
      return mixString(mix(h, 0x62), v.toString())
    case 'boolean':
      return mix(h, v ? 0x74 : 0x75)
    case 'undefined':
      return mix(h, 0x55)
    case 'object': {
      if (v === null) return mix(h, 0x4e)
      if (v instanceof Date) return mixNumber(mix(h, 0x44), v.getTime())
      if (ArrayBuffer.isView(v)) {
        const bytes = new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, MAX_CHARS))
        h = mix(h, 0x42)
        for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
        return mix(h, v.byteLength)
      }
      if (Array.isArray(v) && depth < MAX_DEPTH) {
        h = mix(h, 0x5b)
        for (let i = 0; i < v.length; i++) h = mixValue(h, v[i], depth + 1)
        return mix(h, v.length)
      }
      let text: string
      try {
        text = JSON.stringify(v) ?? String(v)
      } catch {
        text = Object.prototype.toString.call(v)
      }
      return mixString(mix(h, 0x7b), text)
    }
    default:
      return mix(h, 0x3f)
  }
}

const SEED = 0x811c9dc5

/**
 * Identity of one value as a database would compare it: `5`, `5n` and `'5'` are the same key
 * (node-postgres returns int8 as a string), as are equal Dates.
 *
 * @example
 * valueKey(42) === valueKey('42') // true
 */
export function valueKey(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return Number.isSafeInteger(v) ? mixInteger(SEED, v) : Number.isInteger(v) ? mixString(SEED, String(v)) : mixNumber(SEED, v)
    case 'bigint':
      return mixString(SEED, v.toString())
    case 'string':
      return mixString(SEED, v)
    default:
      return v instanceof Date ? mixString(SEED, String(v.getTime())) : mixValue(SEED, v, 0)
  }
}

/**
 * Identity of one execution's values: the bound parameters and the literals inlined in the SQL.
 *
 * @example
 * paramKey([42], 0) === paramKey([42], 0) // true
 * paramKey([42], 0) === paramKey([43], 0) // false
 */
export function paramKey(params: readonly unknown[] | undefined, literalKey: number): number {
  let h = mix(SEED, literalKey)
  if (params !== undefined) {
    for (let i = 0; i < params.length; i++) h = mixValue(h, params[i], 0)
    h = mix(h, params.length)
  }
  return h
}

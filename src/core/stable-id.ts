// Ids that must not change between runs or processes (finding ids, baseline keys): two
// independent 32-bit FNV-1a passes, 16 hex characters.

function fnv(text: string, seed: number): number {
  let h = seed
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  h ^= h >>> 13
  h = Math.imul(h, 0x5bd1e995)
  return (h ^ (h >>> 15)) >>> 0
}

/**
 * A stable 64-bit hex id for a string.
 *
 * @example
 * stableId('n-plus-one\0abc\0src/a.ts:12') // '9c1f...' (16 hex chars), the same in every run
 */
export function stableId(text: string): string {
  return fnv(text, 0x811c9dc5).toString(16).padStart(8, '0') + fnv(text, 0x2f6b1d3a).toString(16).padStart(8, '0')
}

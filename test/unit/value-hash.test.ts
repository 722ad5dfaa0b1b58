// Value identity as a database compares values: a parameter 42 must match a result column '42'
// (node-postgres returns int8 as a string) and 42n, or a loop fed by it is not proven.
import { describe, expect, test } from 'vitest'
import { paramKey, valueKey } from '../../src/analyze/value-hash.js'

describe('valueKey', () => {
  test('an integer, its decimal text and its bigint are one value, for every safe integer', () => {
    const samples = [0, -0, 1, -1, 9, 10, 99, 100, 12345, -12345, 2 ** 31, -(2 ** 31), 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
    for (let i = 0; i < 2000; i++) samples.push(Math.floor((Math.random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER))
    for (const n of samples) {
      expect(valueKey(n), String(n)).toBe(valueKey(String(n)))
      expect(valueKey(n), String(n)).toBe(valueKey(BigInt(n)))
    }
  })

  test('different integers are different values, and so are integers past the safe range and fractions', () => {
    const keys = new Set<number>()
    for (let n = -5000; n <= 5000; n++) keys.add(valueKey(n))
    expect(keys.size).toBe(10_001)
    expect(valueKey(2 ** 60)).toBe(valueKey(String(2 ** 60)))
    expect(valueKey(1.5)).not.toBe(valueKey(15))
    expect(valueKey(12)).not.toBe(valueKey(21))
  })

  test('parameter sets: equal values give one key, other values another', () => {
    expect(paramKey([42, 'a'], 0)).toBe(paramKey([42, 'a'], 0))
    expect(paramKey([42], 0)).not.toBe(paramKey([43], 0))
  })
})

// The fingerprint cache is bounded in bytes, not only in entries: 2,048 entries of 77 KB statements
// held 185 MB (260 MB of non-Latin-1 text), inlined literal values included, after every scope had
// closed. Measured on the real path (sqlInfo) with the heap, and on the cache itself.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, test } from 'vitest'
import { GenerationalCache } from '../../src/fingerprint/cache.js'
import { clearFingerprintCache, sqlInfo } from '../../src/fingerprint/sql-info.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const MB = 1024 * 1024

function heapAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** A distinct statement of about `chars` characters with inlined values (as Sequelize writes them). */
function statement(i: number, chars: number, text: string): string {
  const row = `(${i}, '${text} ${i}', true)`
  return `insert into "note" ("id", "body", "seen") values ${Array.from({ length: Math.ceil(chars / row.length) }, () => row).join(', ')}`
}

afterEach(() => clearFingerprintCache())

describe('sqlInfo cache: retained heap after many distinct statements', () => {
  // Each case would retain ~40 MB (Latin-1) or more when only the entry count bounds the cache.
  test.each([
    ['20 KB Latin-1 statements', 20_000, 'secret value', 1_500],
    ['20 KB statements outside Latin-1', 20_000, 'значение 秘密', 1_000],
    ['77 KB statements', 77_000, 'secret value', 500],
  ])('%s: at most the byte budget stays', (_what, chars, text, n) => {
    clearFingerprintCache()
    const before = heapAfterGc()
    for (let i = 0; i < n; i++) sqlInfo(statement(i, chars, text))
    const retained = heapAfterGc() - before
    expect(retained / MB).toBeLessThan(20)
  })
})

describe('GenerationalCache', () => {
  const value = (shape: string) => ({ shape, id: 'abcdef0123456789' })

  test('holds at most maxBytes, turning over by bytes as well as by entries', () => {
    const cache = new GenerationalCache<ReturnType<typeof value>>({ capacity: 1000, maxBytes: 100_000, maxEntryBytes: 20_000 })
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`.padEnd(1000, 'x')
      cache.set(key, value(key))
      expect(cache.bytes).toBeLessThanOrEqual(100_000)
    }
    expect(cache.size).toBeLessThan(100)
    expect(cache.get(`k499`.padEnd(1000, 'x'))).toBeDefined()
  })

  test('never stores an entry above maxEntryBytes', () => {
    const cache = new GenerationalCache<ReturnType<typeof value>>({ maxEntryBytes: 10_000 })
    const big = 'y'.repeat(5_000)
    cache.set(big, value(big))
    expect(cache.get(big)).toBeUndefined()
    expect([cache.size, cache.bytes]).toEqual([0, 0])
  })

  test('a number is still the entry capacity; promotion keeps the byte count exact', () => {
    const cache = new GenerationalCache<string>(4)
    for (const k of ['a', 'b', 'c']) cache.set(k, k)
    expect(cache.get('a')).toBe('a') // promoted from the old generation
    cache.set('d', 'd')
    expect(cache.size).toBeLessThanOrEqual(4)
    cache.clear()
    expect([cache.size, cache.bytes]).toEqual([0, 0])
  })

  test('the default cache (as sqlInfo makes it) is bounded by 16 MiB', () => {
    const cache = new GenerationalCache<ReturnType<typeof value>>(2048)
    const pad = 'z'.repeat(20_000)
    for (let i = 0; i < 3_000; i++) {
      const key = `${i}${pad}`
      cache.set(key, value(key))
    }
    expect(cache.bytes).toBeLessThanOrEqual(16 * MB)
    expect(cache.size).toBeGreaterThan(100)
  })
})

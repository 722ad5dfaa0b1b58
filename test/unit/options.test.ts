import { describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import { expressMiddleware } from '../../src/http/express.js'

describe('bad options fail fast with a TypeError that names the value', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ threshold: 1 }, /threshold.*>= 2.*got 1/],
    [{ threshold: 2.5 }, /threshold.*got 2\.5/],
    [{ threshold: '3' }, /threshold.*got "3"/],
    [{ mode: 'loud' }, /mode.*got "loud"/],
    [{ reporters: [42] }, /reporters\[0\].*got 42/],
    [{ reporters: () => undefined }, /reporters.*must be an array/],
    [{ ignore: [7] }, /ignore\[0\].*got 7/],
    [{ ignore: [{ tabel: 'x' }] }, /ignore\[0\].*unknown key "tabel"/],
    [{ ignore: [{}] }, /ignore\[0\].*empty/],
    [{ captureParams: 'yes' }, /captureParams.*got "yes"/],
    [{ maxRecords: 0 }, /maxRecords.*got 0/],
    [{ treshold: 2 }, /unknown option "treshold"/],
    ['warn', /options must be an object, got "warn"/],
  ]
  for (const [options, message] of cases) {
    test(JSON.stringify(options), () => {
      expect(() => createDetector(options as never)).toThrow(TypeError)
      expect(() => createDetector(options as never)).toThrow(message)
    })
  }

  test('defaults', () => {
    expect(createDetector().options).toMatchObject({ threshold: 2, mode: 'warn', captureParams: false, enabled: true })
  })

  test('scope arguments and functions are checked', async () => {
    const d = createDetector({ mode: 'silent' })
    await expect(d.run(42 as never, async () => 1)).rejects.toThrow(/scope must be a name or \{ name\?, id\?, maxQueries\? \}, got 42/)
    await expect(d.run({ name: 5 } as never, async () => 1)).rejects.toThrow(/scope name must be a string, got 5/)
    await expect(d.run('x', 'nope' as never)).rejects.toThrow(/needs a function, got "nope"/)
    await expect(d.capture(undefined as never)).rejects.toThrow(TypeError)
  })
})

describe('non-instrumentable objects are refused with a TypeError naming them', () => {
  const d = createDetector({ mode: 'silent' })
  test('adapters check their arguments', () => {
    expect(() => instrumentPool({ query: () => 1 } as never, d)).toThrow(/instrumentPool needs a pg Pool.*got \{\}/)
    expect(() => instrumentPool(null as never, d)).toThrow(/got null/)
    expect(() => instrumentClient('client' as never, d)).toThrow(/instrumentClient needs a pg Client.*got "client"/)
    expect(() => instrumentDialect({} as never, d)).toThrow(/instrumentDialect needs a Kysely dialect.*got \{\}/)
    expect(() => instrumentPool({ query() {}, connect() {} } as never, {} as never)).toThrow(/needs a detector from createDetector\(\), got \{\}/)
    expect(() => expressMiddleware(undefined as never)).toThrow(/expressMiddleware needs a detector.*got undefined/)
  })

  test('instrumenting again returns the same object, for the same or another detector', () => {
    const pool = { query() {}, connect() {} }
    const query = (instrumentPool(pool as never, d) as typeof pool).query
    expect(instrumentPool(pool as never, d)).toBe(pool)
    expect(instrumentPool(pool as never, createDetector())).toBe(pool)
    expect(pool.query).toBe(query)
  })
})

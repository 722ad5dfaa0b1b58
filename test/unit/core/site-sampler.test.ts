// The site sampler: which statements pay for a stack.
import { describe, expect, test } from 'vitest'
import { createDepthHint } from '../../../src/callsite/capture-site.js'
import { sampleSite, SiteSamples } from '../../../src/core/site-sampler.js'

const HINT = createDepthHint()

// A scope's sampling state and its issue count per shape (the aggregate counts issues in n1guard).
function owner() {
  return { samples: undefined as SiteSamples | undefined, issued: 0 }
}

// The adapter entry the application calls: the sampler's stack starts above it.
function entry(o: ReturnType<typeof owner>, exact: boolean) {
  return sampleSite(o, 'shape', ++o.issued, exact, entry, HINT)
}

// Calls the adapter from one line, as a loop in application code would.
function fromOneLine(o: ReturnType<typeof owner>, exact: boolean): boolean {
  return entry(o, exact).site !== undefined
}

describe('site sampler', () => {
  test('a shape issued once in a scope that is not exact takes no stack', () => {
    const o = owner()
    expect(sampleSite(o, 'a', 1, false, entry, HINT)).toMatchObject({ site: undefined, siteKey: undefined })
    expect(o.samples).toBeUndefined()
  })

  test('an exact scope takes a stack for every statement', () => {
    const o = owner()
    const taken = Array.from({ length: 20 }, () => fromOneLine(o, true))
    expect(taken.every(Boolean)).toBe(true)
  })

  test('repeats from one stable site are sampled at doubling intervals up to 256', () => {
    const o = owner()
    const taken: number[] = []
    for (let i = 1; i <= 1200; i++) if (fromOneLine(o, false)) taken.push(i)
    // First run: none; repeats 2 and 3 agree (stable); then checked after 2, 4, 8 ... 256, 256 ...
    expect(taken).toEqual([2, 3, 5, 9, 17, 33, 65, 129, 257, 513, 769, 1025])
  })

  test('a sampled repeat still carries the stable site key', () => {
    const o = owner()
    const keys: Array<string | undefined> = []
    for (let i = 0; i < 6; i++) keys.push(entry(o, false).siteKey)
    expect(keys[0]).toBeUndefined()
    expect(new Set(keys.slice(1)).size).toBe(1)
    expect(keys[5]).toBeDefined()
  })

  test('shapes are sampled independently', () => {
    const samples = new SiteSamples()
    expect(samples.of('a')).not.toBe(samples.of('b'))
    expect(samples.of('a')).toBe(samples.of('a'))
    expect(samples.of('b')).toBe(samples.of('b'))
  })
})

// A query outside any scope while other scopes are open (background work on a busy server) must
// not pay for a stack capture every time: lost context is decided cheaply, and a stack is taken
// only now and then, to find a line not yet reported. Counted with a spy on the stack capture
// (timings belong in bench/: `npm run bench -- hot`, row "outside any scope while another scope
// is open").
import { afterEach, expect, test, vi } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentClient } from '../../src/pg/index.js'
import { siteOf } from '../support/sites.js'

const here = import.meta.url

function stubClient() {
  const result = { rows: [{ id: 1 }], rowCount: 1, command: 'SELECT' }
  return { query: (_text: string, _values?: unknown[]) => Promise.resolve(result) }
}

afterEach(() => vi.restoreAllMocks())

test('queries outside any scope while a scope is open: a few stack captures, each line said once', async () => {
  const detector = createDetector({ reporters: [] })
  const client = instrumentClient(stubClient(), detector)
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  const said = () => stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('outside any scope'))
  const open = detector.startScope('GET /busy')
  const captures = vi.spyOn(Error, 'captureStackTrace')
  try {
    for (let i = 0; i < 3000; i++) await client.query('select 1 from background_a where id = $1', [i]) // @site:a
    const afterA = captures.mock.calls.length
    expect(afterA).toBeLessThan(40)
    expect(said()).toHaveLength(1)
    expect(said()[0]).toContain(`${siteOf(here, 'a').file}:${siteOf(here, 'a').line}`)
    // A line not yet reported is still found and said, once.
    for (let i = 0; i < 3000; i++) await client.query('select 1 from background_b where id = $1', [i]) // @site:b
    expect(captures.mock.calls.length - afterA).toBeLessThan(40)
    expect(said()).toHaveLength(2)
    expect(said()[1]).toContain(`${siteOf(here, 'b').file}:${siteOf(here, 'b').line}`)
  } finally {
    open.end()
  }
  // With no scope open, nothing is captured at all.
  captures.mockClear()
  for (let i = 0; i < 100; i++) await client.query('select 1 from background_a where id = $1', [i])
  expect(captures.mock.calls.length).toBe(0)
})

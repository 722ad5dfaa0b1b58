// The part every HTTP integration shares: a user's `id` / `name` option that fails must not fail
// the request; the scope closes once.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createDetector, type ScopeReport } from '../../src/index.js'
import { resetInternalErrors } from '../../src/core/internal-error.js'
import { openRequestScope, pathOnly } from '../../src/http/request-scope.js'

function setup() {
  const reports: ScopeReport[] = []
  const detector = createDetector({ reporters: [(r) => reports.push(r)] })
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  return { reports, detector, stderr }
}

afterEach(() => {
  vi.restoreAllMocks()
  resetInternalErrors()
})

describe('openRequestScope', () => {
  test('uses the id and the name the options give', () => {
    const { reports, detector } = setup()
    const scope = openRequestScope(detector, { id: () => 'req-42', name: () => 'custom' }, {}, 'GET /x')!
    expect(scope.run(() => detector.currentScope())).toEqual({ id: 'req-42', name: 'GET /x' })
    scope.end(() => 'GET /x/:id')
    scope.end(() => 'again')
    expect(reports.map((r) => r.scope)).toEqual([{ id: 'req-42', name: 'custom' }])
  })

  test('an id option that throws or returns a non-string falls back to a generated id, said once', () => {
    const { reports, detector, stderr } = setup()
    const throwing = openRequestScope(detector, { id: () => { throw new Error('no header') } }, {}, 'GET /a')!
    const wrong = openRequestScope(detector, { id: () => 7 as unknown as string }, {}, 'GET /b')!
    throwing.end(() => 'GET /a')
    wrong.end(() => 'GET /b')
    expect(reports.map((r) => r.scope.name)).toEqual(['GET /a', 'GET /b'])
    expect(reports.every((r) => r.scope.id.length > 0)).toBe(true)
    const said = stderr.mock.calls.map((c) => String(c[0])).join('')
    expect(said).toContain('the `id` option threw')
    expect(said).toContain('the `id` option returned 7')
  })

  test('a name option that throws or returns undefined falls back to the route name', () => {
    const { reports, detector, stderr } = setup()
    openRequestScope(detector, { name: () => { throw new Error('bad') } }, {}, 'GET /a')!.end(() => 'GET /a/:id')
    openRequestScope(detector, { name: () => undefined }, {}, 'GET /b')!.end(() => 'GET /b/:id')
    expect(reports.map((r) => r.scope.name)).toEqual(['GET /a/:id', 'GET /b/:id'])
    expect(String(stderr.mock.calls[0]?.[0])).toContain('the `name` option threw')
  })
})

test('pathOnly drops the query string', () => {
  expect([pathOnly('/a/b?x=1'), pathOnly('/a'), pathOnly(undefined), pathOnly('')]).toEqual(['/a/b', '/a', '/', '/'])
})

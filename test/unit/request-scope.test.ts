// The part every HTTP integration shares: a user's `id` / `name` option that fails must not fail
// the request; the scope closes once.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createDetector, type ScopeReport } from '../../src/index.js'
import { resetInternalErrors } from '../../src/core/internal-error.js'
import { expressMiddleware, routeName } from '../../src/http/express.js'
import { openRequestScope, unmatchedName } from '../../src/http/request-scope.js'

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

describe('expressMiddleware ends the scope once, whichever response event comes', () => {
  const req = () => ({ method: 'GET', baseUrl: '', params: {} })

  test('a Node response (on and once): finish then close reports once; close alone (the client left) reports too', async () => {
    const { EventEmitter } = await import('node:events')
    const { reports, detector } = setup()
    const done = new EventEmitter()
    expressMiddleware(detector)(req(), done, () => undefined)
    done.emit('finish')
    done.emit('close')
    const gone = new EventEmitter()
    expressMiddleware(detector)(req(), gone, () => undefined)
    expect(reports).toHaveLength(1)
    gone.emit('close')
    expect(reports.map((r) => r.scope.name)).toEqual(['GET (unmatched)', 'GET (unmatched)'])
  })

  test('a response that only has once (a test double) still ends the scope', () => {
    const { reports, detector } = setup()
    const listeners = new Map<string, () => void>()
    expressMiddleware(detector)(req(), { once: (event, end) => void listeners.set(event, end) }, () => undefined)
    expect([...listeners.keys()].sort()).toEqual(['close', 'finish'])
    listeners.get('finish')!()
    listeners.get('close')!()
    expect(reports).toHaveLength(1)
  })
})

test('unmatchedName: the method and a fixed word', () => {
  expect(unmatchedName('DELETE')).toBe('DELETE (unmatched)')
})

// What an Express router does to a request, step by step, where the router keeps no mount pattern
// on the request (Express 4, router before 2.3): params, then baseUrl, on the way into a mount.
describe('Express mounts without a pattern on the request', () => {
  interface FakeReq {
    method: string
    baseUrl: string
    params: Record<string, unknown>
    route?: { path: string }
  }

  function serve(steps: (req: FakeReq) => void): { during: Array<string | undefined>; reported: Array<string | undefined> } {
    const { reports, detector } = setup()
    const req: FakeReq = { method: 'GET', baseUrl: '', params: {} }
    const ends: Array<() => void> = []
    const during: Array<string | undefined> = []
    expressMiddleware(detector)(req, { once: (_event, end) => ends.push(end) }, () => {
      steps(req)
      during.push(detector.currentScope()?.name)
    })
    ends[0]!()
    return { during, reported: reports.map((r) => r.scope.name) }
  }

  test('segments equal to a mount parameter become its name; sibling and nested mounts too', () => {
    const { during, reported } = serve((req) => {
      // app.use('/users/:id', first): entered, nothing matched, left.
      req.params = { id: 'alice@example.com' }
      req.baseUrl = '/users/alice%40example.com'
      req.baseUrl = ''
      // app.use('/users/:email/pets', pets), then pets.use('/:petId/toys', toys), then a route.
      req.params = { email: 'alice@example.com' }
      req.baseUrl = '/users/alice%40example.com/pets'
      req.params = { petId: 'rex' }
      req.baseUrl = '/users/alice%40example.com/pets/rex/toys'
      req.params = { toyId: 'ball' }
      req.route = { path: '/:toyId' }
    })
    expect(during).toEqual(['GET /users/:email/pets/:petId/toys/:toyId'])
    expect(reported).toEqual(['GET /users/:email/pets/:petId/toys/:toyId'])
  })

  test('a splat mount collapses to one *name; a literal segment stays', () => {
    const { reported } = serve((req) => {
      req.params = { rest: ['a', 'b'] }
      req.baseUrl = '/files/a/b'
      req.params = {}
      req.route = { path: '/raw' }
    })
    expect(reported).toEqual(['GET /files/*rest/raw'])
  })

  test('routeName: the pattern, baseUrl values replaced, else a fixed name', () => {
    expect(routeName({ method: 'GET', baseUrl: '/t/acme', params: { tenant: 'acme', id: '7' }, route: { path: '/users/:id' } })).toBe(
      'GET /t/:tenant/users/:id',
    )
    expect(routeName({ method: 'GET', baseUrl: '/t/acme' })).toBe('GET (unmatched)')
  })
})

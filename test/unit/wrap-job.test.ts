// detector.wrapJob with a name function that returns what a queue hands over: a numeric job id,
// undefined, `{ name, id: 7 }` (the docs' own pattern with a queue that numbers its jobs). The job
// always runs; a numeric id is the id; a name n1guard cannot use degrades to a generic one, said
// once on stderr.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createDetector, type ScopeInfo, type ScopeReport } from '../../src/index.js'
import { resetInternalErrors } from '../../src/core/internal-error.js'

interface Job {
  readonly id: unknown
  readonly name: string
  readonly data: number
}

function setup() {
  const reports: ScopeReport[] = []
  const detector = createDetector({ reporters: [(r) => reports.push(r)] })
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  const said = () => stderr.mock.calls.map((c) => String(c[0])).join('')
  return { reports, detector, said }
}

afterEach(() => {
  vi.restoreAllMocks()
  resetInternalErrors()
})

describe('detector.wrapJob', () => {
  test("the docs' pattern { name, id: job.id } with a numeric id: the job runs, in a scope with that id", async () => {
    const { detector, reports, said } = setup()
    const seen: Array<ScopeInfo | undefined> = []
    const handle = detector.wrapJob(
      (job: Job) => ({ name: `job ${job.name}`, id: job.id as number }),
      async (job: Job) => {
        seen.push(detector.currentScope())
        return job.data * 2
      },
    )
    expect(await handle({ id: 7, name: 'digest', data: 21 })).toBe(42)
    expect(seen).toEqual([{ id: '7', name: 'job digest' }])
    expect(reports.map((r) => r.scope)).toEqual([{ id: '7', name: 'job digest' }])
    expect(said()).toBe('')
  })

  test.each([
    ['a numeric id as the name', (job: Job) => job.id, 7],
    ['undefined', () => undefined, 7],
    ['an object with a bad name', () => ({ name: 42 }), 7],
    ['an object with an empty id', () => ({ name: 'job x', id: '' }), 7],
    ['null', () => null, 7],
    ['a symbol', () => Symbol('job'), 7],
  ])('%s: the job runs in a generic scope, said once', async (_what, name, id) => {
    const { detector, said } = setup()
    const seen: Array<ScopeInfo | undefined> = []
    const handle = detector.wrapJob(name as (job: Job) => string, async (job: Job) => {
      seen.push(detector.currentScope())
      return job.data
    })
    expect(await handle({ id, name: 'digest', data: 1 })).toBe(1)
    expect(await handle({ id, name: 'digest', data: 2 })).toBe(2)
    expect(seen).toHaveLength(2)
    expect(seen.every((s) => s !== undefined && typeof s.name === 'string' && s.name.startsWith('job'))).toBe(true)
    expect(said().match(/n1guard:/g)).toHaveLength(1)
    expect(said()).toContain('wrapJob')
  })

  test('a name function that throws: the job still runs (as before)', async () => {
    const { detector } = setup()
    const handle = detector.wrapJob(
      () => {
        throw new Error('no name')
      },
      async () => 'ran',
    )
    expect(await handle()).toBe('ran')
  })

  test('a bad static name still fails fast, when wrapJob is called', () => {
    const { detector } = setup()
    expect(() => detector.wrapJob(42 as never, async () => 1)).toThrow(TypeError)
  })
})

// n1guard/vitest/setup and n1guard/vitest/reporter, end to end: a fixture Vitest project
// (test/fixtures/vitest-guard) runs in a child process on this file's schema.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Summary } from '../../src/vitest/summary.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { runVitestProject, type ChildRun } from '../support/run-vitest.js'
import { siteOf } from '../support/sites.js'

const SENTINEL = 'sentinel-7f3e-do-not-print'
const loop = siteOf(new URL('../fixtures/vitest-guard/app.ts', import.meta.url).href, 'loop')
let db: TestDatabase
let run: ChildRun
let summary: Summary

beforeAll(async () => {
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
  run = await runVitestProject('test/fixtures/vitest-guard/vitest.config.ts', db, { N1GUARD_SUMMARY_JSON: '$TMP/summary.json', N1GUARD_REPORT_HTML: '$TMP/report.html' })
  summary = JSON.parse(run.files['summary.json'] ?? 'null') as Summary
}, 120_000)

afterAll(async () => {
  await db.drop()
})

describe('n1guard/vitest/setup', () => {
  test('the run fails, and exactly the tests during which an N+1 ran fail', () => {
    expect(run.code).toBe(1)
    const statuses = Object.fromEntries(run.tests.map((t) => [t.fullName, t.state]))
    expect(statuses).toEqual({
      'guarded > fails: a job with an N+1': 'failed',
      'guarded > fails: an N+1 inside a request served in-process': 'failed',
      'guarded > fails: an N+1 inside a request to a server started in beforeAll': 'failed',
      'guarded > passes: the one-query version': 'passed',
      'guarded > passes: an N+1 the test asserts on itself': 'passed',
      'guarded > passes: the matchers are installed by the setup file': 'passed',
      'guarded > passes: queries in the test body are outside any scope by default': 'passed',
      'concurrent > fails: an N+1 in a request while another test runs': 'failed',
      'concurrent > passes: a clean request while another test runs': 'passed',
      'fails: a loop in the test body': 'failed',
      'passes: a clean test body': 'passed',
    })
  })

  test('a failing test says why: N+1, SQL shape, count, scope and call site file:line', () => {
    for (const [name, scope] of [
      ['guarded > fails: an N+1 inside a request served in-process', 'GET /people/slow'],
      ['guarded > fails: an N+1 inside a request to a server started in beforeAll', 'GET /people/slow'],
      ['guarded > fails: a job with an N+1', 'nightly-report'],
      ['concurrent > fails: an N+1 in a request while another test runs', 'GET /people/slow'],
      ['fails: a loop in the test body', 'fails: a loop in the test body'],
    ] as const) {
      const message = run.test(name).errors.join('\n')
      expect(message).toContain(`NPlusOneError: n1guard: 1 N+1 query while test "${name.replace(/^(?:guarded|concurrent) > /, '')}" ran`)
      expect(message).toContain(`n1guard: N+1 query: 3 × the same shape on pet in ${scope}`)
      expect(message).toContain('  select "name" from "pet" where "owner_id" = ? and "name" <> ?')
      expect(message).toContain(`  at ${loop.file}:${loop.line}:`)
      expect(message).toContain('(peopleWithPets)')
    }
  })

  test("the code frame of a guard failure points at the user's line that ran the N+1, never at n1guard's files", () => {
    expect(run.output).not.toMatch(/vitest\/guard\.[tj]s|n1guard\/(?:src|dist)\//)
    expect(run.output).toMatch(new RegExp(`❯ peopleWithPets app\\.ts:${loop.line}:\\d+`))
  })
})

describe('n1guard/vitest/reporter', () => {
  test('N1GUARD_REPORT_HTML: one self-contained HTML report with a scope per test and its finding', () => {
    const html = run.files['report.html'] ?? ''
    expect(html).toMatch(/^<!doctype html>/)
    const data = JSON.parse(/<script type="application\/json" id="n1guard-data">(.*?)<\/script>/s.exec(html)![1]!) as {
      scopes: Array<{ name: string; findings: Array<{ kind: string; callSite?: { file: string; line: number } }> }>
    }
    const names = data.scopes.map((s) => s.name)
    expect(names).toContain('guard.fixture.ts > guarded > fails: a job with an N+1 › nightly-report')
    expect(data.scopes.flatMap((s) => s.findings).every((f) => f.kind === 'n-plus-one' && f.callSite?.line === loop.line)).toBe(true)
    expect(html).not.toContain(SENTINEL)
    expect(html).not.toMatch(/<(?:link|img)\b|src=["']http/)
  })

  test('one summary at the end of the run: each finding once, with every test that hit it', () => {
    expect(summary.findings).toHaveLength(1)
    const [f] = summary.findings
    expect(f).toMatchObject({
      kind: 'n-plus-one',
      sql: 'select "name" from "pet" where "owner_id" = ? and "name" <> ?',
      table: 'pet',
      callSite: { ...loop, function: 'peopleWithPets' },
      totalCount: 18,
      occurrences: 6,
      maxCount: 3,
    })
    expect(f!.tests.map((t) => [t.name, t.count, t.scopes])).toEqual([
      ['guard.fixture.ts > concurrent > fails: an N+1 in a request while another test runs', 3, ['GET /people/slow']],
      ['guard.fixture.ts > guarded > fails: a job with an N+1', 3, ['nightly-report']],
      ['guard.fixture.ts > guarded > fails: an N+1 inside a request served in-process', 3, ['GET /people/slow']],
      ['guard.fixture.ts > guarded > fails: an N+1 inside a request to a server started in beforeAll', 3, ['GET /people/slow']],
      ['per-test.fixture.ts (outside a test)', 3, ['nightly-report']],
      ['per-test.fixture.ts > fails: a loop in the test body', 3, ['fails: a loop in the test body']],
    ])
    const printed = run.output.split('\n')
    expect(printed.filter((l) => l.startsWith('n1guard: 1 distinct finding in 6 tests'))).toHaveLength(1)
    expect(run.output).toContain(`     at ${loop.file}:${loop.line}:`)
  })

  test('parameter values never reach a message, the summary or the results, though the detector captures them', () => {
    expect(run.output).not.toContain(SENTINEL)
    expect(run.files['summary.json']).not.toContain(SENTINEL)
    expect(run.files['results.json']).not.toContain(SENTINEL)
  })
})

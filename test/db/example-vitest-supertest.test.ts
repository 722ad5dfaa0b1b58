// examples/vitest-supertest, run as its own Vitest project in a child process: the N+1 test fails
// for the right reason, the one-query version passes, and the summary names the route's loop.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { runVitestProject, type ChildRun } from '../support/run-vitest.js'

const appFile = 'examples/demo/app.ts'
const loopLine = readFileSync(appFile, 'utf8').split('\n').findIndex((l) => l.includes(".where('owner_id', '=', person.id)")) + 1
let db: TestDatabase
let run: ChildRun

beforeAll(async () => {
  db = await createTestDatabase({ people: 1 })
  run = await runVitestProject('examples/vitest-supertest/vitest.config.ts', db)
}, 120_000)

afterAll(async () => {
  await db.drop()
})

test('the N+1 test fails with the shape, count, route and line; the fixed version passes', () => {
  expect(loopLine).toBeGreaterThan(0)
  expect(run.code).toBe(1)
  expect(run.tests.map((t) => [t.fullName, t.state])).toEqual([
    ['GET /people/slow > lists everyone with their pets (fails: the route runs an N+1)', 'failed'],
    ['GET /people/fast > lists everyone with their pets', 'passed'],
    ['GET /people/fast > runs one query, however many people there are', 'passed'],
  ])
  const message = run.test('GET /people/slow > lists everyone with their pets (fails: the route runs an N+1)').errors.join('\n')
  expect(message).toContain('NPlusOneError: n1guard: 1 N+1 query while test "lists everyone with their pets (fails: the route runs an N+1)" ran')
  expect(message).toContain('n1guard: N+1 query: 5 × the same shape on pet in GET /people/slow')
  expect(message).toContain('select "name", "species" from "pet" where "owner_id" = ? order by "id"')
  expect(message).toContain(`at ${appFile}:${loopLine}:`)
  expect(run.output).toContain('n1guard: 1 distinct finding in 1 test, most queries first')
  expect(run.output).toContain('tests: people.test.ts > GET /people/slow > lists everyone with their pets (fails: the route runs an N+1) (5× in GET /people/slow)')
})

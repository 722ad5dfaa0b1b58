// n1guard/testing outside Vitest: a node:test file run as a child process.
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
})

afterAll(async () => {
  await db.drop()
})

test('node:test: the assertions pass and fail as they should, with their messages', async () => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v
  Object.assign(env, { DATABASE_URL: db.url, PGOPTIONS: `-c search_path=${db.schema}` })
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/fixtures/node-test/testing.node-test.ts'],
      { cwd: root, env, timeout: 60_000 },
      (error, out, err) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout: `${out}\n${err}` }),
    )
  })
  const results = [...stdout.matchAll(/^(not ok|ok) \d+ - (.*)$/gm)].map((m) => [m[2], m[1]])
  expect(results, stdout).toEqual([
    ['assertNoNPlusOne rejects an N+1 and passes the one-query version', 'ok'],
    ['assertQueryCount counts and reports', 'ok'],
    ['assertConstantQueries runs fn per scale in a rolled-back transaction', 'ok'],
    ['fails: an N+1 fails the node:test test with the shape and count', 'not ok'],
  ])
  expect(code).toBe(1)
  expect(stdout).toContain('NPlusOneError')
  expect(stdout).toContain('3 × select * from pet where owner_id = ?')
  expect(stdout).toContain('test/fixtures/node-test/testing.node-test.ts:')
})

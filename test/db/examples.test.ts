// The examples run as a user would run them: built package, tsx, one command each; here on the
// test run's PostgreSQL (DATABASE_URL), each in a schema of its own.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, inject, test } from 'vitest'
import { siteOf } from '../support/sites.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)

interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

async function runFile(command: string, args: string[]): Promise<Outcome> {
  const env = { ...process.env, DATABASE_URL: inject('databaseUrl'), NO_COLOR: '1', FORCE_COLOR: '0' }
  try {
    const { stdout, stderr } = await run(command, args, { cwd: root, env, timeout: 90_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) }
  }
}

const tsx = join(root, 'node_modules', '.bin', 'tsx')
let worker: Promise<Outcome>
let fastify: Promise<Outcome>
let fixes: Promise<Outcome>
let demo: Promise<Outcome>
let otel: Promise<Outcome>
let graphql: Promise<Outcome>

beforeAll(async () => {
  // The examples import 'n1guard' by name, which resolves to dist/: build it first (without
  // removing dist/, so nothing reading it meanwhile sees it vanish).
  const built = await runFile(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'])
  expect(built, built.stdout + built.stderr).toMatchObject({ code: 0 })
  worker = runFile(tsx, ['examples/worker/main.ts'])
  fastify = runFile(tsx, ['examples/fastify/main.ts'])
  fixes = runFile(tsx, ['examples/fixes/main.ts'])
  demo = runFile(tsx, ['examples/demo/main.ts'])
  otel = runFile(tsx, ['examples/otel/main.ts'])
  graphql = runFile(tsx, ['examples/graphql/main.ts'])
}, 120_000)

function siteIn(example: string): string {
  const { file, line } = siteOf(pathToFileURL(join(root, 'examples', example)).href, 'toys')
  return `at ${file}:${line}:`
}

describe('examples', () => {
  test('examples/worker: one scope per job, the N+1 of each toy-digest job named with its line', async () => {
    const { code, stdout, stderr } = await worker
    expect(code, stderr).toBe(0)
    expect(stdout.match(/n1guard: N\+1 query: 3 × the same shape on toy in job toy-digest\n/g)).toHaveLength(3)
    expect(stdout).toContain(siteIn('worker/jobs.ts'))
    expect(stdout).toContain('job-4 (job species-census): 1 query, no N+1')
  }, 120_000)

  test('examples/fastify: the N+1 endpoint is named by route with its line, the fixed one is clean', async () => {
    const { code, stdout, stderr } = await fastify
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('n1guard: N+1 query: 5 × the same shape on toy in GET /owners/:ownerId/pets/slow\n')
    expect(stdout).toContain(siteIn('fastify/app.ts'))
    expect(stdout).toContain('scope "GET /owners/:ownerId/pets/fast", 1 query, no N+1')
  }, 120_000)

  test('examples/demo (npm run demo): the N+1 is found with its line and proof, the fixed endpoint is clean', async () => {
    const { code, stdout, stderr } = await demo
    expect(code, stderr).toBe(0)
    const app = siteOf(pathToFileURL(join(root, 'examples', 'demo', 'app.ts')).href, 'loop')
    expect(stdout).toContain('n1guard: N+1 query: 20 × the same shape on pet in GET /people/slow')
    expect(stdout).toContain(`at ${app.file}:${app.line}:`)
    expect(stdout).toContain('proof: 1 query on person returned 20 rows; its id column fed 20 queries on pet')
    expect(stdout).toContain('-> 200, 20 people with their pets, 21 queries, 1 N+1 finding')
    expect(stdout).toContain('-> 200, 20 people with their pets, 1 query, no N+1')
    // The query panel ran for the length of the demo, and said where, once.
    expect(stdout.match(/n1guard panel: http:\/\/127\.0\.0\.1:\d+\/\n/g)).toHaveLength(1)
    // The advisor: the demo's pet.owner_id has no index on purpose.
    expect(stdout).toContain('checkSchema: foreign key pet (owner_id) -> person has no index: create index concurrently pet_owner_id_idx on pet (owner_id);')
    expect(stdout).toContain('n1guard: missing index: pet (owner_id), 20 × the same query, Seq Scan on pet in GET /people/slow')
    expect(stdout).toContain('Add one: create index concurrently pet_owner_id_idx on pet (owner_id);')
    expect(stdout).toContain('-> 200, 20 people with their pets, 21 queries, 1 N+1 finding, advisor: missing-index')
  }, 120_000)

  test('examples/otel: the request span carries the N+1 event with semantic-convention attributes', async () => {
    const { code, stdout, stderr } = await otel
    expect(code, stderr).toBe(0)
    expect(stdout).toContain("name: 'n1guard.n_plus_one'")
    expect(stdout).toContain("'db.collection.name': 'pet'")
    const app = siteOf(pathToFileURL(join(root, 'examples', 'demo', 'app.ts')).href, 'loop')
    expect(stdout).toContain(`'code.line.number': ${app.line}`)
    expect(stdout).toContain("'n1guard.source.collection': 'person'")
  }, 120_000)

  test('examples/graphql (npm run example:graphql): the N+1 field named with its resolver line and proof, the DataLoader fix clean', async () => {
    const { code, stdout, stderr } = await graphql
    expect(code, stderr).toBe(0)
    const app = siteOf(pathToFileURL(join(root, 'examples', 'graphql', 'app.ts')).href, 'pets')
    expect(stdout).toContain('n1guard: N+1 query: 8 × the same shape on pet in query PeopleWithPets\n')
    expect(stdout).toContain('graphql: `Person.pets` ran 8 queries for 8 `Person` parents in `query PeopleWithPets`')
    expect(stdout).toContain(`at ${app.file}:${app.line}:`)
    expect(stdout).toContain('proof: 1 query on person returned 8 rows; its id column fed 8 queries on pet')
    expect(stdout).toContain('fix: batch Person.pets with a DataLoader created per request')
    expect(stdout).toContain('-> 200, scope "query PeopleWithPets", 9 queries, N+1')
    expect(stdout).toContain('-> 200, scope "query PeopleWithPets", 2 queries, no N+1')
    expect(stdout).toContain('Summary: the same response (identical JSON) from 9 queries and from 2.')
  }, 120_000)

  test('examples/fixes: the N+1 and its three fixes return the same JSON; only the N+1 is a finding', async () => {
    const { code, stdout, stderr } = await fixes
    expect(code, stderr).toBe(0)
    const rows = stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| approach'))
    expect(rows.map((r) => r.split('|').map((c) => c.trim()).filter(Boolean)).map(([label, queries, , verdict]) => [label!.split(':')[0], queries, verdict])).toEqual([
      ['N+1', '101', '1 N+1'],
      ['fix 1', '2', 'none'],
      ['fix 2', '1', 'none'],
      ['fix 3', '2', 'none'],
    ])
  }, 120_000)

  test('every framework subpath loads from the built package by name', async () => {
    const script = `
      const names = {}
      for (const sub of ['express', 'fastify', 'koa', 'hono']) names[sub] = Object.keys(await import('n1guard/' + sub)).sort()
      console.log(JSON.stringify(names))`
    const { code, stdout, stderr } = await runFile(process.execPath, ['--input-type=module', '-e', script])
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      express: ['default', 'expressMiddleware', 'routeName'],
      fastify: ['default', 'fastifyPlugin', 'fastifyRouteName'],
      koa: ['default', 'koaMiddleware', 'koaRouteName'],
      hono: ['default', 'honoMiddleware', 'honoRouteName'],
    })
  })
})

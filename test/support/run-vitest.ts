// Runs a fixture or example Vitest project in a child process (test/support/vitest-from-source.mjs)
// against this file's test schema, and reads back Vitest's JSON results.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestDatabase } from './db.js'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export interface ChildTest {
  /** The test file, relative to its project's root. */
  readonly module: string
  /** `describe > test` */
  readonly fullName: string
  readonly state: 'passed' | 'failed' | 'skipped' | 'pending'
  /** `name: message` of each error. */
  readonly errors: readonly string[]
}

export interface ChildRun {
  readonly code: number | null
  readonly output: string
  readonly tests: readonly ChildTest[]
  /** Files the run wrote into its temporary directory, by name (read before it is removed). */
  readonly files: Readonly<Record<string, string>>
  test(name: string): ChildTest
}

/**
 * Runs `vitest run` on `config` (relative to the repository root) with the test database of `db`
 * (its schema first on the search path). `env` is added to the child's environment; `$TMP` in a
 * value is replaced by a temporary directory whose files come back in `files`.
 */
export async function runVitestProject(config: string, db: TestDatabase, env: Record<string, string> = {}): Promise<ChildRun> {
  const tmp = mkdtempSync(join(tmpdir(), 'n1guard-child-'))
  try {
    const childEnv: NodeJS.ProcessEnv = {}
    // The child is a Vitest run of its own: none of this worker's Vitest variables.
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('VITEST') && key !== 'TEST' && key !== 'NODE_ENV') childEnv[key] = value
    Object.assign(childEnv, {
      DATABASE_URL: db.url,
      PGOPTIONS: `-c search_path=${db.schema}`,
      RESULTS_FILE: join(tmp, 'results.json'),
      FORCE_COLOR: '0',
      NO_COLOR: '1',
    })
    for (const [key, value] of Object.entries(env)) childEnv[key] = value.replace('$TMP', tmp)
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
      execFile(
        process.execPath,
        [join(root, 'test/support/vitest-from-source.mjs'), join(root, config)],
        { cwd: root, env: childEnv, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
        (error, stdout, stderr) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, output: `${stdout}\n${stderr}` }),
      )
    })
    const files: Record<string, string> = {}
    for (const name of ['results.json', 'summary.json', 'report.html']) {
      try {
        files[name] = readFileSync(join(tmp, name), 'utf8')
      } catch {
        // not written by this run
      }
    }
    if (files['results.json'] === undefined) throw new Error(`the Vitest child wrote no results (exit ${code}):\n${output}`)
    const { tests } = JSON.parse(files['results.json']) as { tests: ChildTest[] }
    return {
      code,
      output,
      tests,
      files,
      test(name) {
        const found = tests.find((t) => t.fullName === name)
        if (found === undefined) throw new Error(`no test named ${JSON.stringify(name)} in ${JSON.stringify(tests.map((t) => t.fullName))}\n${output}`)
        return found
      },
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

// The repository stands alone: a user's clone has no steering folder (or any sibling folder) beside it,
// so nothing the build, the tests, the scripts, the examples or the benchmarks read may point there.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const ROOTS = ['src', 'test', 'scripts', 'examples', 'bench', 'docs', '.ci']
const TEXT = /\.(?:[cm]?[jt]s|json|md|sh)$|^run$/
// Built from pieces so this file does not match itself.
const FORBIDDEN = new RegExp(['\\.\\./', 'shared\\b', '|/work/', 'shared\\b'].join(''))

function files(dir: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  const out: string[] = []
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...files(path))
    else if (TEXT.test(name)) out.push(path)
  }
  return out
}

describe('the repository stands alone', () => {
  const candidates = [
    ...ROOTS.flatMap((d) => files(join(root, d))),
    ...readdirSync(root).filter((n) => /^(?:package\.json|vitest.*\.[cm]?[jt]s|tsconfig.*\.json)$/.test(n)).map((n) => join(root, n)),
  ]

  test('it looks at the files that matter', () => {
    const names = candidates.map((f) => relative(root, f))
    expect(names).toEqual(expect.arrayContaining(['package.json', 'vitest.config.ts', 'test/unit/fingerprint-corpus.test.ts', 'examples/support/postgres.ts']))
  })

  test('nothing reads the steering folder beside the repository or a path outside it', () => {
    const offenders = candidates
      .filter((f) => f !== fileURLToPath(import.meta.url))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => [line, i] as const)
          .filter(([line]) => FORBIDDEN.test(line))
          .map(([line, i]) => `${relative(root, f)}:${i + 1}: ${line.trim()}`),
      )
    expect(offenders).toEqual([])
  })

  test('the pg_query corpus is in the repository with its licence', () => {
    const corpus = JSON.parse(readFileSync(join(root, 'test/fixtures/pg_query/pg_query-fingerprint.json'), 'utf8')) as unknown[]
    expect(corpus).toHaveLength(78)
    expect(readFileSync(join(root, 'test/fixtures/pg_query/README.md'), 'utf8')).toMatch(/BSD-3-Clause[\s\S]*Redistribution and use in source and binary forms/)
  })
})

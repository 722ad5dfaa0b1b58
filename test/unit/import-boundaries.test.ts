// What each subpath export loads at run time, read from the JavaScript TypeScript emits for src/:
// core never loads an optional peer, and a subpath loads only its own.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> }

// The only subpaths that may load a package at run time, and which. Every other subpath (the
// root, adapters, frameworks, testing, the Vitest reporter) loads none: its peers are type-only.
const PEERS: Record<string, readonly string[]> = {
  './vitest': ['vitest'],
  './vitest/setup': ['vitest'],
  './otel': ['@opentelemetry/api'],
}
const SUBPATHS = Object.keys(pkg.exports).filter((k) => k !== './package.json')

const SPECIFIER = /(?:^|[;\s])(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

const cache = new Map<string, string[]>()

function runtimeImports(file: string): string[] {
  let specs = cache.get(file)
  if (specs === undefined) {
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, removeComments: true },
    }).outputText
    specs = [...out.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2])!)
    cache.set(file, specs)
  }
  return specs
}

/** Bare specifiers (packages) reachable at run time from `entry`, with the file that imports each. */
function reachablePackages(entry: string): Map<string, string> {
  const seen = new Set<string>()
  const packages = new Map<string, string>()
  const stack = [entry]
  while (stack.length > 0) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
      else if (!spec.startsWith('node:')) packages.set(spec, file.slice(root.length + 1))
    }
  }
  return packages
}

describe('import boundaries', () => {
  test('the subpaths with a runtime peer exist', () => {
    expect(SUBPATHS).toEqual(expect.arrayContaining(Object.keys(PEERS)))
  })

  for (const subpath of SUBPATHS) {
    const allowed = PEERS[subpath] ?? []
    test(`n1guard${subpath.slice(1)} loads ${allowed.length === 0 ? 'no package' : allowed.join(', ')} at run time`, () => {
      const target = pkg.exports[subpath] as { default: string }
      const entry = join(root, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))
      const packages = reachablePackages(entry)
      expect(Object.fromEntries([...packages].filter(([name]) => !allowed.includes(name)))).toEqual({})
    })
  }
})

// What each subpath export loads at run time, read from the JavaScript TypeScript emits for src/:
// core never loads an optional peer, and a subpath loads only its own.
import { readdirSync, readFileSync } from 'node:fs'
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

// Every import among src/ files (type-only ones included: a type circle still ties files together).
const SRC = join(root, 'src')
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

const graph = new Map<string, string[]>(
  sourceFiles(SRC).map((file) => [
    file,
    [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts'))),
  ]),
)
const rel = (file: string) => file.slice(root.length + 1)

/** The import circles among src/ files (strongly connected components of more than one file). */
function circles(): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(rel(w))
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

// DESIGN.md's layer table: which src/ folder may import which. Rows DESIGN.md does not list yet
// (testing, and what vitest/otel take beyond core) are the current, deliberate edges.
const LAYERS: Record<string, readonly string[]> = {
  // The root is the composition root: it hands core the console reporter and the query advisor.
  '(root)': ['core', 'fingerprint', 'report', 'advisor'],
  core: ['analyze', 'fingerprint', 'callsite'],
  fingerprint: [],
  analyze: ['fingerprint'],
  callsite: [],
  report: ['core'],
  kysely: ['core'],
  pg: ['core'],
  otel: ['core', 'fingerprint'],
  vitest: ['core', 'testing', 'report', 'panel'],
  http: ['core'],
  testing: ['core', 'fingerprint'],
  orm: ['core', 'pg'],
  advisor: ['analyze', 'fingerprint'],
  panel: ['core'],
  graphql: ['core'],
}
// Folders that may import another only for types.
const TYPE_ONLY: Record<string, readonly string[]> = { analyze: ['fingerprint'] }

function layerOf(file: string): string {
  const parts = rel(file).split('/')
  return parts.length === 2 ? '(root)' : parts[1]!
}

describe('the layers of src/ (DESIGN.md)', () => {
  test('no import circle among src/ files', () => {
    expect(circles()).toEqual([])
  })

  test('the circle finder finds a circle', () => {
    const a = join(SRC, '__a.ts')
    const b = join(SRC, '__b.ts')
    graph.set(a, [b])
    graph.set(b, [a])
    try {
      expect(circles()).toContainEqual(['src/__a.ts', 'src/__b.ts'])
    } finally {
      graph.delete(a)
      graph.delete(b)
    }
  })

  test('each folder imports only the folders its row allows', () => {
    const bad: string[] = []
    for (const [file, deps] of graph) {
      const from = layerOf(file)
      const allowed = LAYERS[from]
      for (const dep of deps) {
        const to = layerOf(dep)
        if (to === from) continue
        if (allowed === undefined || !allowed.includes(to)) bad.push(`${rel(file)} -> ${rel(dep)}`)
      }
    }
    expect(bad).toEqual([])
  })

  test('type-only rows import types only', () => {
    const bad: string[] = []
    for (const file of graph.keys()) {
      const only = TYPE_ONLY[layerOf(file)]
      if (only === undefined) continue
      for (const spec of runtimeImports(file)) {
        if (!spec.startsWith('.')) continue
        const to = layerOf(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
        if (only.includes(to)) bad.push(`${rel(file)} -> ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })
})

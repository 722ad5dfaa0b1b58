// Docs that compile: every ```ts / ```typescript block of README.md and docs/**/*.md is
// type-checked under `strict` against the built package (`n1guard` resolves to dist/ through the
// package's own `exports`), in one tsc run. No block is skipped.
//
// The prelude convention (also in docs/contributing.md): a block is an ES module. A block that is
// deliberately partial (it uses `db`, `pool`, `app`, `detector`, the `DB` schema type... without
// making them) gets them from the shared prelude, test/docs/prelude.d.ts, which declares the
// context most snippets assume. Anything else a block needs goes in a hidden prelude right before
// it, an HTML comment GitHub does not render:
//
//   <!-- prelude: import { listPeople } from './people.js'; declare const userId: number -->
//   ```ts
//   await listPeople(db, userId)
//   ```
//
// The prelude text is put in front of the block, on its first line, in the same module. Relative
// imports (`./schema.js`, `./server.js`) resolve to the files of test/docs/stubs/, copied beside
// the blocks: declare there what a doc imports from the reader's own app.
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))

export interface Snippet {
  /** The Markdown file, relative to the repository root. */
  readonly doc: string
  /** 1-based line of the block's first code line in `doc`. */
  readonly line: number
  readonly prelude: string
  readonly code: string
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/
const TS_LANGS = new Set(['ts', 'typescript', 'mts', 'cts', 'tsx'])
const PRELUDE = /<!--\s*prelude:([\s\S]*?)-->\s*$/

/** The TypeScript blocks of one Markdown text, each with its hidden prelude. */
export function extractSnippets(doc: string, text: string): Snippet[] {
  const lines = text.split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (open === null) continue
    const fence = open[2]!
    const lang = open[3]!.toLowerCase()
    let end = i + 1
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++
    if (TS_LANGS.has(lang)) {
      // The prelude comment ends on the line before the fence (it may span lines).
      let prelude = ''
      let j = i - 1
      while (j >= 0 && lines[j]!.trim() === '') j--
      if (j >= 0 && lines[j]!.trim().endsWith('-->')) {
        let k = j
        while (k >= 0 && !lines[k]!.includes('<!--')) k--
        const m = PRELUDE.exec(lines.slice(Math.max(k, 0), j + 1).join('\n'))
        if (m !== null) prelude = m[1]!.trim()
      }
      out.push({ doc, line: i + 2, prelude, code: lines.slice(i + 1, end).join('\n') })
    }
    i = end
  }
  return out
}

function markdownFiles(): string[] {
  const files = ['README.md']
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name)
      if (statSync(join(root, path)).isDirectory()) walk(path)
      else if (name.endsWith('.md')) files.push(path)
    }
  }
  walk('docs')
  return files
}

const snippets = markdownFiles().flatMap((doc) => extractSnippets(doc, readFileSync(join(root, doc), 'utf8')))
let dir: string
let diagnostics = new Map<string, string[]>()

function fileOf(index: number): string {
  const s = snippets[index]!
  return `${s.doc.replace(/[/.]/g, '_')}_L${s.line}.ts`
}

beforeAll(async () => {
  mkdirSync(join(root, '.tmp'), { recursive: true })
  dir = mkdtempSync(join(root, '.tmp', 'docs-'))
  // Against the built package, built in place (other test files may be reading dist/ right now).
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root })
  const stubs = join(root, 'test', 'docs', 'stubs')
  cpSync(stubs, dir, { recursive: true })
  snippets.forEach((s, i) => {
    // The prelude on the first line, so the block's lines keep their numbers (+1).
    const prelude = s.prelude.replace(/\n/g, ' ')
    writeFileSync(join(dir, fileOf(i)), `${prelude} /* ${s.doc}:${s.line} */\n${s.code}\nexport {}\n`)
  })
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'dom'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        noUnusedLocals: false,
        rootDir: root,
      },
      files: [relative(dir, join(root, 'test', 'docs', 'prelude.d.ts')), ...snippets.map((_, i) => fileOf(i))],
    }),
  )
  const output = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  )
  diagnostics = new Map()
  let last: string[] | undefined
  for (const line of output.split('\n')) {
    const m = /^(.*?)\((\d+),(\d+)\): (error .*)$/.exec(line)
    if (m !== null) {
      const file = m[1]!.split('/').pop()!
      const index = snippets.findIndex((_, i) => fileOf(i) === file)
      const key = index >= 0 ? fileOf(index) : m[1]!
      const at = index >= 0 ? `${snippets[index]!.doc}:${snippets[index]!.line + Number(m[2]) - 2}` : `${m[1]}:${m[2]}`
      last = diagnostics.get(key) ?? []
      last.push(`${at}: ${m[4]}`)
      diagnostics.set(key, last)
    } else if (line.trim() !== '' && last !== undefined) last.push(line)
  }
}, 240_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('every TypeScript block of the docs compiles under strict', () => {
  test('the blocks are found (README and docs/ have them)', () => {
    expect(snippets.filter((s) => s.doc === 'README.md').length).toBeGreaterThan(0)
    expect(snippets.filter((s) => s.doc.startsWith('docs/')).length).toBeGreaterThan(10)
  })

  test('the extractor reads fences, languages and hidden preludes', () => {
    const found = extractSnippets('x.md', ['<!-- prelude: declare const a: number -->', '```ts', 'a + 1', '```', '```sh', 'npm i', '```', '```typescript', 'const b = 2', '```'].join('\n'))
    expect(found).toEqual([
      { doc: 'x.md', line: 3, prelude: 'declare const a: number', code: 'a + 1' },
      { doc: 'x.md', line: 9, prelude: '', code: 'const b = 2' },
    ])
  })

  test('tsc reported nothing outside the blocks', () => {
    expect([...diagnostics.keys()].filter((k) => !snippets.some((_, i) => fileOf(i) === k))).toEqual([])
  })

  test.each(snippets.map((s, i) => [`${s.doc}:${s.line}`, i] as const))('%s', (_where, i) => {
    expect(diagnostics.get(fileOf(i)) ?? []).toEqual([])
  })
})

// The package as users get it: `npm pack`, install the tarball into a fresh project, then import
// every subpath of `exports` from ESM and require() it from CommonJS.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  exports: Record<string, unknown>
  [key: string]: unknown
}
// `n1guard/vitest/setup` is a Vitest setupFiles entry: it registers hooks, so it loads only inside
// Vitest (test/db/vitest-setup.test.ts runs it there).
const subpaths = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json' && k !== './vitest/setup')
  .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`))

let project: string
let tarball: string

beforeAll(async () => {
  // Inside the repository (git-ignored): the project's own node_modules gets n1guard from the
  // tarball, and optional peers (vitest, kysely, ...) resolve from the repository's node_modules.
  const scratch = join(root, '.tmp')
  mkdirSync(scratch, { recursive: true })
  project = mkdtempSync(join(scratch, 'package-'))
  // Built in place (no rm -rf dist): other test files may be reading dist/ right now.
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root })
  await run(process.execPath, [join(root, 'scripts', 'cts-types.mjs')], { cwd: root })
  const { stdout } = await run('npm', ['pack', '--pack-destination', project, '--silent'], { cwd: root })
  tarball = join(project, stdout.trim().split('\n').pop()!)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project })
}, 180_000)

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true })
})

describe('the packed package', () => {
  test('ships dist, the README and the LICENSE, and no sources, tests, examples or maps into sources it lacks', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    const files = stdout.split('\n').filter(Boolean)
    expect(files).toContain('package/dist/index.js')
    expect(files).toContain('package/dist/index.d.ts')
    expect(files).toContain('package/dist/index.d.cts')
    expect(files).toContain('package/README.md')
    expect(files).toContain('package/LICENSE')
    expect(files.some((f) => /^package\/(src|test|examples|bench)\//.test(f))).toBe(false)
    // A map would send stack traces and editors to src/, which the package does not contain.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    const installed = join(project, 'node_modules', pkg.name, 'dist')
    const { stdout: grep } = await run('grep', ['-rl', 'sourceMappingURL', installed]).catch(() => ({ stdout: '' }))
    expect(grep).toBe('')
  })

  test('package.json: main, types, repository, homepage, bugs; an MIT LICENSE that matches', () => {
    expect(pkg.main).toBe('./dist/index.js')
    expect(pkg.types).toBe('./dist/index.d.ts')
    expect(pkg.license).toBe('MIT')
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/)
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/n1guard\/n1guard\.git$/) })
    expect(pkg.homepage).toMatch(/^https:\/\/github\.com\/n1guard\/n1guard/)
    expect(pkg.bugs).toEqual({ url: 'https://github.com/n1guard/n1guard/issues' })
  })

  test('README links work on the package page: no relative link to a file the package does not ship', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]!)
    expect(links.length).toBeGreaterThan(0)
    const relative = links.filter((l) => !/^(?:https?:|mailto:|#)/.test(l))
    expect(relative).toEqual([])
  })

  test('the n1guard command (npx n1guard report) is installed from the tarball and runs', async () => {
    const bin = join(project, 'node_modules', '.bin', 'n1guard')
    const ndjson = join(project, 'findings.ndjson')
    writeFileSync(ndjson, '{"kind":"n-plus-one","scope":{"id":"s1","name":"GET /people"},"sql":"select * from pet where owner_id = ?","count":3}\n')
    const { stdout } = await run(bin, ['report', ndjson, '-o', join(project, 'report.html')], { cwd: project })
    expect(stdout).toContain('1 finding in 1 scope written to')
    expect(readFileSync(join(project, 'report.html'), 'utf8')).toContain('GET /people')
  })

  test('every subpath has its types and JavaScript in the tarball', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (key === './package.json') continue
      const t = target as { types: string; default: string }
      expect(stdout, key).toContain(`package/${t.types.slice(2)}`)
      expect(stdout, key).toContain(`package/${t.default.slice(2)}`)
    }
  })

  test.each(subpaths)('import("%s") from ESM', async (specifier) => {
    writeFileSync(join(project, 'esm.mjs'), `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`)
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project })
    const names = JSON.parse(stdout) as string[]
    expect(names.length).toBeGreaterThan(0)
    if (specifier === pkg.name) expect(names).toEqual(expect.arrayContaining(['createDetector', 'fingerprint', 'NPlusOneError']))
    if (specifier === `${pkg.name}/kysely`) expect(names).toContain('instrumentDialect')
    if (specifier === `${pkg.name}/pg`) expect(names).toEqual(expect.arrayContaining(['instrumentPool', 'instrumentClient']))
    const orm: Record<string, string> = {
      drizzle: 'instrumentDrizzle',
      prisma: 'instrumentPrisma',
      typeorm: 'instrumentTypeORM',
      'mikro-orm': 'instrumentMikroORM',
      sequelize: 'instrumentSequelize',
      knex: 'instrumentKnex',
    }
    const helper = orm[specifier.slice(pkg.name.length + 1)]
    if (helper !== undefined) expect(names).toEqual([helper])
  })

  test.each(subpaths)('require("%s") from CommonJS', async (specifier) => {
    writeFileSync(join(project, 'cjs.cjs'), `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`)
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project })
    expect((JSON.parse(stdout) as string[]).length).toBeGreaterThan(0)
  })

  test('the root works end to end from the installed package', async () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { createDetector, fingerprint } from 'n1guard'
const d = createDetector({ mode: 'silent' })
const report = await d.capture(async () => 42)
console.log(JSON.stringify({ result: report.result, shape: fingerprint('select * from pet where owner_id = 42').shape }))`,
    )
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project })
    expect(JSON.parse(stdout)).toEqual({ result: 42, shape: 'select * from pet where owner_id = ?' })
  })

  test('subpaths whose peer is type-only load in a project that has none of the peers', async () => {
    // Outside the repository, so no kysely, pg, express, fastify, koa, hono or vitest can resolve:
    // an adapter that imported its library at runtime would fail here.
    const bare = mkdtempSync(join(tmpdir(), 'n1guard-lean-'))
    try {
      writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'lean', version: '1.0.0', private: true }))
      await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: bare })
      const lean = subpaths.filter((s) => !/\/(vitest|otel)(\/|$)/.test(s))
      expect(lean).toEqual(expect.arrayContaining(['n1guard', 'n1guard/pg', 'n1guard/kysely']))
      writeFileSync(join(bare, 'lean.mjs'), `${lean.map((s) => `await import(${JSON.stringify(s)})`).join('\n')}\nconsole.log('ok')`)
      const { stdout } = await run(process.execPath, ['lean.mjs'], { cwd: bare })
      expect(stdout.trim()).toBe('ok')
    } finally {
      rmSync(bare, { recursive: true, force: true })
    }
  })

  // A consumer project per module setting, type-checking an import of every subpath. Each import
  // has an @ts-expect-error on a name the module does not export: if a subpath resolved to `any`
  // (no types found), that line would be an unused expectation and fail too.
  describe.concurrent('types resolve for a consumer under every module setting', () => {
    const allSubpaths = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`))
    const settings: Array<{ name: string; type: 'module' | 'commonjs'; options: Record<string, string>; typescripts: readonly string[] }> = [
      // node10 is gone from TypeScript 7 (deprecated in 6): only 5.9 can still use it.
      { name: 'node10', type: 'commonjs', options: { module: 'commonjs', moduleResolution: 'node10' }, typescripts: ['typescript'] },
      { name: 'node16-esm', type: 'module', options: { module: 'node16', moduleResolution: 'node16' }, typescripts: ['typescript', 'typescript-7'] },
      { name: 'node16-cjs', type: 'commonjs', options: { module: 'node16', moduleResolution: 'node16' }, typescripts: ['typescript', 'typescript-7'] },
      { name: 'nodenext-esm', type: 'module', options: { module: 'nodenext', moduleResolution: 'nodenext' }, typescripts: ['typescript', 'typescript-7'] },
      { name: 'nodenext-cjs', type: 'commonjs', options: { module: 'nodenext', moduleResolution: 'nodenext' }, typescripts: ['typescript', 'typescript-7'] },
      { name: 'bundler', type: 'module', options: { module: 'esnext', moduleResolution: 'bundler' }, typescripts: ['typescript', 'typescript-7'] },
    ]
    const source = [
      ...allSubpaths.map((s, i) => `import * as m${i} from ${JSON.stringify(s)}`),
      `import { createDetector } from ${JSON.stringify(pkg.name)}`,
      'export const detector = createDetector({ mode: \'silent\' })',
      'export const capture: Promise<{ result: number }> = detector.capture(async () => 1)',
      ...allSubpaths.map((s, i) => `// @ts-expect-error ${s} exports no such name\nexport const x${i} = m${i}.__not_exported__`),
      '',
    ].join('\n')
    const cases = settings.flatMap((s) => s.typescripts.map((ts) => [`${s.name} (${ts})`, s, ts] as const))

    test.each(cases)('%s', async (_label, setting, typescript) => {
      const dir = join(project, `types-${setting.name}-${typescript}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${setting.name}`, version: '1.0.0', private: true, type: setting.type }))
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...setting.options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
          files: ['index.ts'],
        }),
      )
      writeFileSync(join(dir, 'index.ts'), source)
      const tsc = join(root, 'node_modules', typescript, 'bin', 'tsc')
      const out = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir }).then(
        () => '',
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}` || String(error),
      )
      expect(out).toBe('')
    }, 120_000)
  })
})

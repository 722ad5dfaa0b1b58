#!/usr/bin/env node
// The version matrix: the whole test suite on Node 20, 22 and 24, with the oldest and newest Kysely
// and pg that n1guard supports. Not part of `npm test` (it runs the suite eight times).
//
//   npm run test:matrix                  oldest with oldest, newest with newest, on every Node
//   npm run test:matrix -- --full        every Kysely with every pg, on every Node
//   npm run test:matrix -- --node 22     one Node major only
//
// Kysely and pg releases are installed side by side as npm aliases (devDependencies `kysely-0-27`,
// `kysely-0-29`, `pg-8-0`); vitest.config.ts points `kysely` / `pg` at them from N1GUARD_KYSELY /
// N1GUARD_PG. Node binaries are the registry's `node-<platform>-<arch>` packages, installed once
// into node_modules/.cache/n1guard-matrix. Prints a table and exits 1 when any row fails.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const cache = join(root, 'node_modules', '.cache', 'n1guard-matrix')
const args = process.argv.slice(2)
const full = args.includes('--full')
const onlyNode = args.includes('--node') ? Number(args[args.indexOf('--node') + 1]) : undefined

const NODES = [20, 22, 24]
/** `alias`: the devDependency to point `kysely` / `pg` at; undefined for the plain devDependency. */
const KYSELY = [
  { alias: 'kysely-0-27', oldest: true },
  { alias: undefined },
  // ESM-only and `engines: node >= 22`.
  { alias: 'kysely-0-29', newest: true, minNode: 22 },
]
const PG = [{ alias: 'pg-8-0', oldest: true }, { alias: undefined, newest: true }]

// ORMs that bring their own pg: their files run only on a pg their package accepts (an app that
// installs them gets that pg whatever else it has). Every other row runs them.
const ORM_PG = [
  { file: 'test/db/orm-prisma.test.ts', pkg: '@prisma/adapter-pg' },
  { file: 'test/db/orm-mikro-orm.test.ts', pkg: '@mikro-orm/postgresql' },
  { file: 'test/db/orm-typeorm.test.ts', pkg: 'typeorm' },
]

/** The lowest pg version a package's `pg` dependency or peer range accepts ('8.16.3' for '^8.16.3'). */
function lowestPg(pkg) {
  const json = JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8'))
  const range = json.dependencies?.pg ?? json.peerDependencies?.pg ?? ''
  return /(\d+\.\d+\.\d+)/.exec(range)?.[1] ?? '0.0.0'
}

function older(a, b) {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i]
  return false
}

function versionOf(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}

/** A Node binary of the given major: this one, or the registry's package, installed once. */
function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  const pkg = `node-${process.platform}-${process.arch}`
  const dir = join(cache, `node-${major}`)
  const bin = join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true })
    console.log(`installing ${pkg}@^${major} into ${dir}`)
    const npm = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@^${major}`], {
      stdio: 'inherit',
      shell: process.platform === 'win32',
    })
    if (npm.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg}@^${major}`)
  }
  return bin
}

function rows() {
  const out = []
  for (const node of NODES) {
    if (onlyNode !== undefined && node !== onlyNode) continue
    for (const kysely of KYSELY) {
      if (kysely.minNode !== undefined && node < kysely.minNode) continue
      for (const pg of PG) {
        // By default: oldest Kysely with oldest pg, the others with the newest pg.
        if (!full && (kysely.oldest === true) !== (pg.oldest === true)) continue
        out.push({ node, kysely, pg })
      }
    }
  }
  return out
}

function summary(text) {
  // Vitest's closing lines, colours removed: "Tests  425 passed (425)", "Tests  2 failed | 423 passed (425)".
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '')
  const tests = /^\s*Tests\s+(.+)$/m.exec(plain)?.[1]?.trim() ?? 'no summary'
  const files = /^\s*Test Files\s+(.+)$/m.exec(plain)?.[1]?.trim() ?? ''
  return { tests, files }
}

const logs = join(cache, 'logs')
mkdirSync(logs, { recursive: true })
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const results = []

for (const { node, kysely, pg } of rows()) {
  const kyselyName = kysely.alias ?? 'kysely'
  const pgName = pg.alias ?? 'pg'
  const row = { node: '', kysely: versionOf(kyselyName), pg: versionOf(pgName) }
  let status = 'FAIL'
  let detail = ''
  const started = Date.now()
  try {
    const bin = nodeBinary(node)
    row.node = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()
    const env = {
      ...process.env,
      // Child processes the suite starts (tsx) run on the same Node.
      PATH: `${dirname(bin)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`,
      N1GUARD_EXPECT_KYSELY: row.kysely,
      N1GUARD_EXPECT_PG: row.pg,
      FORCE_COLOR: '0',
    }
    if (kysely.alias !== undefined) env.N1GUARD_KYSELY = kysely.alias
    else delete env.N1GUARD_KYSELY
    if (pg.alias !== undefined) env.N1GUARD_PG = pg.alias
    else delete env.N1GUARD_PG
    console.log(`\n▶ Node ${row.node}, Kysely ${row.kysely}, pg ${row.pg}`)
    const excluded = ORM_PG.filter((o) => older(row.pg, lowestPg(o.pkg)))
    for (const o of excluded) console.log(`  not run here: ${o.file} (${o.pkg} needs pg >= ${lowestPg(o.pkg)})`)
    const exclude = excluded.flatMap((o) => ['--exclude', o.file])
    const run = spawnSync(bin, [vitest, 'run', ...exclude], { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`
    const log = join(logs, `node${node}-kysely${row.kysely}-pg${row.pg}.log`)
    writeFileSync(log, output)
    const { tests, files } = summary(output)
    status = run.status === 0 ? 'pass' : 'FAIL'
    detail = `${tests}${files ? `; files ${files}` : ''}${excluded.length > 0 ? `; not run: ${excluded.map((o) => o.pkg).join(', ')}` : ''}`
    console.log(`  ${status}: ${detail} (log: ${log})`)
  } catch (error) {
    detail = String(error instanceof Error ? error.message : error)
    console.log(`  FAIL: ${detail}`)
  }
  results.push({ ...row, status, detail, seconds: Math.round((Date.now() - started) / 1000) })
}

const header = ['Node', 'Kysely', 'pg', 'result', 'tests', 'time']
const table = results.map((r) => [r.node, r.kysely, r.pg, r.status, r.detail, `${r.seconds} s`])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)))
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${table.map(line).join('\n')}`)
const failed = results.filter((r) => r.status !== 'pass').length
console.log(failed === 0 ? `\nall ${results.length} combinations pass` : `\n${failed} of ${results.length} combinations failed`)
process.exit(failed === 0 ? 0 : 1)

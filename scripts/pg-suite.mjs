#!/usr/bin/env node
// node-postgres' own integration tests, run bare and again with n1guard's pg adapter on every
// Client and Pool they make and every query inside one n1guard scope. Each test file must end the
// same way both times: n1guard has to be invisible to pg's own expectations. Then pg-cursor's and
// pg-query-stream's mocha suites (submittable queries), the same way, a scope per test. Not part
// of `npm test`.
//
//   npm run build && node --import tsx scripts/pg-suite.mjs <node-postgres checkout> [file filter]
//
// The tests run against the pg installed here (node_modules/pg), from a temporary copy of the
// checkout's packages/pg/test; their few dev dependencies are installed into that copy. PostgreSQL
// comes from DATABASE_URL, or an embedded server as in the test suite.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const [checkout, filter] = process.argv.slice(2)
const tests = checkout === undefined ? undefined : join(checkout, 'packages', 'pg', 'test')
if (tests === undefined || !existsSync(join(tests, 'integration'))) {
  console.error('usage: node scripts/pg-suite.mjs <node-postgres checkout> [file filter]')
  process.exit(2)
}
if (!existsSync(join(root, 'dist', 'pg', 'index.js'))) {
  console.error('build n1guard first: npm run build')
  process.exit(2)
}

// With N1=on: pg's Client and Pool classes instrumented before the tests read them, and at exit
// the number of queries n1guard recorded, over every scope.
const INSTRUMENT = `
  const pg = require(${JSON.stringify(join(root, 'node_modules', 'pg'))})
  const { createDetector, onScopeEnd } = require(${JSON.stringify(join(root, 'dist', 'index.js'))})
  const { instrumentClient, instrumentPool } = require(${JSON.stringify(join(root, 'dist', 'pg', 'index.js'))})
  const detector = createDetector({ mode: 'silent', reporters: [], advisor: false })
  let recorded = 0
  onScopeEnd((e) => { recorded += e.queryCount })
  process.on('exit', () => process.stderr.write('\\n[n1guard recorded ' + recorded + ' queries]\\n'))
  const { Client, Pool } = pg
  class N1Client extends Client { constructor(...a) { super(...a); instrumentClient(this, detector) } }
  class N1Pool extends Pool { constructor(...a) { super(...a); instrumentPool(this, detector) } }
  Object.defineProperty(pg, 'Client', { value: N1Client, configurable: true, writable: true })
  Object.defineProperty(pg, 'Pool', { value: N1Pool, configurable: true, writable: true })
`

// The runner each integration test file is loaded by: under N1=on, inside one scope.
const RUNNER = `const file = require('path').resolve(process.argv[2])
if (process.env.N1 === 'on') {${INSTRUMENT}
  const scope = detector.startScope('pg-suite')
  process.prependListener('exit', () => scope.end())
  scope.run(() => require(file))
} else {
  require(file)
}
`

// mocha --require for pg-cursor's and pg-query-stream's suites: each hook and test runs in a scope.
const MOCHA_HOOK = `if (process.env.N1 === 'on') {${INSTRUMENT}
  const Runnable = require('mocha/lib/runnable')
  const run = Runnable.prototype.run
  Runnable.prototype.run = function (fn) {
    const scope = detector.startScope(this.fullTitle())
    return scope.run(() => run.call(this, function (...args) { scope.end(); return fn.apply(this, args) }))
  }
}
`

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : name.endsWith('-tests.js') ? [path] : []
  })
}

const work = mkdtempSync(join(tmpdir(), 'n1guard-pg-suite-'))
let server
try {
  cpSync(tests, join(work, 'test'), { recursive: true })
  // pg-cursor's and pg-query-stream's tests import their package from '../' and '../src'.
  const suites = [
    { name: 'pg-cursor', glob: 'test/*.js', shim: 'index.js' },
    { name: 'pg-query-stream', glob: 'test/*.ts', shim: join('src', 'index.js') },
  ]
  for (const suite of suites) {
    const dir = join(work, suite.name)
    cpSync(join(checkout, 'packages', suite.name, 'test'), join(dir, 'test'), { recursive: true })
    mkdirSync(dirname(join(dir, suite.shim)), { recursive: true })
    const installed = JSON.stringify(join(root, 'node_modules', suite.name))
    writeFileSync(join(dir, suite.shim), `const m = require(${installed})\nmodule.exports = m\nmodule.exports.default = m.default ?? m\n`)
  }
  writeFileSync(join(work, 'mocha-hook.cjs'), MOCHA_HOOK)
  symlinkSync(join(root, 'node_modules', 'pg', 'lib'), join(work, 'lib'))
  writeFileSync(join(work, 'run.cjs'), RUNNER)
  writeFileSync(join(work, 'package.json'), '{ "name": "pg-suite", "private": true }\n')
  console.log('installing the tests\u2019 dev dependencies ...')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', 'async@2', 'bluebird@3', 'co@4', 'pg-copy-streams@0.3', 'mocha@11', 'JSONStream@1', 'concat-stream@1.0', 'stream-spec@0.3'], { cwd: work, stdio: 'ignore' })

  let url = process.env.DATABASE_URL
  if (url === undefined) {
    const { startPostgres } = await import(join(root, 'examples', 'support', 'postgres.ts')).catch(() => ({}))
    if (startPostgres === undefined) throw new Error('set DATABASE_URL, or run with: node --import tsx scripts/pg-suite.mjs ...')
    server = await startPostgres()
    url = server.url
  }
  const u = new URL(url)
  const env = {
    ...process.env,
    NODE_PATH: [join(work, 'node_modules'), join(root, 'node_modules')].join(':'),
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: u.pathname.slice(1) || 'postgres',
  }
  const run = (file, n1) => {
    const r = spawnSync(process.execPath, ['run.cjs', file], { cwd: work, env: { ...env, N1: n1 }, encoding: 'utf8', timeout: 60_000 })
    const out = `${r.stdout}${r.stderr}`
    return { status: r.status ?? 'timeout', recorded: Number(/n1guard recorded (\d+) queries/.exec(out)?.[1] ?? 0) }
  }
  const list = files(join(work, 'test', 'integration'))
    .map((f) => relative(work, f))
    .filter((f) => filter === undefined || f.includes(filter))
    .sort()
  let same = 0
  let recorded = 0
  const differ = []
  for (const file of list) {
    const bare = run(file, 'off')
    const on = run(file, 'on')
    recorded += on.recorded
    if (bare.status === on.status) same++
    else differ.push(`${file}: bare exit ${bare.status}, under n1guard exit ${on.status}`)
    const failedBoth = bare.status !== 0 && on.status === bare.status ? ' (fails bare too: this server)' : ''
    console.log(`${bare.status === on.status ? 'same' : 'DIFF'}  ${file}  exit ${bare.status}${failedBoth}`)
  }
  console.log(`\n${same} of ${list.length} files end the same bare and under n1guard; ${recorded.toLocaleString('en')} queries recorded under n1guard`)
  for (const suite of suites) {
    const mocha = (n1) => {
      const args = [join(work, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--require', join(root, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs'), '--require', join(work, 'mocha-hook.cjs'), '--extension', 'ts', '--extension', 'js', suite.glob]
      const r = spawnSync(process.execPath, args, { cwd: join(work, suite.name), env: { ...env, N1: n1 }, encoding: 'utf8', timeout: 300_000 })
      const out = `${r.stdout}${r.stderr}`
      const passing = Number(/(\d+) passing/.exec(out)?.[1] ?? 0)
      const failing = Number(/(\d+) failing/.exec(out)?.[1] ?? 0)
      return { status: r.status, passing, failing, recorded: Number(/n1guard recorded (\d+) queries/.exec(out)?.[1] ?? 0) }
    }
    const bare = mocha('off')
    const on = mocha('on')
    const ok = bare.status === on.status && bare.passing === on.passing && bare.failing === on.failing && bare.passing > 0
    if (!ok) differ.push(`${suite.name}: bare ${bare.passing} passing / ${bare.failing} failing, under n1guard ${on.passing} / ${on.failing}`)
    console.log(`${ok ? 'same' : 'DIFF'}  ${suite.name}: ${on.passing} passing, ${on.failing} failing under n1guard (bare ${bare.passing} / ${bare.failing}); ${on.recorded} queries recorded`)
  }
  for (const d of differ) console.log(`  ${d}`)
  process.exitCode = differ.length === 0 ? 0 : 1
} finally {
  await server?.stop()
  rmSync(work, { recursive: true, force: true })
}

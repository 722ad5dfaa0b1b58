// Log forging: a scope name from a decoded URL, an identifier in the SQL, a file or function name can
// hold newlines, escape sequences and bidi overrides. Nothing the console reporter (or the Vitest
// summary) prints may carry them raw: a crafted value must not print a fake "all clear" line,
// clear the screen or reorder what the reader sees.
import { describe, expect, test } from 'vitest'
import type { CallSite, Finding, ScopeReport } from '../../src/index.js'
import { consoleReporter } from '../../src/report/console-reporter.js'
import { jsonReporter } from '../../src/report/json-reporter.js'
import { printable } from '../../src/core/printable.js'
import { buildSummary, formatSummary } from '../../src/vitest/summary.js'

const EVIL = 'x\n\nn1guard: all clear\r\u001b[2J\u001b[H\u0007\u0000\u007f\u009b31m\u202eevil\u2066\u2028'
// Control characters a terminal acts on, or that reorder text: C0, DEL, C1, bidi controls, line separators.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/

function site(tag: string): CallSite {
  return { file: `src/${tag}${EVIL}.ts`, line: 3, column: 7, function: `fn${EVIL}` }
}

function evilFinding(kind: Finding['kind']): Finding {
  return {
    kind,
    id: 'f1',
    fingerprint: 'fp1',
    sql: `select * from "pet${EVIL}" where "owner_id" = ?`,
    count: 5,
    distinctParams: 5,
    callSite: site('loop'),
    parallel: false,
    totalDurationMs: 1.5,
    scope: { id: `id${EVIL}`, name: `GET /users/${EVIL}` },
    table: `pet${EVIL}`,
    hint: `load them in one query${EVIL}`,
    severity: 'high',
    proven: true,
    source: { sql: `select 1${EVIL}`, fingerprint: 'fp0', callSite: site('source'), table: `person${EVIL}`, queries: 1, rowCount: 5, column: `id${EVIL}`, param: 1 },
    pattern: [
      { sql: `select 2${EVIL}`, fingerprint: 'fp2', count: 5, callSite: site('a'), table: `a${EVIL}` },
      { sql: `select 3${EVIL}`, fingerprint: 'fp3', count: 5, callSite: site('b'), table: `b${EVIL}` },
    ],
    budget: 3,
    topShapes: [{ sql: `select 4${EVIL}`, fingerprint: 'fp4', count: 5, callSite: site('c'), table: `c${EVIL}` }],
  }
}

function printed(colors: boolean): string {
  let out = ''
  const reporter = consoleReporter({ colors, stream: { write: (chunk: string) => (out += chunk) } }) as { report(r: ScopeReport): void }
  const findings = (['n-plus-one', 'duplicate', 'query-budget'] as const).map(evilFinding)
  reporter.report({ scope: findings[0]!.scope, findings, queryCount: 9, durationMs: 2 })
  return out
}

describe('console reporter', () => {
  test('prints no control character from the data: every line is one of its own', () => {
    const out = printed(false)
    expect(out).not.toMatch(CONTROL)
    expect(out.split('\n').filter((line) => line.startsWith('n1guard:'))).toHaveLength(3)
    expect(out).not.toMatch(/^n1guard: all clear/m)
    // The values are still there, escaped, so the reader sees what came in.
    expect(out).toContain('GET /users/x\\n\\nn1guard: all clear\\r\\x1b[2J\\x1b[H\\x07\\x00\\x7f\\x9b31m\\u202eevil\\u2066\\u2028')
  })

  test('with colours, the only escape sequences are its own SGR codes', () => {
    const out = printed(true)
    expect(out).toMatch(/\u001b\[33m/)
    expect(out.replace(/\u001b\[\d+m/g, '')).not.toMatch(CONTROL)
  })
})

test('printable leaves ordinary text alone, non-Latin text included, and escapes the rest', () => {
  const text = 'select "naïve", \'日本語\', \'emoji 🐾\' from t where a = ?'
  expect(printable(text)).toBe(text)
  expect(printable('a\tb\u202ec')).toBe('a\\tb\\u202ec')
})

test('the Vitest summary escapes test names, scope names and SQL', () => {
  const f = evilFinding('n-plus-one')
  const lines = formatSummary(buildSummary([{ test: `t${EVIL}`, file: `f${EVIL}`, finding: f }]))
  expect(lines.join('\n')).not.toMatch(CONTROL)
})

test('the JSON reporter writes no raw control character, and the same data once parsed', () => {
  let out = ''
  const reporter = jsonReporter({ stream: { write: (chunk: string) => (out += chunk) } }) as { report(r: ScopeReport): void }
  const f = evilFinding('n-plus-one')
  reporter.report({ scope: f.scope, findings: [f], queryCount: 5, durationMs: 1 })
  expect(out.slice(0, -1)).not.toMatch(CONTROL)
  expect(JSON.parse(out).scope).toEqual(f.scope)
})

test('NPlusOneError messages and internal-error lines carry no control character from the data', async () => {
  const { NPlusOneError } = await import('../../src/index.js')
  const { internalError, resetInternalErrors } = await import('../../src/core/internal-error.js')
  const message = new NPlusOneError([evilFinding('n-plus-one')]).message
  expect(message).not.toMatch(CONTROL)
  expect(message).not.toMatch(/^n1guard: all clear/m)
  let said = ''
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => ((said += chunk), true)) as typeof process.stderr.write
  try {
    resetInternalErrors()
    internalError(`naming ${EVIL}`, new Error(`bad ${EVIL}`))
    internalError('a thrown string', `plain ${EVIL}`)
  } finally {
    process.stderr.write = write
    resetInternalErrors()
  }
  expect(said).toContain('all clear')
  expect(said).not.toMatch(CONTROL)
  expect(said).not.toMatch(/^n1guard: all clear/m)
})

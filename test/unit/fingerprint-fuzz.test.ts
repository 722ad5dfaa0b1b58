// Hostile SQL: `fingerprint` is on the path of every query, so whatever text an application (or an
// attacker, through an application that inlines input) sends, it must return a 16-hex id and a
// string shape, never throw, never hang, and stay linear in the input's length. Property-based with
// fast-check; the seed is fixed so CI is reproducible (N1GUARD_FUZZ_SEED / N1GUARD_FUZZ_RUNS explore
// further locally). fingerprint-robustness.test.ts keeps the seeded hand-written corpus.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { clearFingerprintCache, fingerprint, sqlInfo } from '../../src/fingerprint/index.js'

const SEED = Number(process.env.N1GUARD_FUZZ_SEED ?? 6_2024)
const RUNS = Number(process.env.N1GUARD_FUZZ_RUNS ?? 400)
const params = { seed: SEED, numRuns: RUNS }

/** The contract on any string: a 16-hex id, a string shape, the same answer twice. */
function holds(sql: string): boolean {
  const a = fingerprint(sql)
  if (!/^[0-9a-f]{16}$/.test(a.id) || typeof a.shape !== 'string') return false
  clearFingerprintCache()
  const b = fingerprint(sql)
  return a.id === b.id && a.shape === b.shape
}

// Every lexer state, its openers and closers, in and out of context.
const TOKENS = [
  ' ', '\n', '\t', '\r\n', "'", "''", '"', '""', '$', '$$', '$a$', '$tag$', '$1', '$2', '$10', '$99999', '?', '?|', '?&',
  '::', ':', '.', ',', '(', ')', '[', ']', ';', '--', '/*', '*/', '-', '+', '*', '/', '=', '<>', '<=', '!=', '||', '@>',
  "E'", "e'\\'", "B'", "X'", "N'", "U&'", 'U&"', 'UESCAPE', '\\', '0x1F', '1_000', '1e', '1.5E-3', '.5', '5.', '42', '-5',
  'select', 'SELECT', 'from', 'where', 'and', 'or', 'in', 'not', 'values', 'array', 'cast', 'as', 'interval', 'day',
  'true', 'false', 'null', 'default', 'insert', 'into', 'update', 'set', 'delete', 'merge', 'using', 'join', 'on',
  'with', 'recursive', 'lateral', 'any', 'all', 'limit', 'offset', 'begin', 'commit', 'savepoint', 'release',
  '"Pet"', 'pet', 'owner_id', 'é', '名前', 'ñandú', '\u0000', '\u00a0', '\u2028', '\ud83d', '\ude00', '\ud83d\ude00', '\uffff',
]

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => t.join(''))
const spacedSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => t.join(' '))

const prefix = fc.constantFrom('', 'select ', 'select * from t where a = ', 'insert into t values (', "update t set a = 'x', b = ")
const openers = fc.constantFrom("'", '"', '/*', '--', '$$', '$q$', "E'", "E'\\", "U&'", 'U&"', "B'", "X'", '$1::', '(', '[')
const tail = fc.string({ unit: 'binary', maxLength: 60 })
/** Strings, identifiers, comments and dollar quotes left open at every depth. */
const unterminated = fc.tuple(prefix, openers, tail).map(([p, o, t]) => `${p}${o}${t}`)

const nestedComment: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('', 'x', '*', '/', "'", '$$', '--'),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `/*${a}${b}*/`),
    tie('c').map((a) => `/*${a}`),
    tie('c').map((a) => `${a}*/`),
  ),
})).c

const tagChars = fc.constantFrom('a', 'b', 'Z', '_', '1', 'é', '名', '$', ' ')
const tag = fc.array(tagChars, { maxLength: 6 }).map((c) => c.join(''))
/** Dollar quotes with tags: matching, mismatched, nested, unterminated. */
const dollarQuoted = fc
  .tuple(tag, tag, fc.string({ unit: 'grapheme', maxLength: 30 }), fc.boolean())
  .map(([open, close, body, closed]) => `select $${open}$${body}${closed ? `$${close}$` : ''} from t where a = $${open}$`)

const unicodeIdent = fc
  .array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 })
  .map((names) => `select ${names.map((n, i) => (i % 2 === 0 ? `"${n.replace(/"/g, '""')}"` : n)).join(', ')} from ${names[0]} where ${names.at(-1)} = $1`)

describe('fingerprint never throws and always answers with a 16-hex id and a string shape', () => {
  test.each([
    ['random binary strings', fc.string({ unit: 'binary', maxLength: 300 })],
    ['random graphemes', fc.string({ unit: 'grapheme', maxLength: 300 })],
    ['SQL-ish token soup', tokenSoup],
    ['SQL-ish token soup, spaced', spacedSoup],
    ['unterminated strings, identifiers, comments and dollar quotes', unterminated],
    ['nested comments, balanced or not', nestedComment.map((c) => `select 1 ${c} from t`)],
    ['dollar quotes with tags', dollarQuoted],
    ['unicode identifiers, quoted and bare', unicodeIdent],
  ] as const)('%s', (_, arbitrary) => {
    fc.assert(fc.property(arbitrary as fc.Arbitrary<string>, holds), params)
  })

  test('thousands of parameters, in lists, rows and arrays', () => {
    const n = 10_000
    const ps = Array.from({ length: n }, (_, i) => `$${i + 1}`)
    const cases = [
      `select * from t where id in (${ps.join(', ')})`,
      `insert into t (a) values ${ps.map((p) => `(${p})`).join(', ')}`,
      `select ${ps.map((p) => `${p}::int`).join(', ')}`,
      `select * from t where id = any(array[${ps.join(',')}])`,
      `select * from t where ${ps.map((p, i) => `c${i} = ${p}`).join(' and ')}`,
    ]
    for (const sql of cases) expect(holds(sql), sql.slice(0, 60)).toBe(true)
    expect(fingerprint(cases[0]!).shape).toBe('select * from t where id in (...)')
  })
})

describe('cost grows linearly with the input (a complexity check, not a benchmark)', () => {
  // Each unit is built to hit one path that could go quadratic: a scan that restarts, a search
  // for a closing tag, backtracking over operator runs, list and row comparisons, deep nesting.
  // [what, opening text, unit repeated to the length, closing text]
  const units: Array<[string, string, string, string]> = [
    ['an unterminated string of doubled quotes', "'", "''", ''],
    ['escapes in an unterminated E-string', "E'", "\\'", ''],
    ['an unterminated quoted identifier, unicode inside', '"', '名前"" ', ''],
    ['an unterminated dollar quote full of other tags', '$q$', '$q $x$ ', ''],
    ['dollar tags that never close', '', '$a$ $b', ''],
    ['bare dollars', '', '$', ''],
    ['nested comment openers', '', '/* ', ''],
    ['closed comments', '', '/* x */ ', '1'],
    ['lone surrogates', '', '\ud83d', ''],
    ['operator runs with signs', 'a ', '+-', ' 1'],
    ['casts on parameters', '', '$1::numeric(10,2)::text, ', '1'],
    ['VALUES rows that almost match', 'insert into t values ', "(1, 'a', $1), (2, 'b', $2::int), ", '(3)'],
    ['IN lists of mixed values', '* from t where ', "a in (1, -2, 'x', $1) and ", 'true'],
    ['deep parentheses', '', '((', '1'],
    ['qualified names', '', 'a."b".', 'c'],
  ]

  // 1 MB against 10 KB of the same unit: linear is about 1, quadratic about 100. 100 KB is checked
  // first (quadratic: about 10), so a quadratic path fails in seconds instead of hanging on the
  // megabyte. Cost is CPU time, not wall time (a core taken by another process does not count),
  // and each side is the best of several runs: load and GC pauses only ever add time, so the
  // minimum is the honest cost, while a quadratic path is slow on every run. A suspicious ratio is
  // measured again a few times; a hopeless one (3 × the limit) is not.
  test.each(units)('1 MB of %s', (_, head, unit, end) => {
    const build = (length: number): string => `select ${head}${unit.repeat(Math.ceil(length / unit.length))}${end}`
    const perChar = (sql: string): number => {
      clearFingerprintCache()
      const start = process.cpuUsage()
      const info = sqlInfo(sql)
      const used = process.cpuUsage(start)
      expect(info.id).toMatch(/^[0-9a-f]{16}$/)
      // Microseconds of CPU; at least 1 so a run too short to register still divides.
      return Math.max(1, used.user + used.system) / sql.length
    }
    const best = (sql: string, runs: number): number => {
      let cost = Infinity
      for (let i = 0; i < runs; i++) cost = Math.min(cost, perChar(sql))
      return cost
    }
    const small = build(10_000)
    const smallCost = best(small, 15)
    for (const [length, limit, runs] of [[100_000, 5, 3], [1 << 20, 10, 2]] as const) {
      const sql = build(length)
      let ratio = best(sql, runs) / smallCost
      for (let retry = 0; retry < 4 && ratio >= limit && ratio < 3 * limit; retry++) ratio = Math.min(ratio, best(sql, runs) / smallCost)
      expect(ratio, `per-character CPU cost of ${length} characters over 10,000`).toBeLessThan(limit)
    }
  })
})

describe('shapes of valid statements are idempotent', () => {
  const ident = fc.constantFrom('pet', 'person', '"Pet"', 'owner_id', 'name', 'id', '"名前"', 'é', 't.a', 's."T"')
  const literal = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(Math.abs(d))),
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((s) => `$$${s.replace(/\$/g, '')}$$`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((s) => `E'${s.replace(/[\\']/g, '')}'`),
    fc.nat(50).map((n) => `$${n + 1}`),
    fc.constantFrom('true', 'false', 'null', '?', "date '2024-01-01'", "interval '1 day'", '-5', '$1::int', 'array[1, 2]'),
  )
  const comparison = fc
    .tuple(ident, fc.constantFrom('=', '<>', '<', '>=', 'like', 'is not'), literal)
    .map(([i, op, v]) => (op === 'is not' ? `${i} is not null` : `${i} ${op} ${v}`))
  const inList = fc.tuple(ident, fc.array(literal, { minLength: 1, maxLength: 6 })).map(([i, vs]) => `${i} in (${vs.join(', ')})`)
  const condition = fc.array(fc.oneof(comparison, inList), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(' and '))
  const comment = fc.constantFrom('', ' /* note */', ' -- note\n', ' /* a /* nested */ b */')
  const statement = fc.oneof(
    fc.tuple(fc.array(ident, { minLength: 1, maxLength: 4 }), ident, condition, comment, fc.nat(100)).map(
      ([cols, from, where, c, limit]) => `select ${cols.join(', ')} from ${from}${c} where ${where} order by 1 limit ${limit}`,
    ),
    fc.tuple(ident, fc.array(fc.array(literal, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 })).map(
      ([table, rows]) => `insert into ${table} (a, b) values ${rows.map((r) => `(${r.join(', ')})`).join(', ')} returning id`,
    ),
    fc.tuple(ident, ident, literal, condition).map(([table, col, v, where]) => `update ${table} set ${col} = ${v} where ${where}`),
    fc.tuple(ident, condition, comment).map(([table, where, c]) => `delete from ${table}${c} where ${where}`),
  )

  test('fingerprint(shape) has the same shape and id as the statement', () => {
    fc.assert(
      fc.property(statement, (sql) => {
        const once = fingerprint(sql)
        const twice = fingerprint(once.shape)
        expect(twice.shape).toBe(once.shape)
        expect(twice.id).toBe(once.id)
      }),
      params,
    )
  })
})

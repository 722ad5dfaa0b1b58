// sqlInfo is on the path of every query: it must never throw, never hang, and stay linear in the
// input on random and adversarial text. Inputs come from a seeded generator, so a failure is
// reproducible from the seed and the index printed in the message.
import { describe, expect, it } from 'vitest'
import { clearFingerprintCache, fingerprint, sqlInfo } from '../../src/fingerprint/index.js'
import { prng } from '../support/prng.js'

// Fragments chosen to hit every lexer state and every normaliser rule, including their
// unterminated and nested forms.
const FRAGMENTS = [
  ' ', '\n', '\t', "'", "''", '"', '""', '$', '$$', '$a$', '$1', '$99999', '?', '?|', '?&', '@?', '::', ':', '.', '...',
  ',', '(', ')', '[', ']', ';', '--', '/*', '*/', '-', '+', '*', '/', '=', '<', '>', '!', '@', '#', '%', '^', '&',
  '|', '`', '~', '\\', '{', '}', "E'", "e'\\'", "B'", "X'", "N'", "U&'", 'U&"', 'UESCAPE', '0x', '0b1', '0o7', '1_0',
  '1e', '1.5E-3', '.5', '5.', '42', '-5', 'select', 'from', 'where', 'and', 'in', 'not', 'values', 'array', 'cast',
  'as', 'interval', 'day', 'to', 'second', 'date', 'timestamp', 'with', 'time', 'zone', 'true', 'false', 'null',
  'default', 'insert', 'into', 'update', 'set', 'delete', 'merge', 'using', 'join', 'on', 'table', 'any', 'limit',
  'double', 'precision', 'character', 'varying', 'numeric', '"Pet"', 'pet', 'é', '名', '\u0000', '\u00a0', '\ud83d',
  '\ude00', '\ud83d\ude00', '\uffff',
]

function randomSqlish(rand: () => number, pieces: number): string {
  let s = ''
  for (let i = 0; i < pieces; i++) s += FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]!
  return s
}

function randomChars(rand: () => number, length: number, maxCode: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(rand() * maxCode))
  return s
}

function adversarial(rand: () => number, index: number): string {
  const n = 50 + Math.floor(rand() * 2000)
  switch (index % 16) {
    case 0:
      return '('.repeat(n) + 'select 1' + ')'.repeat(Math.floor(n / 2))
    case 1:
      return 'select ' + Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')
    case 2:
      return `select * from t where a in (${Array.from({ length: n }, (_, i) => `$${i + 1}::uuid`).join(',')}`
    case 3:
      return '/*'.repeat(n) + ' x ' + '*/'.repeat(Math.floor(n / 3))
    case 4:
      return `$${'a'.repeat(n)}$ ${`$${'a'.repeat(n - 1)}`.repeat(3)}`
    case 5:
      return "select '" + "''".repeat(n)
    case 6:
      return 'select a ' + '+-'.repeat(n)
    case 7:
      return 'select ' + 'cast('.repeat(n) + '$1 as int'
    case 8:
      return 'insert into t values ' + '(1, $1, default),'.repeat(n)
    case 9:
      return 'values ' + '(values '.repeat(n)
    case 10:
      return 'select ' + 'a.'.repeat(n) + '"b".'.repeat(n)
    case 11:
      return 'select ' + '?'.repeat(n) + ' ?|'.repeat(n)
    case 12:
      return 'select ' + '- '.repeat(n) + '1' + '::int'.repeat(n)
    case 13:
      return 'with ' + 'a as (select 1), '.repeat(n) + 'select * from a'
    case 14:
      return `select * from t where a = ${'$1::numeric('.repeat(n)}`
    default:
      return randomSqlish(rand, n)
  }
}

const kinds = new Set(['select', 'insert', 'update', 'delete', 'merge', 'transaction', 'utility'])

function check(sql: string, label: string): void {
  let info
  try {
    info = sqlInfo(sql)
  } catch (error) {
    throw new Error(`sqlInfo threw on ${label}: ${JSON.stringify(sql.slice(0, 200))}`, { cause: error })
  }
  expect(info.id, label).toMatch(/^[0-9a-f]{16}$/)
  expect(typeof info.shape, label).toBe('string')
  expect(kinds.has(info.kind), label).toBe(true)
  expect(Number.isInteger(info.literalKey) && info.literalKey >= 0 && info.literalKey < 2 ** 32, label).toBe(true)
  expect(fingerprint(sql), label).toBe(info.fingerprint)
}

describe('robustness', () => {
  it('never throws on a few thousand random and adversarial strings', () => {
    const seed = 20_240_601
    const rand = prng(seed)
    let count = 0
    for (let i = 0; i < 1500; i++) {
      check(randomSqlish(rand, 1 + Math.floor(rand() * 60)), `seed ${seed} sqlish #${i}`)
      count++
    }
    for (let i = 0; i < 500; i++) {
      check(randomChars(rand, Math.floor(rand() * 200), 256), `seed ${seed} bytes #${i}`)
      check(randomChars(rand, Math.floor(rand() * 200), 0x10000), `seed ${seed} utf16 #${i}`)
      count += 2
    }
    for (let i = 0; i < 512; i++) {
      check(adversarial(rand, i), `seed ${seed} adversarial #${i}`)
      count++
    }
    expect(count).toBeGreaterThanOrEqual(3000)
  })

  it('handles thousands of parameters and deep nesting', () => {
    const params = Array.from({ length: 20_000 }, (_, i) => `$${i + 1}`)
    expect(sqlInfo(`select * from t where a in (${params.join(', ')})`).shape).toBe('select * from t where a in (...)')
    expect(sqlInfo(`select ${params.join(', ')}`).shape).toBe(`select ${params.map(() => '?').join(', ')}`)
    const deep = `select ${'('.repeat(50_000)}1${')'.repeat(50_000)}`
    expect(sqlInfo(deep).shape).toBe(`select ${'('.repeat(50_000)}?${')'.repeat(50_000)}`)
    expect(sqlInfo('('.repeat(100_000)).id).toMatch(/^[0-9a-f]{16}$/)
  })

  it('grows linearly with input length (a complexity check, not a benchmark)', () => {
    // One adversarial unit mixing every lexer state, nested lists, casts and operator runs.
    const unit =
      "select $1::int[], '--''x', /* /* */ */ \"a\"\"b\", $q$ $1 ' $q$, e'\\'', x=-5, b - 3, d ?| ?, " +
      "interval '1' day, cast(? as text), a in (1, -2, 'x'), array[1, 2], (((a))) from t where a.b.c = ? and "
    const build = (length: number): string => {
      let s = ''
      while (s.length < length) s += unit
      return s + 'values (1, 2), (3, 4), ' + '+-'.repeat(20) + " 'unterminated"
    }
    const small = build(10_000)
    const large = build(1_000_000)
    const perChar = (sql: string, runs: number): number => {
      let best = Infinity
      for (let run = 0; run < runs; run++) {
        clearFingerprintCache()
        const start = process.hrtime.bigint()
        sqlInfo(sql)
        best = Math.min(best, Number(process.hrtime.bigint() - start))
      }
      return best / sql.length
    }
    perChar(small, 20) // warm up the JIT on the small input first
    const smallCost = perChar(small, 20)
    const largeCost = perChar(large, 3)
    expect(largeCost / smallCost).toBeLessThan(5)
  })
})

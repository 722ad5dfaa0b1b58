// Property tests on generated, valid-looking SQL: one statement structure written many ways
// (values, parameter numbers, casts, list lengths, whitespace, comments, keyword case) must keep
// one id, and every shape must fingerprint to itself.
import { describe, expect, it } from 'vitest'
import { fingerprint, sqlInfo } from '../../src/fingerprint/index.js'
import { prng } from '../support/prng.js'

type Rand = () => number

const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!

// Token sequences are joined by the writer below; `(`, `)` and `,` may touch their neighbours.
class Writer {
  readonly parts: string[] = []
  constructor(private readonly r: Rand) {}

  kw(word: string): this {
    const r = this.r()
    this.parts.push(r < 0.4 ? word : r < 0.8 ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1))
    return this
  }

  raw(...tokens: string[]): this {
    this.parts.push(...tokens)
    return this
  }

  text(): string {
    let out = ''
    for (const [i, part] of this.parts.entries()) {
      if (i > 0) {
        const glue = /^[(),]$/.test(part) || /^[(),]$/.test(this.parts[i - 1]!)
        const r = this.r()
        out += glue && r < 0.5 ? '' : r < 0.7 ? ' ' : r < 0.8 ? '\n  ' : r < 0.9 ? ' /* c */ ' : ' -- note\n'
      }
      out += part
    }
    return this.r() < 0.3 ? `${out};` : out
  }
}

let paramCounter = 0

function value(r: Rand): string {
  switch (Math.floor(r() * 17)) {
    case 0:
      return `$${++paramCounter}`
    case 1:
      return '?'
    case 2:
      return String(Math.floor(r() * 1000))
    case 3:
      return `-${Math.floor(r() * 100)}`
    case 4:
      return `- ${(r() * 100).toFixed(2)}`
    case 5:
      return '1.5e-3'
    case 6:
      return "'it''s'"
    case 7:
      return "E'a\\'b'"
    case 8:
      return '$$ -- not a comment $$'
    case 9:
      return r() < 0.5 ? 'true' : 'FALSE'
    case 10:
      return "date '2020-01-01'"
    case 11:
      return "interval '1' day"
    case 12:
      return `$${++paramCounter}::int`
    case 13:
      return "'x'::text"
    case 14:
      return `cast($${++paramCounter} as numeric(10, 2))`
    case 15:
      return '0x1F'
    default:
      return `$${++paramCounter}::timestamp with time zone`
  }
}

function list(r: Rand): string[] {
  const n = 1 + Math.floor(r() * 6)
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    if (i > 0) out.push(',')
    out.push(value(r))
  }
  return out
}

const TABLES = ['pet', '"pet"', 'person', '"Person"', 'public.toy', '"public"."toy"']
const COLUMNS = ['id', 'owner_id', '"Name"', 'species', 'created_at']
const OPS = ['=', '<>', '<', '>=', 'like']

function condition(s: Rand, r: Rand, w: Writer, depth = 0): void {
  const col = pick(s, COLUMNS)
  switch (Math.floor(s() * (depth > 1 ? 7 : 8))) {
    case 0:
      w.raw(col, pick(s, OPS), value(r))
      return
    case 1:
      w.raw(col).kw('in').raw('(', ...list(r), ')')
      return
    case 2:
      w.raw(col).kw('not').kw('in').raw('(', ...list(r), ')')
      return
    case 3:
      w.raw(col, '=').kw('any').raw('(').kw('array').raw('[', ...list(r), ']', ')')
      return
    case 4:
      w.raw(col).kw('is').kw(pick(s, ['null', 'not null']))
      return
    case 5:
      w.raw(col).kw('between').raw(value(r)).kw('and').raw(value(r))
      return
    case 6:
      w.raw(value(r), pick(s, ['=', '<', '>']), col)
      return
    default:
      w.raw('(')
      condition(s, r, w, depth + 1)
      w.kw('or')
      condition(s, r, w, depth + 1)
      w.raw(')')
  }
}

function statement(structureSeed: number, r: Rand): string {
  const s = prng(structureSeed)
  const w = new Writer(r)
  const table = pick(s, TABLES)
  switch (Math.floor(s() * 4)) {
    case 0: {
      w.kw('select').raw(pick(s, ['*', 'id', '"Name", species'])).kw('from').raw(table)
      if (s() < 0.5) w.kw('join').raw('toy').kw('on').raw('toy.pet_id', '=', `${table}.id`)
      w.kw('where')
      condition(s, r, w)
      const more = Math.floor(s() * 3)
      for (let i = 0; i < more; i++) {
        w.kw(pick(s, ['and', 'or']))
        condition(s, r, w)
      }
      if (s() < 0.5) w.kw('order').kw('by').raw(pick(s, COLUMNS))
      if (s() < 0.5) w.kw('limit').raw(value(r)).kw('offset').raw(value(r))
      break
    }
    case 1: {
      const columns = 1 + Math.floor(s() * 4)
      const names = COLUMNS.slice(0, columns)
      w.kw('insert').kw('into').raw(table, '(', ...names.flatMap((c, i) => (i > 0 ? [',', c] : [c])), ')').kw('values')
      const rows = 1 + Math.floor(r() * 8)
      for (let row = 0; row < rows; row++) {
        if (row > 0) w.raw(',')
        w.raw('(', ...names.flatMap((_, i) => (i > 0 ? [',', value(r)] : [value(r)])), ')')
      }
      if (s() < 0.5) w.kw('on').kw('conflict').raw('(', 'id', ')').kw('do').kw('update').kw('set').raw('species', '=', 'excluded.species')
      if (s() < 0.5) w.kw('returning').raw('*')
      break
    }
    case 2: {
      w.kw('update').raw(table).kw('set').raw(pick(s, COLUMNS), '=', value(r))
      if (s() < 0.5) w.raw(',', pick(s, COLUMNS), '=').kw('now').raw('(', ')')
      w.kw('where')
      condition(s, r, w)
      break
    }
    default: {
      w.kw('delete').kw('from').raw(table).kw('where')
      condition(s, r, w)
      if (s() < 0.5) w.kw('returning').raw('id')
    }
  }
  return w.text()
}

describe('generated statements', () => {
  it('keep one id however their values, lists, whitespace and keyword case are written', () => {
    const writes = prng(99)
    for (let structure = 1; structure <= 300; structure++) {
      const variants = Array.from({ length: 4 }, () => {
        paramCounter = Math.floor(writes() * 5)
        return statement(structure, writes)
      })
      const first = fingerprint(variants[0]!)
      for (const v of variants.slice(1)) expect(fingerprint(v).id, `${variants[0]}\n  vs\n${v}`).toBe(first.id)
      for (const v of variants) {
        const fp = fingerprint(v)
        expect(fingerprint(fp.shape), v).toEqual(fp)
        expect(sqlInfo(v).kind).toBe(sqlInfo(variants[0]!).kind)
      }
    }
  })
})

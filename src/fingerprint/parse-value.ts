// Small recursive-descent helpers over a token stream: type names (for casts and typed literals)
// and "plain values" (a parameter or literal, possibly cast). Every lookahead is bounded or moves
// strictly forward over tokens the caller then skips, which keeps normalisation linear.

import { isOperandKeyword, KF, keywordFlags, KW } from './keywords.js'
import { Tok, type Tokens } from './tokenizer.js'

/**
 * The keyword id ({@link KW}) of token `i` when it is an unquoted identifier that is a keyword,
 * else 0 (also out of range).
 *
 * @example
 * keyword(tokenize('SELECT "x"'), 0) === KW.select // true
 * keyword(tokenize('SELECT "x"'), 1)               // 0
 */
export function keyword(t: Tokens, i: number): number {
  return i >= 0 && i < t.count ? t.keywords[i]! : 0
}

// A type modifier list is short (`(10, 2)`, `(Point, 4326)`); never scan further than this.
const MAX_TYPMOD_TOKENS = 16
const MAX_CAST_NESTING = 8

function isIntervalField(id: number): boolean {
  return (keywordFlags(id) & KF.IntervalField) !== 0
}

function skipTypmod(t: Tokens, k: number): number {
  const kinds = t.kinds
  if (kinds[k] !== Tok.LParen) return k
  const limit = Math.min(t.count, k + 1 + MAX_TYPMOD_TOKENS)
  for (let i = k + 1; i < limit; i++) {
    switch (kinds[i]) {
      case Tok.RParen:
        return i + 1
      case Tok.Number:
      case Tok.Ident:
      case Tok.QIdent:
      case Tok.Comma:
      case Tok.QMark:
        continue
      default:
        return k
    }
  }
  return k
}

function skipIntervalFields(t: Tokens, k: number): number {
  if (!isIntervalField(keyword(t, k))) return k
  k++
  if (keyword(t, k) === KW.to && isIntervalField(keyword(t, k + 1))) k += 2
  return skipTypmod(t, k)
}

/**
 * Parses a type name starting at token `j`, as written after `::` or before a typed literal:
 * qualified names, quoted names, the multi-word SQL types (`double precision`, `character
 * varying`, `timestamp with time zone`, `interval day to second`), a modifier list and array
 * bounds. Returns the index of the first token after it, or -1.
 *
 * @example
 * parseTypeName(tokenize('x::numeric(10, 2)[] y'), 2) // 10, the index of `y`
 */
export function parseTypeName(t: Tokens, j: number): number {
  const kinds = t.kinds
  const k0 = kinds[j]
  if (k0 !== Tok.Ident && k0 !== Tok.QIdent) return -1
  // The keyword id of a one-part type name, else 0.
  let first = keyword(t, j)
  let k = j + 1
  while (kinds[k] === Tok.Dot && (kinds[k + 1] === Tok.Ident || kinds[k + 1] === Tok.QIdent)) {
    k += 2
    first = 0
  }
  if (first === KW.double) {
    if (keyword(t, k) === KW.precision) k++
  } else if (first === KW.national) {
    const w = keyword(t, k)
    if (w === KW.character || w === KW.char) {
      k++
      first = w
    }
  }
  if ((first === KW.character || first === KW.char || first === KW.bit || first === KW.nchar) && keyword(t, k) === KW.varying) k++
  if (first === KW.interval) {
    k = skipTypmod(t, k)
    k = skipIntervalFields(t, k)
  } else {
    k = skipTypmod(t, k)
  }
  if (first === KW.timestamp || first === KW.time) {
    const w = keyword(t, k)
    if ((w === KW.with || w === KW.without) && keyword(t, k + 1) === KW.time && keyword(t, k + 2) === KW.zone) k += 3
  }
  for (;;) {
    if (kinds[k] !== Tok.LBracket) break
    if (kinds[k + 1] === Tok.RBracket) k += 2
    else if (kinds[k + 1] === Tok.Number && kinds[k + 2] === Tok.RBracket) k += 3
    else break
  }
  return k
}

/**
 * What the last successful {@link parseValue} found. Module state instead of a returned object
 * so the hot path allocates nothing.
 *
 * @example
 * parseValue(tokenize('$3::int'), 0, true)
 * lastValue // { literal: false, param: 0 } (token 0 is `$3`)
 */
export const lastValue = {
  /** True when the value is an inlined literal rather than a parameter or `?`. */
  literal: false,
  /** Token index of the `$n` parameter the value is made of, or -1. */
  param: -1,
}

let castNesting = 0

/**
 * Parses a plain value at token `i`: a parameter, `?`, a number or string literal, `true` /
 * `false`, `CAST(value AS type)`, and in operand position also a negative number and a typed
 * literal (`date '2020-01-01'`, `interval (2) '1 s'`, `interval $1`); any of them followed by
 * `::type` casts. Returns the index after the value, or -1 (then {@link lastValue} is stale).
 *
 * @example
 * parseValue(tokenize("$1::uuid"), 0, true)          // 3
 * parseValue(tokenize("- 5"), 0, true)               // 2
 * parseValue(tokenize("interval '1' day"), 0, true)  // 3
 */
export function parseValue(t: Tokens, i: number, operand: boolean): number {
  const kinds = t.kinds
  let k = -1
  let literal = false
  let param = -1
  switch (kinds[i]) {
    case Tok.Param:
      k = i + 1
      param = i
      break
    case Tok.QMark:
      k = i + 1
      break
    case Tok.Number:
      k = i + 1
      literal = true
      break
    case Tok.String:
      k = continuedString(t, i + 1)
      literal = true
      break
    case Tok.Op:
      if (operand && kinds[i + 1] === Tok.Number && t.ends[i]! - t.starts[i]! === 1 && t.sql.charCodeAt(t.starts[i]!) === 45) {
        k = i + 2
        literal = true
      }
      break
    case Tok.Ident: {
      const w = keyword(t, i)
      if (w === KW.true || w === KW.false) {
        k = i + 1
        literal = true
      } else if (w === KW.cast && kinds[i + 1] === Tok.LParen) {
        if (castNesting >= MAX_CAST_NESTING) return -1
        castNesting++
        const inner = parseValue(t, i + 2, true)
        castNesting--
        if (inner >= 0 && keyword(t, inner) === KW.as) {
          literal = lastValue.literal
          param = lastValue.param
          const end = parseTypeName(t, inner + 1)
          if (end >= 0 && kinds[end] === Tok.RParen) k = end + 1
        }
      } else if (operand && w !== KW.null && !isOperandKeyword(w)) {
        k = typedLiteral(t, i, w === KW.interval)
        if (k >= 0) {
          literal = lastValue.literal
          param = lastValue.param
        }
      }
      break
    }
    case Tok.QIdent:
      if (operand) {
        k = typedLiteral(t, i, false)
        if (k >= 0) {
          literal = lastValue.literal
          param = lastValue.param
        }
      }
      break
  }
  if (k < 0) return -1
  while (kinds[k] === Tok.Cast) {
    const end = parseTypeName(t, k + 1)
    if (end < 0) break
    k = end
  }
  lastValue.literal = literal
  lastValue.param = param
  return k
}

// 'foo'<newline>'bar' is one literal in PostgreSQL: a string followed by a plain quoted string
// with a newline in between continues it.
function continuedString(t: Tokens, k: number): number {
  const { sql, kinds, starts, ends } = t
  while (kinds[k] === Tok.String && sql.charCodeAt(starts[k]!) === 39 && hasNewline(sql, ends[k - 1]!, starts[k]!)) k++
  return k
}

function hasNewline(sql: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = sql.charCodeAt(i)
    if (c === 10 || c === 13) return true
  }
  return false
}

// `type 'string'`, and for interval also `interval (p) $n` (which pg_query accepts too).
function typedLiteral(t: Tokens, i: number, interval: boolean): number {
  const end = parseTypeName(t, i)
  if (end < 0) return -1
  const kind = t.kinds[end]
  if (kind === Tok.String) {
    lastValue.literal = true
    lastValue.param = -1
    const after = continuedString(t, end + 1)
    return interval ? skipIntervalFields(t, after) : after
  }
  if (interval && (kind === Tok.Param || kind === Tok.QMark)) {
    lastValue.literal = false
    lastValue.param = kind === Tok.Param ? end : -1
    return end + 1
  }
  return -1
}

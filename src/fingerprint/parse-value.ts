// Small recursive-descent helpers over a token stream: type names (for casts and typed literals)
// and "plain values" (a parameter or literal, possibly cast). Every lookahead is bounded or moves
// strictly forward over tokens the caller then skips, which keeps normalisation linear.

import { CH } from './char-codes.js'
import { isOperandKeyword, KF, keywordFlags, KW } from './keywords.js'
import { Tok, type Tokens } from './tokenizer.js'

// Character codes and token kinds as module constants: V8 folds these into the compiled code,
// while each read of an imported binding or of an imported object's property is a load and a check.
const { CR, LF, MINUS, SQUOTE } = CH
const { Cast: T_CAST, Comma: T_COMMA, Dot: T_DOT, Ident: T_IDENT, LBracket: T_LBRACKET, LParen: T_LPAREN,
  Number: T_NUMBER, Op: T_OP, Param: T_PARAM, QIdent: T_QIDENT, QMark: T_QMARK, RBracket: T_RBRACKET,
  RParen: T_RPAREN, String: T_STRING } = Tok

// Keyword ids and flags as module constants: V8 folds these into the compiled code, while each
// read of a property of an imported object is a load and a check.
const { as: K_AS, bit: K_BIT, cast: K_CAST, char: K_CHAR, character: K_CHARACTER, double: K_DOUBLE,
  false: K_FALSE, interval: K_INTERVAL, national: K_NATIONAL, nchar: K_NCHAR, null: K_NULL,
  precision: K_PRECISION, time: K_TIME, timestamp: K_TIMESTAMP, to: K_TO, true: K_TRUE, varying: K_VARYING,
  with: K_WITH, without: K_WITHOUT, zone: K_ZONE,
} = KW
const { IntervalField: KF_INTERVAL_FIELD, TypeWord: KF_TYPE_WORD } = KF

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
  return (keywordFlags(id) & KF_INTERVAL_FIELD) !== 0
}

function skipTypmod(t: Tokens, k: number): number {
  const kinds = t.kinds
  if (kinds[k] !== T_LPAREN) return k
  const limit = Math.min(t.count, k + 1 + MAX_TYPMOD_TOKENS)
  for (let i = k + 1; i < limit; i++) {
    switch (kinds[i]) {
      case T_RPAREN:
        return i + 1
      case T_NUMBER:
      case T_IDENT:
      case T_QIDENT:
      case T_COMMA:
      case T_QMARK:
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
  if (keyword(t, k) === K_TO && isIntervalField(keyword(t, k + 1))) k += 2
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
  if (k0 !== T_IDENT && k0 !== T_QIDENT) return -1
  // The keyword id of a one-part type name, else 0.
  let first = keyword(t, j)
  let k = j + 1
  while (kinds[k] === T_DOT && (kinds[k + 1] === T_IDENT || kinds[k + 1] === T_QIDENT)) {
    k += 2
    first = 0
  }
  if (first === K_DOUBLE) {
    if (keyword(t, k) === K_PRECISION) k++
  } else if (first === K_NATIONAL) {
    const w = keyword(t, k)
    if (w === K_CHARACTER || w === K_CHAR) {
      k++
      first = w
    }
  }
  if ((first === K_CHARACTER || first === K_CHAR || first === K_BIT || first === K_NCHAR) && keyword(t, k) === K_VARYING) k++
  if (first === K_INTERVAL) {
    k = skipTypmod(t, k)
    k = skipIntervalFields(t, k)
  } else {
    k = skipTypmod(t, k)
  }
  if (first === K_TIMESTAMP || first === K_TIME) {
    const w = keyword(t, k)
    if ((w === K_WITH || w === K_WITHOUT) && keyword(t, k + 1) === K_TIME && keyword(t, k + 2) === K_ZONE) k += 3
  }
  for (;;) {
    if (kinds[k] !== T_LBRACKET) break
    if (kinds[k + 1] === T_RBRACKET) k += 2
    else if (kinds[k + 1] === T_NUMBER && kinds[k + 2] === T_RBRACKET) k += 3
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
    case T_PARAM:
      k = i + 1
      param = i
      break
    case T_QMARK:
      k = i + 1
      break
    case T_NUMBER:
      k = i + 1
      literal = true
      break
    case T_STRING:
      k = continuedString(t, i + 1)
      literal = true
      break
    case T_OP:
      if (operand && kinds[i + 1] === T_NUMBER && t.ends[i]! - t.starts[i]! === 1 && t.codes[t.starts[i]!] === MINUS) {
        k = i + 2
        literal = true
      }
      break
    case T_IDENT: {
      const w = keyword(t, i)
      if (w === K_TRUE || w === K_FALSE) {
        k = i + 1
        literal = true
      } else if (w === K_CAST && kinds[i + 1] === T_LPAREN) {
        if (castNesting >= MAX_CAST_NESTING) return -1
        castNesting++
        const inner = parseValue(t, i + 2, true)
        castNesting--
        if (inner >= 0 && keyword(t, inner) === K_AS) {
          literal = lastValue.literal
          param = lastValue.param
          const end = parseTypeName(t, inner + 1)
          if (end >= 0 && kinds[end] === T_RPAREN) k = end + 1
        }
      } else if (operand && w !== K_NULL && !isOperandKeyword(w)) {
        k = typedLiteral(t, i, w === K_INTERVAL)
        if (k >= 0) {
          literal = lastValue.literal
          param = lastValue.param
        }
      }
      break
    }
    case T_QIDENT:
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
  while (kinds[k] === T_CAST) {
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
  const { codes, kinds, starts, ends } = t
  while (kinds[k] === T_STRING && codes[starts[k]!] === SQUOTE && hasNewline(codes, ends[k - 1]!, starts[k]!)) k++
  return k
}

function hasNewline(codes: Uint16Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = codes[i]
    if (c === LF || c === CR) return true
  }
  return false
}

/**
 * Whether a typed literal can start at name token `i`: a cheap necessary condition, as most names
 * in operand position are columns. Only a multi-word type name goes on with a word; any other
 * name is followed, after its dotted parts, by its string, a modifier list or array bounds.
 *
 * @example
 * mayStartTypedLiteral(tokenize("date '2020-01-01'"), 0) // true
 * mayStartTypedLiteral(tokenize('a, b'), 0)              // false
 */
export function mayStartTypedLiteral(t: Tokens, i: number): boolean {
  if ((keywordFlags(t.keywords[i]!) & KF_TYPE_WORD) !== 0) return true
  const kinds = t.kinds
  let k = i + 1
  while (kinds[k] === T_DOT && (kinds[k + 1] === T_IDENT || kinds[k + 1] === T_QIDENT)) k += 2
  const next = kinds[k]
  return next === T_STRING || next === T_LPAREN || next === T_LBRACKET
}

// `type 'string'`, and for interval also `interval (p) $n` (which pg_query accepts too).
function typedLiteral(t: Tokens, i: number, interval: boolean): number {
  if (!mayStartTypedLiteral(t, i)) return -1
  const end = parseTypeName(t, i)
  if (end < 0) return -1
  const kind = t.kinds[end]
  if (kind === T_STRING) {
    lastValue.literal = true
    lastValue.param = -1
    const after = continuedString(t, end + 1)
    return interval ? skipIntervalFields(t, after) : after
  }
  if (interval && (kind === T_PARAM || kind === T_QMARK)) {
    lastValue.literal = false
    lastValue.param = kind === T_PARAM ? end : -1
    return end + 1
  }
  return -1
}

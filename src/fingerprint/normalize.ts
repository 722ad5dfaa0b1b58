// Token stream -> shape, id and literal key. One left-to-right pass emits output tokens and
// collapses lists when they close (so inner lists collapse before the rows that contain them);
// then one pass hashes and one renders. Output tokens are integers that point back into the
// input: no string is built for a token, and the shape is copied from runs of the input text.

import type { Buffer } from 'node:buffer'

import { codeBuffer, decodeCodes, grown, Reuse } from './buffers.js'
import { CH, isIdentCont, isOperatorChar } from './char-codes.js'
import { Hash32, Hash64 } from './hash.js'
import { isOperandKeyword, KW } from './keywords.js'
import { lastValue, mayStartTypedLiteral, parseValue } from './parse-value.js'
import { bareParametersEnd, punctuationIntroducesOperand, Tok, tokenize, type Tokens } from './tokenizer.js'

// Character codes and token kinds as module constants: V8 folds these into the compiled code,
// while each read of an imported binding or of an imported object's property is a load and a check.
const { AT, CASE_BIT, COLON, DOLLAR, DOT, DQUOTE, D0, D9, EQ, LOWER_A, LOWER_Z, MINUS, NON_ASCII, QUESTION, SLASH,
  SPACE, STAR, UNDERSCORE, UPPER_A, UPPER_Z } = CH
const { Cast: T_CAST, Colon: T_COLON, Comma: T_COMMA, Dot: T_DOT, Ellipsis: T_ELLIPSIS, Ident: T_IDENT,
  LBracket: T_LBRACKET, LParen: T_LPAREN, Number: T_NUMBER, Op: T_OP, Other: T_OTHER, Param: T_PARAM,
  QIdent: T_QIDENT, QMark: T_QMARK, RBracket: T_RBRACKET, RParen: T_RPAREN, Semi: T_SEMI, String: T_STRING } = Tok

// Keyword ids as module constants: V8 folds these into the compiled code, while each read of a
// property of an imported object is a load and a check.
const { array: K_ARRAY, cast: K_CAST, false: K_FALSE, in: K_IN, true: K_TRUE, values: K_VALUES } = KW

/**
 * The normalised form of one SQL text.
 *
 * @example
 * normalize(tokenize('SELECT * FROM pet WHERE id = 42'))
 * // { shape: 'SELECT * FROM pet WHERE id = ?', id: '…16 hex…', literalKey: 2749… }
 */
export interface NormalizedSql {
  /** Display text: tokens as written, values replaced by `?`, lists collapsed. */
  readonly shape: string
  /** 16 hex characters identifying the canonical token stream. */
  readonly id: string
  /** 32-bit hash of the inlined literal values, in order; 0 when there are none. */
  readonly literalKey: number
}

// Output token kind for a placeholder; the other kinds are Tok values.
const PH = 100

// Output token flags.
const F_OPERAND_KEYWORD = 1
// The canonical text is the display text without its first and last character ("pet" -> pet).
const F_UNQUOTE = 2

const EXPECT_ROW = 0
const IN_ROW = 1
const AFTER_ROW = 2
const AFTER_COMMA = 3

interface ValuesList {
  /** Open-paren depth of the VALUES keyword. */
  depth: number
  state: number
  rows: number
  same: boolean
  firstStart: number
  firstEnd: number
  rowStart: number
  comma: number
  /** Whether skipRows has looked at this list (it does so once, which keeps it linear). */
  scanned: boolean
}

// Text of the fixed-text token kinds, indexed by kind (a packed array reads faster than an object).
const PUNCT_TEXT: readonly (string | undefined)[] = (() => {
  const text: (string | undefined)[] = Array.from({ length: PH + 1 }, () => undefined)
  text[T_CAST] = '::'
  text[T_DOT] = '.'
  text[T_COMMA] = ','
  text[T_LPAREN] = '('
  text[T_RPAREN] = ')'
  text[T_LBRACKET] = '['
  text[T_RBRACKET] = ']'
  text[T_SEMI] = ';'
  text[T_COLON] = ':'
  text[T_ELLIPSIS] = '...'
  text[PH] = '?'
  return text
})()

// The same texts as code units, for hashing and comparing them like input text: kind k's text is
// PUNCT_CODES[PUNCT_FROM[k], PUNCT_FROM[k] + PUNCT_TEXT[k].length).
const PUNCT_FROM = new Int32Array(PH + 1)
const PUNCT_CODES: Uint16Array = (() => {
  const all = PUNCT_TEXT.map((text) => text ?? '').join('')
  const codes = new Uint16Array(all.length)
  for (let i = 0; i < all.length; i++) codes[i] = all.charCodeAt(i)
  let from = 0
  for (let k = 0; k <= PH; k++) {
    PUNCT_FROM[k] = from
    from += PUNCT_TEXT[k]?.length ?? 0
  }
  return codes
})()

const SPACE_CODES = new Uint16Array([SPACE])

/** True when the content of a quoted identifier would read the same unquoted. */
function isPlainLowerIdent(codes: Uint16Array, from: number, to: number): boolean {
  if (to <= from) return false
  const c = codes[from]!
  if (c < NON_ASCII && (PLAIN[c]! & PLAIN_START) === 0) return false
  for (let i = from + 1; i < to; i++) {
    const d = codes[i]!
    if (d < NON_ASCII && PLAIN[d] === 0) return false
  }
  return true
}

// ASCII characters of a plain lower-case identifier (non-ASCII ones all are): a-z and _ start
// one, digits and $ may follow.
const PLAIN_START = 1
const PLAIN_CONT = 2
const PLAIN = new Uint8Array(NON_ASCII)
for (let c = LOWER_A; c <= LOWER_Z; c++) PLAIN[c] = PLAIN_START | PLAIN_CONT
PLAIN[UNDERSCORE] = PLAIN_START | PLAIN_CONT
for (let c = D0; c <= D9; c++) PLAIN[c] = PLAIN_CONT
PLAIN[DOLLAR] = PLAIN_CONT

// Output token kinds whose text starts with a character that never needs a space before it
// (see needsSpace and placeholderGlue): they get one only where the input had one.
const NEVER_GLUED = new Uint8Array(PH + 1)
for (const kind of [T_COMMA, T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET, T_SEMI]) NEVER_GLUED[kind] = 1

const EMPTY: Tokens = tokenize('')

// State of one normalize() call; a class rather than closures so V8 inlines its methods.
// Output tokens are kept as typed arrays of (kind, space, flags, source token index): their text
// is read from the input only when hashing, comparing rows and rendering.
// One instance is reused, as typed arrays are costly to allocate for short statements.
class Normalizer {
  t: Tokens = EMPTY
  codes: Uint16Array = EMPTY.codes
  kind: Uint8Array
  space: Uint8Array
  flags: Uint8Array
  /** Input token index of an output token (the first token of a placeholder's span). */
  src: Int32Array
  length = 0
  /** Output indices of the open `(` and `[`. */
  open: number[] = []
  lists: ValuesList[] = []
  literals: Hash32 | undefined = undefined

  /** The shape being rendered, as code units (see render); `outBytes` views the same memory. */
  out: Uint16Array
  outBytes: Buffer
  outLength = 0

  constructor(capacity: number) {
    const empty = codeBuffer(0)
    this.out = empty.codes
    this.outBytes = empty.bytes
    this.growOut(2 * capacity)
    this.kind = new Uint8Array(capacity)
    this.space = new Uint8Array(capacity)
    this.flags = new Uint8Array(capacity)
    this.src = new Int32Array(capacity)
  }

  reset(t: Tokens): void {
    this.t = t
    this.codes = t.codes
    this.length = 0
    this.open = []
    this.lists = []
    this.literals = undefined
  }

  truncate(len: number): void {
    this.length = len
  }

  push(kind: number, src: number, space: number, flags: number): void {
    const i = this.length
    if (i === this.kind.length) this.grow()
    this.kind[i] = kind
    this.src[i] = src
    this.space[i] = space
    this.flags[i] = flags
    this.length = i + 1
  }

  // Output can outgrow the input only by the `...` of collapsed lists, which replace at least
  // one token each; grow anyway rather than trust that.
  grow(): void {
    const capacity = this.kind.length * 2
    this.kind = grown(this.kind, capacity)
    this.space = grown(this.space, capacity)
    this.flags = grown(this.flags, capacity)
    this.src = grown(this.src, capacity)
  }

  operandPosition(): boolean {
    return this.length === 0 || this.introducesOperand(this.length - 1)
  }

  // Whether the token after output token `o` is in operand position.
  introducesOperand(o: number): boolean {
    const kind = this.kind[o]!
    return kind === T_IDENT ? (this.flags[o]! & F_OPERAND_KEYWORD) !== 0 : punctuationIntroducesOperand(kind)
  }

  statementStart(): boolean {
    return this.length === 0 || this.kind[this.length - 1] === T_SEMI
  }

  // The canonical text of output token `o` is the code units canonCodes[canonFrom, canonTo), with
  // ASCII letters lowered when canonFold (unquoted identifiers) rather than copied in lower case.
  canonCodes: Uint16Array = PUNCT_CODES
  canonFrom = 0
  canonTo = 0
  canonFold = false

  canonical(o: number): void {
    const kind = this.kind[o]!
    const t = this.t
    const src = this.src[o]!
    if (kind === T_IDENT || kind === T_QIDENT || kind === T_OP || kind === T_OTHER) {
      const unquote = (this.flags[o]! & F_UNQUOTE) !== 0 ? 1 : 0
      this.canonCodes = this.codes
      this.canonFrom = t.starts[src]! + unquote
      this.canonTo = t.ends[src]! - unquote
      this.canonFold = kind === T_IDENT
    } else {
      const from = PUNCT_FROM[kind]!
      this.canonCodes = PUNCT_CODES
      this.canonFrom = from
      this.canonTo = from + PUNCT_TEXT[kind]!.length
      this.canonFold = false
    }
  }

  // Canonical equality of two output tokens (`"pet"` equals `pet`).
  sameToken(a: number, b: number): boolean {
    if (this.kind[a] === this.kind[b] && PUNCT_TEXT[this.kind[a]!] !== undefined) return true
    this.canonical(a)
    const sa = this.canonCodes
    const fa = this.canonFrom
    const foldA = this.canonFold
    const len = this.canonTo - fa
    this.canonical(b)
    if (this.canonTo - this.canonFrom !== len) return false
    const sb = this.canonCodes
    const fb = this.canonFrom
    const foldB = this.canonFold
    for (let i = 0; i < len; i++) {
      let ca = sa[fa + i]!
      let cb = sb[fb + i]!
      if (foldA && ca >= UPPER_A && ca <= UPPER_Z) ca += CASE_BIT
      if (foldB && cb >= UPPER_A && cb <= UPPER_Z) cb += CASE_BIT
      if (ca !== cb) return false
    }
    return true
  }

  sameRange(a: number, b: number, len: number): boolean {
    for (let i = 0; i < len; i++) if (!this.sameToken(a + i, b + i)) return false
    return true
  }

  finish(list: ValuesList): void {
    if (list.same && list.rows > 1) this.truncate(list.firstEnd)
  }

  // A comma after the last row ended the list rather than separating rows: collapse the rows
  // before it and keep the comma.
  finishBeforeComma(list: ValuesList): void {
    const c = list.comma
    const src = this.src[c]!
    const space = this.space[c]!
    this.truncate(c)
    this.finish(list)
    this.push(T_COMMA, src, space, 0)
  }

  // VALUES bookkeeping that must run before a token is appended.
  beforePush(kind: number): void {
    const lists = this.lists
    // Never index with -1: that is a slow named-property lookup, not an element read.
    while (lists.length > 0) {
      const list = lists[lists.length - 1]!
      const depth = this.open.length
      switch (list.state) {
        case EXPECT_ROW:
          if (kind === T_LPAREN && depth === list.depth) {
            list.state = IN_ROW
            list.rowStart = this.length
            return
          }
          break
        case IN_ROW:
          if (depth > list.depth) return
          // The row was closed by something other than its `)`: malformed, leave it alone.
          break
        case AFTER_ROW:
          if (kind === T_COMMA && depth === list.depth) {
            list.state = AFTER_COMMA
            list.comma = this.length
            return
          }
          this.finish(list)
          break
        default:
          if (kind === T_LPAREN && depth === list.depth) {
            list.state = IN_ROW
            list.rowStart = this.length
            return
          }
          this.finishBeforeComma(list)
      }
      lists.pop()
    }
  }

  // A list body of plain values: `?`, `?, ?, …` or an already collapsed `...`.
  collapsible(from: number, to: number): boolean {
    const kind = this.kind
    if (to - from === 1 && kind[from] === T_ELLIPSIS) return true
    if ((to - from) % 2 === 0) return false
    for (let i = from; i < to; i++) {
      if (kind[i] !== ((i - from) % 2 === 0 ? PH : T_COMMA)) return false
    }
    return true
  }

  emit(kind: number, src: number, space: number, flags: number): void {
    this.beforePush(kind)
    this.push(kind, src, space, flags)
    if (kind === T_LPAREN || kind === T_LBRACKET) {
      this.open.push(this.length - 1)
    } else if (kind === T_RPAREN || kind === T_RBRACKET) {
      this.close(kind, src)
    } else if (kind === T_IDENT && this.t.keywords[src] === K_VALUES) {
      this.lists.push({
        depth: this.open.length, state: EXPECT_ROW, rows: 0, same: true, firstStart: 0, firstEnd: 0, rowStart: 0, comma: 0,
        scanned: false,
      })
    }
  }

  // After a `)` or `]`: collapse an IN / ARRAY list, and end a VALUES row.
  close(kind: number, src: number): void {
    const open = this.open
    if (open.length === 0) return
    const top = open[open.length - 1]!
    if (this.kind[top] !== (kind === T_RPAREN ? T_LPAREN : T_LBRACKET)) return
    open.pop()
    if (top > 0 && this.kind[top - 1] === T_IDENT && this.collapsible(top + 1, this.length - 1)) {
      const keyword = this.t.keywords[this.src[top - 1]!]
      if (kind === T_RPAREN ? keyword === K_IN : keyword === K_ARRAY) {
        this.truncate(top + 1)
        this.push(T_ELLIPSIS, -1, 0, 0)
        this.push(kind, src, 0, 0)
      }
    }
    const lists = this.lists
    if (kind !== T_RPAREN || lists.length === 0) return
    const list = lists[lists.length - 1]!
    if (list.state !== IN_ROW || open.length !== list.depth) return
    const end = this.length
    list.rows++
    if (list.rows === 1) {
      list.firstStart = list.rowStart
      list.firstEnd = end
    } else if (list.same) {
      const len = list.firstEnd - list.firstStart
      list.same = end - list.rowStart === len && this.sameRange(list.firstStart, list.rowStart, len)
    }
    list.state = AFTER_ROW
  }

  // Brackets at input token `i` around bare parameters only, closed at input token `close` (see
  // bareParametersEnd): a VALUES row, function arguments, an IN list, … Emitted with less work than
  // token by token, to the same output; returns the input index to go on from.
  parameterList(i: number, close: number): number {
    const t = this.t
    const { kinds, spaces } = t
    const open = kinds[i]!
    this.emit(open, i, spaces[i]!, 0)
    // What close() would look at: the output token before the bracket.
    const before = this.length - 2
    const keyword = before >= 0 && this.kind[before] === T_IDENT ? t.keywords[this.src[before]!] : 0
    // Inside the brackets no VALUES bookkeeping applies (see beforePush): emitting the open
    // bracket ended every list but one whose row is open at a lower depth.
    if (open === T_LPAREN ? keyword === K_IN : keyword === K_ARRAY) {
      // The output close() would leave after emitting the list token by token.
      this.open.pop()
      this.push(T_ELLIPSIS, -1, 0, 0)
      this.push(kinds[close]!, close, 0, 0)
      return close + 1
    }
    for (let j = i + 1; j < close; j++) this.push(kinds[j] === T_COMMA ? T_COMMA : PH, j, spaces[j]!, 0)
    return close
  }

  // At the comma (input token `i`) after the first row of a VALUES list whose rows so far are one
  // shape: when that row is `(?, …, ?)` and all the rows that follow are bare parameters of the
  // same count, they would be emitted only to be truncated when the list ends (see finish), so
  // they are counted and skipped instead. Returns the input index after them, or `i`.
  // Skipping is exact only when no other row follows them, as one of another shape would keep
  // them all in the output; then nothing is skipped and the rows go through emit().
  skipRows(i: number): number {
    const lists = this.lists
    if (lists.length === 0) return i
    const list = lists[lists.length - 1]!
    if (list.scanned || list.state !== AFTER_ROW || !list.same || this.open.length !== list.depth) return i
    list.scanned = true
    const { firstStart, firstEnd } = list
    const kind = this.kind
    if (kind[firstStart] !== T_LPAREN || kind[firstEnd - 1] !== T_RPAREN) return i
    for (let o = firstStart + 1; o < firstEnd - 1; o++) {
      if (kind[o] !== ((o - firstStart) % 2 === 1 ? PH : T_COMMA)) return i
    }
    const rowLength = firstEnd - firstStart
    const kinds = this.t.kinds
    let j = i
    let rows = 0
    while (kinds[j] === T_COMMA && kinds[j + 1] === T_LPAREN && bareParametersEnd(kinds, j + 1) === j + rowLength) {
      j += rowLength + 1
      rows++
    }
    if (rows === 0 || (kinds[j] === T_COMMA && kinds[j + 1] === T_LPAREN)) return i
    list.rows += rows
    return j
  }

  // Emits `?` for the value spanning tokens [i, end) and returns `end`.
  placeholder(i: number, end: number): number {
    const t = this.t
    if (lastValue.literal) {
      this.literals ??= new Hash32()
      this.literals.addCodes(t.codes, t.starts[i]!, t.ends[end - 1]!)
    }
    this.emit(PH, i, t.spaces[i]!, 0)
    return end
  }

  run(): void {
    const t = this.t
    const { codes, count: n, kinds, starts, ends, spaces, keywords } = t
    let i = 0
    while (i < n) {
      const kind = kinds[i]!
      switch (kind) {
        case T_PARAM:
        case T_QMARK:
          // The common case, a bare parameter (no cast after it), is a placeholder as it stands.
          if (kinds[i + 1] !== T_CAST) {
            this.emit(PH, i, spaces[i]!, 0)
            i++
            continue
          }
          i = this.placeholder(i, parseValue(t, i, this.operandPosition()))
          continue
        case T_NUMBER:
        case T_STRING:
          i = this.placeholder(i, parseValue(t, i, this.operandPosition()))
          continue
        case T_COMMA: {
          if (this.lists.length === 0) break
          const end = this.skipRows(i)
          if (end > i) {
            i = end
            continue
          }
          break
        }
        case T_LPAREN:
        case T_LBRACKET: {
          const close = bareParametersEnd(kinds, i)
          if (close < 0) break
          i = this.parameterList(i, close)
          continue
        }
        case T_OP:
          if (
            ends[i]! - starts[i]! === 1 && codes[starts[i]!] === MINUS &&
            kinds[i + 1] === T_NUMBER && this.operandPosition()
          ) {
            i = this.placeholder(i, parseValue(t, i, true))
            continue
          }
          break
        case T_IDENT: {
          const word = keywords[i]!
          const keyword = isOperandKeyword(word)
          if (word === K_TRUE || word === K_FALSE || (word === K_CAST && kinds[i + 1] === T_LPAREN)) {
            const end = parseValue(t, i, false)
            if (end >= 0) {
              i = this.placeholder(i, end)
              continue
            }
          } else if (!keyword && !this.statementStart() && this.operandPosition() && mayStartTypedLiteral(t, i)) {
            // A typed literal: date '2020-01-01', interval (2) '1 s'.
            const end = parseValue(t, i, true)
            if (end >= 0) {
              i = this.placeholder(i, end)
              continue
            }
          }
          this.emit(T_IDENT, i, spaces[i]!, keyword ? F_OPERAND_KEYWORD : 0)
          i++
          continue
        }
        case T_QIDENT: {
          // A typed literal ("my type" 'x'). Only in operand position, which also keeps the scan of
          // mayStartTypedLiteral over a dotted name from restarting at each of its parts.
          if (!this.statementStart() && this.operandPosition() && mayStartTypedLiteral(t, i)) {
            const end = parseValue(t, i, true)
            if (end >= 0) {
              i = this.placeholder(i, end)
              continue
            }
          }
          const s = starts[i]!
          const e = ends[i]!
          // "pet" and pet name the same relation; "Pet" does not.
          const plain = codes[s] === DQUOTE && e - s > 2 && codes[e - 1] === DQUOTE && isPlainLowerIdent(codes, s + 1, e - 1)
          this.emit(T_QIDENT, i, spaces[i]!, plain ? F_UNQUOTE : 0)
          i++
          continue
        }
      }
      this.emit(kind, i, spaces[i]!, 0)
      i++
    }

    // End of input closes any open VALUES lists.
    const lists = this.lists
    while (lists.length > 0) {
      const list = lists.pop()!
      if (list.state === AFTER_ROW) this.finish(list)
      else if (list.state === AFTER_COMMA) this.finishBeforeComma(list)
    }
  }

  result(): NormalizedSql {
    let len = this.length
    while (len > 0 && this.kind[len - 1] === T_SEMI) len--
    const hash = new Hash64()
    const shape = this.render(len, hash)
    return { shape, id: hash.digest(), literalKey: this.literals === undefined ? 0 : this.literals.digest() || 1 }
  }

  // A placeholder that is not in operand position reads back as the start of an operator
  // (`zone ?||x` as `?||`), so it must not touch an operator character after it.
  placeholderGlue(o: number, next: number): boolean {
    return this.kind[o - 1] === PH && isOperatorChar(next) && o >= 2 && !this.introducesOperand(o - 2)
  }

  // First and last character of output token `o` as displayed.
  firstChar(o: number): number {
    const src = this.src[o]!
    return this.kind[o] === PH ? QUESTION : src < 0 ? DOT : this.codes[this.t.starts[src]!]!
  }

  lastChar(o: number): number {
    const src = this.src[o]!
    return this.kind[o] === PH ? QUESTION : src < 0 ? DOT : this.codes[this.t.ends[src]! - 1]!
  }

  // Whether one space goes before output token `o` (o > 0).
  spaceBefore(o: number): boolean {
    if (this.space[o] === 1) return true
    const prev = o - 1
    const a = this.lastChar(prev)
    const b = this.firstChar(o)
    return needsSpace(this.kind[prev] === T_OP && this.isAt(prev), a, b) || this.placeholderGlue(o, b)
  }

  isAt(o: number): boolean {
    const src = this.src[o]!
    return this.t.ends[src]! - this.t.starts[src]! === 1 && this.codes[this.t.starts[src]!]! === AT
  }

  // Renders the shape and feeds the canonical token stream to `hash`, in one pass.
  //
  // Every output token but a placeholder and a collapsed `...` displays as its input text (punctuation
  // included), and most separators are a single space in the input too, so the shape is a few long
  // runs of the input joined with `?` and `...`, copied as code units into one buffer and decoded
  // once: one flat string, no string per token or per run (a long statement has tens of thousands
  // of runs, whose slices and the array holding them cost more than the copy). The canonical
  // text of such a token is its input text too, lowered for an unquoted identifier and without the
  // quotes for a quoted one that reads the same unquoted (see canonical()).
  render(len: number, hash: Hash64): string {
    const { codes, starts, ends } = this.t
    const { kind: kinds, src: srcs, flags } = this
    this.outLength = 0
    let runFrom = -1
    let runTo = -1
    for (let o = 0; o < len; o++) {
      const space = o > 0 && (NEVER_GLUED[kinds[o]!] === 1 ? this.space[o] === 1 : this.spaceBefore(o))
      const kind = kinds[o]!
      const src = srcs[o]!
      if (kind === PH || src < 0) {
        const from = PUNCT_FROM[kind]!
        const to = from + PUNCT_TEXT[kind]!.length
        hash.addCodes(PUNCT_CODES, from, to, false)
        if (runFrom >= 0) this.append(codes, runFrom, runTo)
        runFrom = -1
        if (space) this.append(SPACE_CODES, 0, 1)
        this.append(PUNCT_CODES, from, to)
        continue
      }
      const from = starts[src]!
      const to = ends[src]!
      const unquote = (flags[o]! & F_UNQUOTE) !== 0 ? 1 : 0
      hash.addCodes(codes, from + unquote, to - unquote, kind === T_IDENT)
      if (runFrom >= 0 && src === srcs[o - 1]! + 1 && kinds[o - 1] !== PH && sameGap(codes, runTo, from, space)) {
        runTo = to
        continue
      }
      if (runFrom >= 0) this.append(codes, runFrom, runTo)
      runFrom = from
      runTo = to
      if (space) {
        // Start the run at the space before the token when there is one.
        if (from > 0 && codes[from - 1] === SPACE) runFrom = from - 1
        else this.append(SPACE_CODES, 0, 1)
      }
    }
    if (runFrom >= 0) this.append(codes, runFrom, runTo)
    return decodeCodes(this.out, this.outBytes, this.outLength)
  }

  // Appends the code units source[from, to) to the shape.
  append(source: Uint16Array, from: number, to: number): void {
    let o = this.outLength
    const end = o + (to - from)
    if (end > this.out.length) this.growOut(2 * end)
    const out = this.out
    // A loop beats allocating a subarray for the short runs, which are most of them.
    if (to - from < 32) for (let i = from; i < to; i++) out[o++] = source[i]!
    else out.set(source.subarray(from, to), o)
    this.outLength = end
  }

  growOut(capacity: number): void {
    const buffer = codeBuffer(capacity)
    buffer.codes.set(this.out.subarray(0, this.outLength))
    this.out = buffer.codes
    this.outBytes = buffer.bytes
  }
}

// Whether the input text between two tokens, sql[from, to), is what the shape puts there: nothing,
// or one space.
function sameGap(codes: Uint16Array, from: number, to: number, space: boolean): boolean {
  return space ? to - from === 1 && codes[from] === SPACE : to === from
}

const SHARED_CAPACITY = 4096
// Output has at most one token per input token, plus the `...` of collapsed lists, which replace
// more: a huge statement's buffers are sized once from its token count.
const normalizers = new Reuse<Normalizer>({
  limit: SHARED_CAPACITY,
  shared: () => new Normalizer(SHARED_CAPACITY),
  create: (tokens) => new Normalizer(tokens + 16),
  fits: (normalizer, tokens) => normalizer.kind.length >= tokens + 16,
  outgrown: (normalizer) => normalizer.kind.length > SHARED_CAPACITY || normalizer.out.length > 4 * SHARED_CAPACITY,
})

/**
 * Normalises a token stream: values become `?`, casts on them disappear, IN / ARRAY lists of
 * plain values become `(...)` / `[...]`, repeated VALUES rows of one shape become one row.
 *
 * @example
 * normalize(tokenize('select * from pet where id in ($1, $2)')).shape
 * // 'select * from pet where id in (...)'
 */
export function normalize(t: Tokens): NormalizedSql {
  const normalizer = normalizers.acquire(t.count)
  normalizer.reset(t)
  normalizer.run()
  const result = normalizer.result()
  normalizer.reset(EMPTY)
  normalizers.release(normalizer)
  return result
}

// Two tokens written without a space must not read back as one token (or as a comment): `a` is
// the last character of the first, `b` the first of the second; `afterAt` when the first is `@`.
function needsSpace(afterAt: boolean, a: number, b: number): boolean {
  if (isIdentCont(a) && isIdentCont(b)) return true
  if (a === COLON && (b === COLON || b === EQ)) return true // `: :` and `: =`
  if (a === MINUS && b === MINUS) return true // `- -`
  if (a === SLASH && b === STAR) return true // `/ *`
  if (a === DQUOTE && b === DQUOTE) return true // `"a" "b"` is not `"a""b"`
  if (a === DOT && b === DOT) return true // `. .`
  // `@` then a placeholder would read back as the jsonpath operator `@?`.
  return afterAt && b === QUESTION
}

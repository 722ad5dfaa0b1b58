// A single-pass SQL tokenizer over `charCodeAt`, following PostgreSQL's lexer (scan.l) closely
// enough that what PostgreSQL sees as one token is one token here. It never throws and is linear
// in the input: every character is looked at a bounded number of times.

import { Buffer } from 'node:buffer'

import { isOperandKeyword, keywordAt, KW } from './keywords.js'

/**
 * Token classes produced by {@link tokenize}.
 *
 * @example
 * tokenize('$1').kinds[0] === Tok.Param // true
 */
export const Tok = {
  /** Unquoted identifier or keyword: `select`, `pet`, `a$b`, `日本`. */
  Ident: 1,
  /** Quoted identifier: `"Pet"`, `U&"d\0061t"`. */
  QIdent: 2,
  /** String literal of any form, including dollar-quoted: `'a'`, `E'\n'`, `$tag$..$tag$`. */
  String: 3,
  /** Numeric literal: `42`, `1.5e-3`, `0x1F`, `1_000`. */
  Number: 4,
  /** Positional parameter: `$1`. */
  Param: 5,
  /** Placeholder `?` in operand position (as in shapes and in client-side SQL). */
  QMark: 6,
  /** Operator, including jsonb `?`, `?|`, `?&` in operator position. */
  Op: 7,
  /** `::` */
  Cast: 8,
  /** `.` */
  Dot: 9,
  /** `,` */
  Comma: 10,
  /** `(` */
  LParen: 11,
  /** `)` */
  RParen: 12,
  /** `[` */
  LBracket: 13,
  /** `]` */
  RBracket: 14,
  /** `;` */
  Semi: 15,
  /** `:` (array slices) */
  Colon: 16,
  /** `...`, the collapsed list of a shape. */
  Ellipsis: 17,
  /** Any other character (a lone `$`, `\`, `{`). */
  Other: 18,
} as const

/**
 * One of the {@link Tok} values.
 *
 * @example
 * const kind: TokKind = Tok.Ident
 */
export type TokKind = (typeof Tok)[keyof typeof Tok]

// Token kinds, keyword ids and keyword flags as module constants: V8 folds these into the
// compiled code, while each read of a property of an imported object is a load and a check
// (about a fifth of the tokenizer's instructions, measured with callgrind).
const { Cast: T_CAST, Colon: T_COLON, Comma: T_COMMA, Dot: T_DOT, Ellipsis: T_ELLIPSIS, Ident: T_IDENT,
  LBracket: T_LBRACKET, LParen: T_LPAREN, Number: T_NUMBER, Op: T_OP, Other: T_OTHER, Param: T_PARAM,
  QIdent: T_QIDENT, QMark: T_QMARK, RBracket: T_RBRACKET, RParen: T_RPAREN, Semi: T_SEMI, String: T_STRING,
} = Tok
const { uescape: K_UESCAPE } = KW

/**
 * The token stream of one SQL text, as parallel typed arrays (one object per token, or plain
 * arrays grown by push, cost several times more on a 1 MB statement). The arrays are longer
 * than `count`: the four kinds after the last token are 0, which is no token kind, so short
 * lookaheads need no bounds check; anything further is unspecified.
 *
 * @example
 * const t = tokenize('select 1')
 * t.count          // 2
 * t.kinds[1]       // Tok.Number
 * t.sql.slice(t.starts[1], t.ends[1]) // '1'
 */
export interface Tokens {
  /** The input text. */
  readonly sql: string
  /**
   * The UTF-16 code units of `sql`, then at least {@link CODE_PADDING} zeros; longer than `sql`
   * (anything past the zeros is unspecified). Every pass reads characters from here.
   */
  readonly codes: Uint16Array
  /** Number of tokens. */
  readonly count: number
  /** {@link Tok} class of each token. */
  readonly kinds: Uint8Array
  /** 1 when whitespace or a comment came between the token and the one before it, else 0. */
  readonly spaces: Uint8Array
  /** Start offset (inclusive) of each token in `sql`. */
  readonly starts: Int32Array
  /** End offset (exclusive) of each token in `sql`. */
  readonly ends: Int32Array
  /** For an unquoted identifier that is a keyword of `keywords.ts`, its id ({@link KW}); else 0. */
  readonly keywords: Uint8Array
}

// Character codes used below.
const TAB = 9
const LF = 10
const VT = 11
const FF = 12
const CR = 13
const SPACE = 32
const BANG = 33
const DQUOTE = 34
const HASH = 35
const DOLLAR = 36
const PERCENT = 37
const AMP = 38
const SQUOTE = 39
const LPAREN = 40
const RPAREN = 41
const STAR = 42
const PLUS = 43
const COMMA = 44
const MINUS = 45
const DOT = 46
const SLASH = 47
const D0 = 48
const D1 = 49
const D7 = 55
const D9 = 57
const COLON = 58
const SEMI = 59
const LT = 60
const EQ = 61
const GT = 62
const QUESTION = 63
const AT = 64
const LBRACKET = 91
const BACKSLASH = 92
const RBRACKET = 93
const CARET = 94
const UNDERSCORE = 95
const BACKTICK = 96
const PIPE = 124
const TILDE = 126

/**
 * Character classes for ASCII, one byte each: bit 1 identifier start, bit 2 identifier
 * continuation, bit 4 operator character, bit 8 whitespace, bit 16 decimal digit.
 */
const CLASS = new Uint8Array(128)
const C_IDENT_START = 1
const C_IDENT_CONT = 2
const C_OP = 4
const C_SPACE = 8
const C_DIGIT = 16
for (let c = 65; c <= 90; c++) CLASS[c] = C_IDENT_START | C_IDENT_CONT
for (let c = 97; c <= 122; c++) CLASS[c] = C_IDENT_START | C_IDENT_CONT
CLASS[UNDERSCORE] = C_IDENT_START | C_IDENT_CONT
CLASS[DOLLAR] = C_IDENT_CONT
for (let c = D0; c <= D9; c++) CLASS[c] = C_IDENT_CONT | C_DIGIT
for (const c of '+-*/<>=~!@#%^&|`?') CLASS[c.charCodeAt(0)] = C_OP
for (const c of [SPACE, TAB, LF, VT, FF, CR]) CLASS[c] = C_SPACE

/**
 * True for characters that may start an unquoted identifier (PostgreSQL: any non-ASCII too).
 *
 * @example
 * isIdentStart('é'.charCodeAt(0)) // true
 * isIdentStart('1'.charCodeAt(0)) // false
 */
export function isIdentStart(c: number): boolean {
  return c >= 128 ? true : (CLASS[c]! & C_IDENT_START) !== 0
}

/**
 * True for characters that may continue an unquoted identifier.
 *
 * @example
 * isIdentCont('$'.charCodeAt(0)) // true: a$b is one identifier
 */
export function isIdentCont(c: number): boolean {
  return c >= 128 ? true : (CLASS[c]! & C_IDENT_CONT) !== 0
}

/**
 * True for the characters operators are made of (`+ - * / < > = ~ ! @ # % ^ & | \` ?`).
 *
 * @example
 * isOperatorChar('?'.charCodeAt(0)) // true
 */
export function isOperatorChar(c: number): boolean {
  return c < 128 && (CLASS[c]! & C_OP) !== 0
}

// Token kind of the one-character punctuation tokens, by character; 0 for any other character.
const PUNCT_KIND = new Uint8Array(128)
PUNCT_KIND[COMMA] = T_COMMA
PUNCT_KIND[LPAREN] = T_LPAREN
PUNCT_KIND[RPAREN] = T_RPAREN
PUNCT_KIND[LBRACKET] = T_LBRACKET
PUNCT_KIND[RBRACKET] = T_RBRACKET
PUNCT_KIND[SEMI] = T_SEMI

// What run() does with an ASCII character: the common tokens it reads itself, the rest (F_SLOW)
// go through step().
const F_SLOW = 0
const F_SPACE = 1
const F_PUNCT = 2
const F_WORD = 3
const F_DIGIT = 4
const F_DQUOTE = 5
const F_SQUOTE = 6
const F_DOLLAR = 7
const FAST = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const cls = CLASS[c]!
  FAST[c] = (cls & C_SPACE) !== 0 ? F_SPACE : PUNCT_KIND[c] !== 0 ? F_PUNCT : (cls & C_IDENT_START) !== 0 ? F_WORD
    : (cls & C_DIGIT) !== 0 ? F_DIGIT : F_SLOW
}
FAST[DQUOTE] = F_DQUOTE
FAST[SQUOTE] = F_SQUOTE
FAST[DOLLAR] = F_DOLLAR

function isSpace(c: number): boolean {
  return c < 128 && (CLASS[c]! & C_SPACE) !== 0
}

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9
}

function isHexDigit(c: number): boolean {
  return (c >= D0 && c <= D9) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

// Characters whose presence lets a multi-character operator end in `+` or `-` (scan.l).
function isQualifyingOpChar(c: number): boolean {
  return (
    c === TILDE || c === BANG || c === AT || c === HASH || c === CARET || c === AMP || c === PIPE ||
    c === BACKTICK || c === QUESTION || c === PERCENT
  )
}

// Every pass reads characters from a Uint16Array copy of the text rather than with
// String#charCodeAt, which dispatches on the string's representation (flat, cons, sliced, …) at
// every call: the array reads are two to three times faster, and Buffer#write copies the code
// units natively (about 0.15 ns a character, against 3 for a charCodeAt loop on a fresh string).
// For very short text the loop is cheaper than the call.

/**
 * Zero code units after the text in {@link Tokens.codes}: lookaheads of a few characters need no
 * bounds check, and 0 belongs to no character class, like the NaN charCodeAt returns past the end.
 */
export const CODE_PADDING = 8
const NATIVE_COPY_MIN = 32
// Buffer#write 'utf16le' gives little-endian bytes, which read back right only on such a host.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function copyCodes(sql: string, codes: Uint16Array, bytes: Buffer): void {
  const n = sql.length
  if (n >= NATIVE_COPY_MIN && LITTLE_ENDIAN) {
    bytes.write(sql, 0, 'utf16le')
    return
  }
  for (let i = 0; i < n; i++) codes[i] = sql.charCodeAt(i)
}

/**
 * The string of the code units `codes[0, length)`, where `bytes` views the same memory (the
 * inverse of the copy the tokenizer makes). Buffer#toString gives a flat string, one byte a
 * character when they all fit.
 *
 * @example
 * decodeCodes(t.codes, Buffer.from(t.codes.buffer), t.sql.length) === t.sql // true
 */
export function decodeCodes(codes: Uint16Array, bytes: Buffer, length: number): string {
  if (LITTLE_ENDIAN) return bytes.toString('utf16le', 0, 2 * length)
  let text = ''
  for (let i = 0; i < length; i += 4096) text += String.fromCharCode(...codes.subarray(i, Math.min(length, i + 4096)))
  return text
}

// State of one tokenize() call. A class rather than closures so V8 inlines its methods.
// Zero entries guaranteed after the last token (see Tokens).
const LOOKAHEAD = 4

// Quoted text up to this long is scanned character by character, longer text with indexOf.
const SHORT_QUOTED = 32

// Allocating a typed array costs about a microsecond here, more than lexing a short statement,
// so the hot path reuses one lexer's buffers (see tokenizeShared).
class Lexer {
  sql = ''
  n = 0
  codes: Uint16Array
  /** The bytes of `codes`, for Buffer#write. */
  codeBytes: Buffer
  kinds: Uint8Array
  spaces: Uint8Array
  starts: Int32Array
  ends: Int32Array
  keywords: Uint8Array
  count = 0
  pos = 0
  space = 0

  constructor(capacity: number, codeCapacity: number) {
    const codes = new ArrayBuffer(2 * codeCapacity)
    this.codes = new Uint16Array(codes)
    this.codeBytes = Buffer.from(codes)
    this.kinds = new Uint8Array(capacity)
    this.spaces = new Uint8Array(capacity)
    this.starts = new Int32Array(capacity)
    this.ends = new Int32Array(capacity)
    this.keywords = new Uint8Array(capacity)
  }

  reset(sql: string): void {
    const n = sql.length
    if (this.codes.length < n + CODE_PADDING) {
      const codes = new ArrayBuffer(2 * (n + CODE_PADDING))
      this.codes = new Uint16Array(codes)
      this.codeBytes = Buffer.from(codes)
    }
    copyCodes(sql, this.codes, this.codeBytes)
    this.codes.fill(0, n, n + CODE_PADDING)
    this.sql = sql
    this.n = n
    this.count = 0
    this.pos = 0
    this.space = 0
  }

  tokens(): Tokens {
    // Lookaheads read a few entries past the end without a bounds check; reused buffers hold
    // an earlier statement's tokens there, so end the stream with zero kinds.
    while (this.kinds.length < this.count + LOOKAHEAD) this.grow()
    this.kinds.fill(0, this.count, this.count + LOOKAHEAD)
    this.keywords.fill(0, this.count, this.count + LOOKAHEAD)
    const { sql, codes, count, kinds, spaces, starts, ends, keywords } = this
    return { sql, codes, count, kinds, spaces, starts, ends, keywords }
  }

  grow(): void {
    const capacity = this.kinds.length * 2
    const kinds = new Uint8Array(capacity)
    kinds.set(this.kinds)
    this.kinds = kinds
    const spaces = new Uint8Array(capacity)
    spaces.set(this.spaces)
    this.spaces = spaces
    const starts = new Int32Array(capacity)
    starts.set(this.starts)
    this.starts = starts
    const ends = new Int32Array(capacity)
    ends.set(this.ends)
    this.ends = ends
    const keywords = new Uint8Array(capacity)
    keywords.set(this.keywords)
    this.keywords = keywords
  }

  push(kind: number, start: number, end: number): void {
    const i = this.count
    if (i === this.kinds.length) this.grow()
    this.kinds[i] = kind
    this.starts[i] = start
    this.ends[i] = end
    this.spaces[i] = this.space
    // Looked up once here, so later passes compare ids instead of lower-cased strings.
    this.keywords[i] = kind === T_IDENT ? keywordAt(this.codes, start, end) : 0
    this.count = i + 1
    this.space = 0
  }

  // Whether a `?` here is an operand (placeholder) rather than the jsonb operator.
  operandPosition(): boolean {
    const last = this.count - 1
    if (last < 0) return true
    const kind = this.kinds[last]!
    return kind === T_IDENT ? isOperandKeyword(this.keywords[last]!) : punctuationIntroducesOperand(kind)
  }

  // Quoted text with a doubled quote as the only escape; returns the end offset.
  scanQuoted(from: number, quote: number): number {
    const sql = this.sql
    const codes = this.codes
    // Most quoted text is a short identifier or value: a plain loop beats calling indexOf.
    const stop = Math.min(this.n, from + SHORT_QUOTED)
    let i = from
    while (i < stop) {
      if (codes[i]! !== quote) i++
      else if (codes[i + 1]! === quote) i += 2
      else return i + 1
    }
    if (i >= this.n) return this.n
    const q = quote === SQUOTE ? "'" : '"'
    for (;;) {
      const j = sql.indexOf(q, i)
      if (j < 0) return this.n
      if (codes[j + 1]! === quote) {
        i = j + 2
        continue
      }
      return j + 1
    }
  }

  // E'..': a backslash escapes the next character, and '' is still a quote.
  scanEscaped(from: number): number {
    const codes = this.codes
    const n = this.n
    let i = from
    while (i < n) {
      const c = codes[i]!
      if (c === BACKSLASH) {
        i += 2
      } else if (c === SQUOTE) {
        if (codes[i + 1]! === SQUOTE) i += 2
        else return i + 1
      } else {
        i++
      }
    }
    return n
  }

  // After U&'..' or U&"..": an optional UESCAPE 'c' clause belongs to the token.
  scanUescape(end: number): number {
    const sql = this.sql
    const codes = this.codes
    const n = this.n
    let i = end
    while (i < n && isSpace(codes[i]!)) i++
    if (i + 7 > n || keywordAt(codes, i, i + 7) !== K_UESCAPE) return end
    if (i + 7 < n && isIdentCont(codes[i + 7]!)) return end
    i += 7
    while (i < n && isSpace(codes[i]!)) i++
    if (codes[i]! !== SQUOTE) return end
    return this.scanQuoted(i + 1, SQUOTE)
  }

  scanDigits(from: number): number {
    const codes = this.codes
    const n = this.n
    let i = from
    while (i < n) {
      const c = codes[i]!
      if (isDigit(c)) i++
      else if (c === UNDERSCORE && isDigit(codes[i + 1]!)) i += 2
      else break
    }
    return i
  }

  // A number starting at `start` (a digit, or a dot followed by a digit); returns its end.
  scanNumber(start: number): number {
    const codes = this.codes
    const n = this.n
    let i = start
    const c0 = codes[i]!
    if (c0 === D0) {
      const x = codes[i + 1]! | 0x20
      // 0x1F, 0o17, 0b101 (PostgreSQL 16), with optional underscores between digits.
      const radix = x === 120 ? 16 : x === 111 ? 8 : x === 98 ? 2 : 0
      if (radix !== 0) {
        let j = i + 2
        if (codes[j]! === UNDERSCORE) j++
        if (isRadixDigit(codes[j]!, radix)) {
          while (j < n) {
            const c = codes[j]!
            if (isRadixDigit(c, radix)) j++
            else if (c === UNDERSCORE && isRadixDigit(codes[j + 1]!, radix)) j += 2
            else break
          }
          return j
        }
      }
    }
    if (c0 !== DOT) i = this.scanDigits(i)
    // `1..2` is an integer followed by `..` (scan.l's decimalfail), not `1.` and `.2`.
    if (codes[i]! === DOT && codes[i + 1]! !== DOT) i = this.scanDigits(i + 1)
    if ((codes[i]! | 0x20) === 101) {
      const s = codes[i + 1]!
      if (isDigit(s)) i = this.scanDigits(i + 1)
      else if ((s === PLUS || s === MINUS) && isDigit(codes[i + 2]!)) i = this.scanDigits(i + 2)
    }
    return i
  }

  // The operator run containing the current position is cut at the same place whichever of its
  // characters we start from, so the tail left by trimming trailing + and - is emitted here
  // directly instead of being re-scanned (which would be quadratic on `*+-+-+-...`).
  scanOperator(start: number): void {
    const codes = this.codes
    const n = this.n
    let q = start + 1
    let qualifying = isQualifyingOpChar(codes[start]!)
    while (q < n) {
      const c = codes[q]!
      if (!isOperatorChar(c)) break
      const next = codes[q + 1]!
      if ((c === MINUS && next === MINUS) || (c === SLASH && next === STAR)) break
      // `=?` in a shape is `=` then a placeholder; only `@?` (jsonpath exists) ends in `?`.
      if (c === QUESTION && !(q === start + 1 && codes[start]! === AT)) break
      if (isQualifyingOpChar(c)) qualifying = true
      q++
    }
    let end = q
    const last = codes[end - 1]!
    // scan.l: a multi-character operator ends in + or - only if it has a qualifying character.
    if (end - start > 1 && (last === PLUS || last === MINUS) && !qualifying) {
      do end--
      while (end - start > 1 && (codes[end - 1]! === PLUS || codes[end - 1]! === MINUS))
    }
    this.push(T_OP, start, end)
    for (let i = end; i < q; i++) this.push(T_OP, i, i + 1)
    this.pos = q
  }

  // Returns the end of the comment at `pos` (which starts with -- or /*).
  scanComment(pos: number): number {
    const codes = this.codes
    const n = this.n
    let i = pos + 2
    if (codes[pos]! === MINUS) {
      while (i < n) {
        const d = codes[i]!
        if (d === LF || d === CR) break
        i++
      }
      return i
    }
    // Nested, as in PostgreSQL: /* a /* b */ c */ is one comment.
    let depth = 1
    while (i < n) {
      const d = codes[i]!
      if (d === SLASH && codes[i + 1]! === STAR) {
        depth++
        i += 2
      } else if (d === STAR && codes[i + 1]! === SLASH) {
        i += 2
        if (--depth === 0) break
      } else {
        i++
      }
    }
    return i
  }

  // $1, $$..$$, $tag$..$tag$ (tag: identifier characters except $, not starting with a digit).
  scanDollar(pos: number): void {
    const sql = this.sql
    const codes = this.codes
    const n = this.n
    const next = codes[pos + 1]!
    if (isDigit(next)) {
      let i = pos + 2
      while (i < n && isDigit(codes[i]!)) i++
      this.push(T_PARAM, pos, i)
      this.pos = i
      return
    }
    let tagEnd = -1
    if (next === DOLLAR) {
      tagEnd = pos + 1
    } else if (isIdentStart(next)) {
      let i = pos + 2
      while (i < n) {
        const d = codes[i]!
        if (d === DOLLAR || !isIdentCont(d)) break
        i++
      }
      if (codes[i]! === DOLLAR) tagEnd = i
    }
    if (tagEnd < 0) {
      this.push(T_OTHER, pos, pos + 1)
      this.pos = pos + 1
      return
    }
    const tag = sql.slice(pos, tagEnd + 1)
    const close = sql.indexOf(tag, tagEnd + 1)
    const end = close < 0 ? n : close + tag.length
    this.push(T_STRING, pos, end)
    this.pos = end
  }

  // An identifier, or a string with a one-letter prefix (E'', B'', X'', N'', U&'', U&"").
  scanWord(pos: number, c: number): void {
    const codes = this.codes
    const n = this.n
    const next = codes[pos + 1]!
    let end = -1
    let kind: number = T_STRING
    if (next === SQUOTE) {
      const lc = c | 0x20
      if (lc === 101) end = this.scanEscaped(pos + 2)
      else if (lc === 98 || lc === 120 || lc === 110) end = this.scanQuoted(pos + 2, SQUOTE)
    } else if ((c | 0x20) === 117 && next === AMP) {
      const q = codes[pos + 2]!
      if (q === SQUOTE || q === DQUOTE) {
        end = this.scanUescape(this.scanQuoted(pos + 3, q))
        if (q === DQUOTE) kind = T_QIDENT
      }
    }
    if (end < 0) {
      end = pos + 1
      while (end < n && isIdentCont(codes[end]!)) end++
      kind = T_IDENT
    }
    this.push(kind, pos, end)
    this.pos = end
  }

  // The loop over the text. The common tokens (whitespace, punctuation, names, quoted names,
  // strings, numbers, $n) are read here with the state in locals and written straight into the
  // arrays; anything else goes through step(), with the state synchronised around the call.
  run(): void {
    const codes = this.codes
    const n = this.n
    let { kinds, starts, ends, spaces, keywords } = this
    let pos = this.pos
    let count = this.count
    let space = this.space
    while (pos < n) {
      const c = codes[pos]!
      let kind = 0
      let end = pos + 1
      let keyword = 0
      switch (c < 128 ? FAST[c]! : F_SLOW) {
        case F_SPACE:
          pos++
          space = 1
          continue
        case F_PUNCT:
          kind = PUNCT_KIND[c]!
          break
        case F_WORD: {
          // Not a string with a prefix (E'', U&'', …): those go through step().
          const next = codes[pos + 1]!
          if (next !== SQUOTE && !(next === AMP && (c | 0x20) === 117)) {
            while (end < n && isIdentCont(codes[end]!)) end++
            kind = T_IDENT
            keyword = keywordAt(codes, pos, end)
          }
          break
        }
        case F_DIGIT:
          end = this.scanNumber(pos)
          kind = T_NUMBER
          break
        case F_DQUOTE:
          end = this.scanQuoted(pos + 1, DQUOTE)
          kind = T_QIDENT
          break
        case F_SQUOTE:
          end = this.scanQuoted(pos + 1, SQUOTE)
          kind = T_STRING
          break
        case F_DOLLAR:
          if (isDigit(codes[pos + 1]!)) {
            end = pos + 2
            while (end < n && isDigit(codes[end]!)) end++
            kind = T_PARAM
          }
          break
      }
      if (kind === 0) {
        this.pos = pos
        this.count = count
        this.space = space
        this.step(pos, c)
        ;({ kinds, starts, ends, spaces, keywords } = this)
        pos = this.pos
        count = this.count
        space = this.space
        continue
      }
      // Room for this token and a comma after it.
      if (count + 1 >= kinds.length) {
        this.count = count
        this.grow()
        ;({ kinds, starts, ends, spaces, keywords } = this)
      }
      kinds[count] = kind
      starts[count] = pos
      ends[count] = end
      spaces[count] = space
      keywords[count] = keyword
      count++
      // A comma and one space after a token are the commonest separators (`$1, $2`, `"a", "b"`):
      // take them without another iteration each.
      if (codes[end] === COMMA) {
        kinds[count] = T_COMMA
        starts[count] = end
        ends[count] = end + 1
        spaces[count] = 0
        keywords[count] = 0
        count++
        end++
      }
      if (codes[end] === SPACE) {
        space = 1
        pos = end + 1
      } else {
        space = 0
        pos = end
      }
    }
    this.pos = pos
    this.count = count
    this.space = space
  }

  // One token (or whitespace, or a comment) at `pos`, whose character is `c`.
  step(pos: number, c: number): void {
    const codes = this.codes
    if (c < 128) {
      const cls = CLASS[c]!
      if ((cls & C_SPACE) !== 0) {
        this.pos = pos + 1
        this.space = 1
        return
      }
      if ((cls & C_IDENT_START) !== 0) {
        this.scanWord(pos, c)
        return
      }
      if ((cls & C_DIGIT) !== 0) {
        const end = this.scanNumber(pos)
        this.push(T_NUMBER, pos, end)
        this.pos = end
        return
      }
      if ((cls & C_OP) !== 0) {
        const next = codes[pos + 1]!
        // Comments count as whitespace.
        if ((c === MINUS && next === MINUS) || (c === SLASH && next === STAR)) {
          this.pos = this.scanComment(pos)
          this.space = 1
          return
        }
        if (c === QUESTION && this.operandPosition()) {
          this.push(T_QMARK, pos, pos + 1)
          this.pos = pos + 1
          return
        }
        this.scanOperator(pos)
        return
      }
      this.scanPunct(pos, c)
      return
    }
    // Every non-ASCII character is an identifier character in PostgreSQL.
    this.scanWord(pos, c)
  }

  scanPunct(pos: number, c: number): void {
    const codes = this.codes
    let len = 1
    let kind: number
    switch (c) {
      case SQUOTE:
        this.push(T_STRING, pos, (this.pos = this.scanQuoted(pos + 1, SQUOTE)))
        return
      case DQUOTE:
        this.push(T_QIDENT, pos, (this.pos = this.scanQuoted(pos + 1, DQUOTE)))
        return
      case DOLLAR:
        this.scanDollar(pos)
        return
      case COLON:
        if (codes[pos + 1]! === COLON) {
          kind = T_CAST
          len = 2
        } else {
          kind = T_COLON
        }
        break
      case DOT:
        if (isDigit(codes[pos + 1]!)) {
          const end = this.scanNumber(pos)
          this.push(T_NUMBER, pos, end)
          this.pos = end
          return
        }
        if (codes[pos + 1]! === DOT && codes[pos + 2]! === DOT) {
          kind = T_ELLIPSIS
          len = 3
        } else {
          kind = T_DOT
        }
        break
      case COMMA:
        kind = T_COMMA
        break
      case LPAREN:
        kind = T_LPAREN
        break
      case RPAREN:
        kind = T_RPAREN
        break
      case LBRACKET:
        kind = T_LBRACKET
        break
      case RBRACKET:
        kind = T_RBRACKET
        break
      case SEMI:
        kind = T_SEMI
        break
      default:
        kind = T_OTHER
    }
    this.push(kind, pos, pos + len)
    this.pos = pos + len
  }
}

function isRadixDigit(c: number, radix: number): boolean {
  return radix === 16 ? isHexDigit(c) : radix === 8 ? c >= D0 && c <= D7 : c === D0 || c === D1
}

/**
 * Splits SQL into tokens. Whitespace and comments (`--` and nested `/* *\/`) are dropped and
 * remembered as a space flag on the next token. Unterminated strings, quoted identifiers, dollar
 * quotes and comments run to the end of the input. Never throws; linear time.
 *
 * @example
 * const t = tokenize("select * from pet where name = 'it''s' -- hi")
 * t.count // 8
 */
export function tokenize(sql: string): Tokens {
  const lexer = lexerFor(sql)
  lexer.reset(sql)
  lexer.run()
  return lexer.tokens()
}

// Buffers sized for the text: SQL has a token every 3 to 5 characters (every 2 in a long list of
// parameters); they double past that.
function lexerFor(sql: string): Lexer {
  return new Lexer(Math.min(sql.length + 1, 32 + (sql.length >> 1)), sql.length + CODE_PADDING)
}

// Buffers above this many tokens or characters are not kept for reuse.
const SHARED_CAPACITY = 4096
const SHARED_CODE_CAPACITY = 4 * SHARED_CAPACITY
let shared = new Lexer(SHARED_CAPACITY, SHARED_CODE_CAPACITY)

// A huge statement gets buffers of its own, sized once rather than grown by doubling, and held
// only weakly afterwards: a run of huge statements reuses them (allocating and first touching
// megabytes costs about as much as lexing them), yet they never outlive a garbage collection.
let large: WeakRef<Lexer> | undefined

function largeLexer(sql: string): Lexer {
  const lexer = large?.deref()
  if (lexer !== undefined && lexer.codes.length >= sql.length + CODE_PADDING) return lexer
  const fresh = lexerFor(sql)
  large = new WeakRef(fresh)
  return fresh
}

/**
 * {@link tokenize} into buffers reused from call to call: the result is valid only until the
 * next call. For the hot path, which consumes the tokens at once.
 *
 * @example
 * const t = tokenizeShared('select 1')
 * normalize(t) // before anything else tokenizes
 */
export function tokenizeShared(sql: string): Tokens {
  const lexer = sql.length > SHARED_CODE_CAPACITY ? largeLexer(sql) : shared
  lexer.reset(sql)
  lexer.run()
  const tokens = lexer.tokens()
  if (lexer === shared && lexer.kinds.length > SHARED_CAPACITY) shared = new Lexer(SHARED_CAPACITY, SHARED_CODE_CAPACITY)
  return tokens
}

/** Whether a token of this kind (an operator or punctuation) puts the next token in operand position. @internal */
export function punctuationIntroducesOperand(kind: number): boolean {
  switch (kind) {
    case T_OP:
    case T_LPAREN:
    case T_COMMA:
    case T_LBRACKET:
    case T_SEMI:
    case T_COLON:
    case T_CAST:
      return true
    default:
      return false
  }
}

// A single-pass SQL tokenizer over `charCodeAt`, following PostgreSQL's lexer (scan.l) closely
// enough that what PostgreSQL sees as one token is one token here. It never throws and is linear
// in the input: every character is looked at a bounded number of times.

import type { Buffer } from 'node:buffer'

import { codeBuffer, copyCodes, grown, Reuse } from './buffers.js'
import {
  CH, CLASS_BITS, classOf, isDigit, isHexDigit, isIdentCont, isIdentStart, isOperatorChar, isSpace,
} from './char-codes.js'
import { isOperandKeyword, keywordAt, KW } from './keywords.js'

// Character codes and token kinds (below) as module constants: V8 folds these into the compiled
// code, while each read of an imported binding or of an imported object's property is a load and
// a check (about a fifth of the tokenizer's instructions, measured with callgrind).
const { AMP, AT, BACKSLASH, BACKTICK, BANG, CARET, CASE_BIT, COLON, COMMA, CR, D0, D1, D7, DOLLAR, DOT,
  DQUOTE, HASH, LBRACKET, LF, LOWER_B, LOWER_E, LOWER_N, LOWER_O, LOWER_U, LOWER_X, LPAREN, MINUS, NON_ASCII,
  PERCENT, PIPE, PLUS, QUESTION, RBRACKET, RPAREN, SEMI, SLASH, SPACE, SQUOTE, STAR, TILDE, UNDERSCORE } = CH

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

// Token kind of the one-character punctuation tokens, by character; 0 for any other character.
const PUNCT_KIND = new Uint8Array(NON_ASCII)
PUNCT_KIND[COMMA] = T_COMMA
PUNCT_KIND[LPAREN] = T_LPAREN
PUNCT_KIND[RPAREN] = T_RPAREN
PUNCT_KIND[LBRACKET] = T_LBRACKET
PUNCT_KIND[RBRACKET] = T_RBRACKET
PUNCT_KIND[SEMI] = T_SEMI

// What run() does with a character, by ASCII code (every non-ASCII character starts a word).
const A_OTHER = 0
const A_SPACE = 1
const A_PUNCT = 2
const A_WORD = 3
const A_DIGIT = 4
const A_DQUOTE = 5
const A_SQUOTE = 6
const A_DOLLAR = 7
const A_OPERATOR = 8
const A_COLON = 9
const A_DOT = 10
const ACTION = new Uint8Array(NON_ASCII)
for (let c = 0; c < NON_ASCII; c++) {
  const cls = classOf(c)
  ACTION[c] = (cls & CLASS_BITS.Space) !== 0 ? A_SPACE : PUNCT_KIND[c] !== 0 ? A_PUNCT
    : (cls & CLASS_BITS.IdentStart) !== 0 ? A_WORD : (cls & CLASS_BITS.Digit) !== 0 ? A_DIGIT
    : (cls & CLASS_BITS.Operator) !== 0 ? A_OPERATOR : A_OTHER
}
ACTION[DQUOTE] = A_DQUOTE
ACTION[SQUOTE] = A_SQUOTE
ACTION[DOLLAR] = A_DOLLAR
ACTION[COLON] = A_COLON
ACTION[DOT] = A_DOT

// Characters whose presence lets a multi-character operator end in `+` or `-` (scan.l).
function isQualifyingOpChar(c: number): boolean {
  return (
    c === TILDE || c === BANG || c === AT || c === HASH || c === CARET || c === AMP || c === PIPE ||
    c === BACKTICK || c === QUESTION || c === PERCENT
  )
}

/**
 * Zero code units after the text in {@link Tokens.codes}: lookaheads of a few characters need no
 * bounds check, and 0 belongs to no character class, like the NaN charCodeAt returns past the end.
 */
export const CODE_PADDING = 8

// Zero entries guaranteed after the last token (see Tokens).
const LOOKAHEAD = 4

// Quoted text up to this long is scanned character by character, longer text with indexOf.
const SHORT_QUOTED = 32

// State of one tokenize() call. A class rather than closures so V8 inlines its methods.
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
  /** Token kind found by the last prefixedString(). */
  scanned: number = 0

  constructor(capacity: number, codeCapacity: number) {
    const buffer = codeBuffer(codeCapacity)
    this.codes = buffer.codes
    this.codeBytes = buffer.bytes
    this.kinds = new Uint8Array(capacity)
    this.spaces = new Uint8Array(capacity)
    this.starts = new Int32Array(capacity)
    this.ends = new Int32Array(capacity)
    this.keywords = new Uint8Array(capacity)
  }

  reset(sql: string): void {
    const n = sql.length
    if (this.codes.length < n + CODE_PADDING) {
      const buffer = codeBuffer(n + CODE_PADDING)
      this.codes = buffer.codes
      this.codeBytes = buffer.bytes
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
    this.kinds = grown(this.kinds, capacity)
    this.spaces = grown(this.spaces, capacity)
    this.starts = grown(this.starts, capacity)
    this.ends = grown(this.ends, capacity)
    this.keywords = grown(this.keywords, capacity)
  }

  // For the operator scanner, the one reader that emits more than one token; run() writes the
  // rest straight into the arrays.
  push(kind: number, start: number, end: number): void {
    const i = this.count
    if (i === this.kinds.length) this.grow()
    this.kinds[i] = kind
    this.starts[i] = start
    this.ends[i] = end
    this.spaces[i] = this.space
    this.keywords[i] = 0
    this.count = i + 1
    this.space = 0
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
      const x = codes[i + 1]! | CASE_BIT
      // 0x1F, 0o17, 0b101 (PostgreSQL 16), with optional underscores between digits.
      const radix = x === LOWER_X ? 16 : x === LOWER_O ? 8 : x === LOWER_B ? 2 : 0
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
    if ((codes[i]! | CASE_BIT) === LOWER_E) {
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

  // $$..$$ or $tag$..$tag$ at `pos` (tag: identifier characters except $, not starting with a
  // digit): returns the end of the string, or -1 when `$` starts no such quote.
  dollarQuoteEnd(pos: number): number {
    const sql = this.sql
    const codes = this.codes
    const n = this.n
    const next = codes[pos + 1]!
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
    if (tagEnd < 0) return -1
    const tag = sql.slice(pos, tagEnd + 1)
    const close = sql.indexOf(tag, tagEnd + 1)
    return close < 0 ? n : close + tag.length
  }

  // A string with a one-letter prefix at `pos` (E'', B'', X'', N'', U&'', U&""), whose first
  // character is `c`: returns its end and sets `scanned` to its kind, or returns -1 when the
  // word is a plain identifier.
  prefixedString(pos: number, c: number): number {
    const codes = this.codes
    const next = codes[pos + 1]!
    const lc = c | CASE_BIT
    if (next === SQUOTE) {
      this.scanned = T_STRING
      if (lc === LOWER_E) return this.scanEscaped(pos + 2)
      if (lc === LOWER_B || lc === LOWER_X || lc === LOWER_N) return this.scanQuoted(pos + 2, SQUOTE)
    } else if (lc === LOWER_U && next === AMP) {
      const q = codes[pos + 2]!
      if (q === SQUOTE || q === DQUOTE) {
        this.scanned = q === DQUOTE ? T_QIDENT : T_STRING
        return this.scanUescape(this.scanQuoted(pos + 3, q))
      }
    }
    return -1
  }

  // The one loop over the text: every token is recognised here, with the state in locals and
  // written straight into the arrays. Only an operator (which may end as several tokens, see
  // scanOperator) is emitted by a method, with the state synchronised around the call.
  run(): void {
    const codes = this.codes
    const n = this.n
    let { kinds, starts, ends, spaces, keywords } = this
    let pos = this.pos
    let count = this.count
    let space = this.space
    while (pos < n) {
      const c = codes[pos]!
      let kind: number = T_OTHER
      let end = pos + 1
      let keyword = 0
      switch (c < NON_ASCII ? ACTION[c]! : A_WORD) {
        case A_SPACE:
          pos++
          space = 1
          continue
        case A_PUNCT:
          kind = PUNCT_KIND[c]!
          break
        case A_WORD: {
          const next = codes[pos + 1]!
          if (next === SQUOTE || (next === AMP && (c | CASE_BIT) === LOWER_U)) {
            const stringEnd = this.prefixedString(pos, c)
            if (stringEnd >= 0) {
              end = stringEnd
              kind = this.scanned
              break
            }
          }
          while (end < n && isIdentCont(codes[end]!)) end++
          kind = T_IDENT
          // Looked up once here, so later passes compare ids instead of lower-cased strings.
          keyword = keywordAt(codes, pos, end)
          break
        }
        case A_DIGIT:
          end = this.scanNumber(pos)
          kind = T_NUMBER
          break
        case A_DQUOTE:
          end = this.scanQuoted(pos + 1, DQUOTE)
          kind = T_QIDENT
          break
        case A_SQUOTE:
          end = this.scanQuoted(pos + 1, SQUOTE)
          kind = T_STRING
          break
        case A_DOLLAR:
          if (isDigit(codes[pos + 1]!)) {
            end = pos + 2
            while (end < n && isDigit(codes[end]!)) end++
            kind = T_PARAM
          } else {
            const quoteEnd = this.dollarQuoteEnd(pos)
            if (quoteEnd >= 0) {
              end = quoteEnd
              kind = T_STRING
            }
          }
          break
        case A_COLON:
          if (codes[pos + 1]! === COLON) {
            end = pos + 2
            kind = T_CAST
          } else {
            kind = T_COLON
          }
          break
        case A_DOT: {
          const next = codes[pos + 1]!
          if (isDigit(next)) {
            end = this.scanNumber(pos)
            kind = T_NUMBER
          } else if (next === DOT && codes[pos + 2]! === DOT) {
            end = pos + 3
            kind = T_ELLIPSIS
          } else {
            kind = T_DOT
          }
          break
        }
        case A_OPERATOR: {
          const next = codes[pos + 1]!
          // Comments count as whitespace.
          if ((c === MINUS && next === MINUS) || (c === SLASH && next === STAR)) {
            pos = this.scanComment(pos)
            space = 1
            continue
          }
          if (c === QUESTION && introducesOperand(kinds, keywords, count)) {
            kind = T_QMARK
            break
          }
          this.pos = pos
          this.count = count
          this.space = space
          this.scanOperator(pos)
          ;({ kinds, starts, ends, spaces, keywords } = this)
          pos = this.pos
          count = this.count
          space = this.space
          continue
        }
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
}

// Whether a `?` after the first `count` tokens is an operand (placeholder) rather than the jsonb
// operator.
function introducesOperand(kinds: Uint8Array, keywords: Uint8Array, count: number): boolean {
  const last = count - 1
  if (last < 0) return true
  const kind = kinds[last]!
  return kind === T_IDENT ? isOperandKeyword(keywords[last]!) : punctuationIntroducesOperand(kind)
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
  const lexer = lexerFor(sql.length)
  lexer.reset(sql)
  lexer.run()
  return lexer.tokens()
}

// Buffers sized for the text: SQL has a token every 3 to 5 characters (every 2 in a long list of
// parameters); they double past that.
function lexerFor(length: number): Lexer {
  return new Lexer(Math.min(length + 1, 32 + (length >> 1)), length + CODE_PADDING)
}

// Buffers above this many tokens or characters are not kept for reuse.
const SHARED_CAPACITY = 4096
const SHARED_CODE_CAPACITY = 4 * SHARED_CAPACITY
const lexers = new Reuse<Lexer>({
  limit: SHARED_CODE_CAPACITY,
  shared: () => new Lexer(SHARED_CAPACITY, SHARED_CODE_CAPACITY),
  create: lexerFor,
  fits: (lexer, length) => lexer.codes.length >= length + CODE_PADDING,
  outgrown: (lexer) => lexer.kinds.length > SHARED_CAPACITY,
})

/**
 * {@link tokenize} into buffers reused from call to call: the result is valid only until the
 * next call. For the hot path, which consumes the tokens at once.
 *
 * @example
 * const t = tokenizeShared('select 1')
 * normalize(t) // before anything else tokenizes
 */
export function tokenizeShared(sql: string): Tokens {
  const lexer = lexers.acquire(sql.length)
  lexer.reset(sql)
  lexer.run()
  const tokens = lexer.tokens()
  lexers.release(lexer)
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

/**
 * When the `(` or `[` at token `open` encloses bare parameters only (`$n` or `?` without a cast,
 * at least one, comma-separated), the index of its closing token; else -1. The normaliser
 * emits such a list with less work, and the statement reader skips it.
 *
 * @example
 * bareParametersEnd(tokenize('in ($1, $2)').kinds, 1) // 5, the index of the `)`
 */
export function bareParametersEnd(kinds: Uint8Array, open: number): number {
  const close = kinds[open] === T_LPAREN ? T_RPAREN : T_RBRACKET
  let j = open + 1
  for (;;) {
    const k = kinds[j]
    if (k !== T_PARAM && k !== T_QMARK) return -1
    const next = kinds[j + 1]
    if (next === close) return j + 1
    if (next !== T_COMMA) return -1
    j += 2
  }
}

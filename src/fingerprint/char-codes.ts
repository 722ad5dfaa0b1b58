// The UTF-16 code units every fingerprint pass compares against, and the ASCII character classes
// of PostgreSQL's lexer (scan.l). The only place in src/fingerprint/ that spells a character as a
// number: the passes read code units from a Uint16Array, so they compare numbers, not strings.

export const TAB = 9
export const LF = 10
export const VT = 11
export const FF = 12
export const CR = 13
export const SPACE = 32
export const BANG = 33
export const DQUOTE = 34
export const HASH = 35
export const DOLLAR = 36
export const PERCENT = 37
export const AMP = 38
export const SQUOTE = 39
export const LPAREN = 40
export const RPAREN = 41
export const STAR = 42
export const PLUS = 43
export const COMMA = 44
export const MINUS = 45
export const DOT = 46
export const SLASH = 47
export const D0 = 48
export const D1 = 49
export const D7 = 55
export const D9 = 57
export const COLON = 58
export const SEMI = 59
export const LT = 60
export const EQ = 61
export const GT = 62
export const QUESTION = 63
export const AT = 64
export const UPPER_A = 65
export const UPPER_F = 70
export const UPPER_Z = 90
export const LBRACKET = 91
export const BACKSLASH = 92
export const RBRACKET = 93
export const CARET = 94
export const UNDERSCORE = 95
export const BACKTICK = 96
export const LOWER_A = 97
export const LOWER_B = 98
export const LOWER_E = 101
export const LOWER_F = 102
export const LOWER_N = 110
export const LOWER_O = 111
export const LOWER_U = 117
export const LOWER_X = 120
export const LOWER_Z = 122
export const PIPE = 124
export const TILDE = 126
/** The first code unit past ASCII; PostgreSQL treats every such character as an identifier one. */
export const NON_ASCII = 128
/** `c | CASE_BIT` is the lower-case form of an ASCII letter `c` (and some other character else). */
export const CASE_BIT = 0x20

/**
 * Character classes for ASCII, one byte each: bit 1 identifier start, bit 2 identifier
 * continuation, bit 4 operator character, bit 8 whitespace, bit 16 decimal digit.
 *
 * @example
 * (CLASS['a'.charCodeAt(0)]! & C_IDENT_START) !== 0 // true
 */
export const CLASS = new Uint8Array(NON_ASCII)
export const C_IDENT_START = 1
export const C_IDENT_CONT = 2
export const C_OP = 4
export const C_SPACE = 8
export const C_DIGIT = 16
for (let c = UPPER_A; c <= UPPER_Z; c++) CLASS[c] = C_IDENT_START | C_IDENT_CONT
for (let c = LOWER_A; c <= LOWER_Z; c++) CLASS[c] = C_IDENT_START | C_IDENT_CONT
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
  return c >= NON_ASCII ? true : (CLASS[c]! & C_IDENT_START) !== 0
}

/**
 * True for characters that may continue an unquoted identifier.
 *
 * @example
 * isIdentCont('$'.charCodeAt(0)) // true: a$b is one identifier
 */
export function isIdentCont(c: number): boolean {
  return c >= NON_ASCII ? true : (CLASS[c]! & C_IDENT_CONT) !== 0
}

/**
 * True for the characters operators are made of (`+ - * / < > = ~ ! @ # % ^ & | \` ?`).
 *
 * @example
 * isOperatorChar('?'.charCodeAt(0)) // true
 */
export function isOperatorChar(c: number): boolean {
  return c < NON_ASCII && (CLASS[c]! & C_OP) !== 0
}

/**
 * True for PostgreSQL's whitespace: space, tab, newline, vertical tab, form feed, carriage return.
 *
 * @example
 * isSpace('\f'.charCodeAt(0)) // true
 */
export function isSpace(c: number): boolean {
  return c < NON_ASCII && (CLASS[c]! & C_SPACE) !== 0
}

/**
 * True for `0`–`9`.
 *
 * @example
 * isDigit('7'.charCodeAt(0)) // true
 */
export function isDigit(c: number): boolean {
  return c >= D0 && c <= D9
}

/**
 * True for `0`–`9`, `a`–`f` and `A`–`F`.
 *
 * @example
 * isHexDigit('F'.charCodeAt(0)) // true
 */
export function isHexDigit(c: number): boolean {
  return (c >= D0 && c <= D9) || (c >= UPPER_A && c <= UPPER_F) || (c >= LOWER_A && c <= LOWER_F)
}

/**
 * True for `A`–`Z`, the only letters PostgreSQL folds in an unquoted identifier.
 *
 * @example
 * isAsciiUpper('Ä'.charCodeAt(0)) // false
 */
export function isAsciiUpper(c: number): boolean {
  return c >= UPPER_A && c <= UPPER_Z
}

/**
 * The code unit with an ASCII upper-case letter lowered; any other unchanged.
 *
 * @example
 * String.fromCharCode(foldAscii('Q'.charCodeAt(0))) // 'q'
 */
export function foldAscii(c: number): number {
  return c >= UPPER_A && c <= UPPER_Z ? c + CASE_BIT : c
}

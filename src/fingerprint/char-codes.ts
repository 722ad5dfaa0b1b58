// The UTF-16 code units every fingerprint pass compares against, and the ASCII character classes
// of PostgreSQL's lexer (scan.l). The only place in src/fingerprint/ that spells a character as a
// number: the passes read code units from a Uint16Array, so they compare numbers, not strings.
//
// The codes are exported as one object that each pass destructures into module constants
// (`const { SQUOTE } = CH`), the way the passes already read token kinds from Tok: V8 folds
// module-local constants into the compiled code, while an imported binding is loaded from its
// module cell at each use.

/**
 * Character codes by name.
 *
 * @example
 * const { SQUOTE } = CH
 * codes[i] === SQUOTE // a single quote
 */
export const CH = {
  TAB: 9,
  LF: 10,
  VT: 11,
  FF: 12,
  CR: 13,
  SPACE: 32,
  BANG: 33,
  DQUOTE: 34,
  HASH: 35,
  DOLLAR: 36,
  PERCENT: 37,
  AMP: 38,
  SQUOTE: 39,
  LPAREN: 40,
  RPAREN: 41,
  STAR: 42,
  PLUS: 43,
  COMMA: 44,
  MINUS: 45,
  DOT: 46,
  SLASH: 47,
  D0: 48,
  D1: 49,
  D7: 55,
  D9: 57,
  COLON: 58,
  SEMI: 59,
  LT: 60,
  EQ: 61,
  GT: 62,
  QUESTION: 63,
  AT: 64,
  UPPER_A: 65,
  UPPER_F: 70,
  UPPER_Z: 90,
  LBRACKET: 91,
  BACKSLASH: 92,
  RBRACKET: 93,
  CARET: 94,
  UNDERSCORE: 95,
  BACKTICK: 96,
  LOWER_A: 97,
  LOWER_B: 98,
  LOWER_E: 101,
  LOWER_F: 102,
  LOWER_N: 110,
  LOWER_O: 111,
  LOWER_U: 117,
  LOWER_X: 120,
  LOWER_Z: 122,
  PIPE: 124,
  TILDE: 126,
  NON_ASCII: 128,
  CASE_BIT: 0x20,
} as const

const { TAB, LF, VT, FF, CR, SPACE, DOLLAR, D0, D9, UPPER_A, UPPER_F, UPPER_Z, UNDERSCORE, LOWER_A, LOWER_F, LOWER_Z, NON_ASCII, CASE_BIT } = CH

// Character classes for ASCII, one byte each: bit 1 identifier start, bit 2 identifier
// continuation, bit 4 operator character, bit 8 whitespace, bit 16 decimal digit.
const CLASS = new Uint8Array(NON_ASCII)
const C_IDENT_START = 1
const C_IDENT_CONT = 2
const C_OP = 4
const C_SPACE = 8
const C_DIGIT = 16
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

/**
 * The ASCII character classes of {@link isIdentStart} and its siblings, for building tables
 * indexed by character: `classOf(c) & CLASS_BITS.Space` and so on.
 *
 * @example
 * (classOf(' '.charCodeAt(0)) & CLASS_BITS.Space) !== 0 // true
 */
export const CLASS_BITS = { IdentStart: C_IDENT_START, IdentCont: C_IDENT_CONT, Operator: C_OP, Space: C_SPACE, Digit: C_DIGIT } as const

/**
 * The class bits of an ASCII character (see {@link CLASS_BITS}); 0 for others.
 *
 * @example
 * classOf('1'.charCodeAt(0)) // CLASS_BITS.IdentCont | CLASS_BITS.Digit
 */
export function classOf(c: number): number {
  return c < NON_ASCII ? CLASS[c]! : 0
}

// The words the fingerprint code reacts to, as small integer ids. The tokenizer looks each
// unquoted identifier up once (case-insensitively, straight from the character codes), so the
// normaliser and the statement reader compare integers and test flag bits instead of lowering,
// slicing and comparing strings for every token.

import { CH } from './char-codes.js'
import type { StatementKind } from './types.js'

// Character codes and token kinds as module constants: V8 folds these into the compiled code,
// while each read of an imported binding or of an imported object's property is a load and a check.
const { CASE_BIT, LOWER_A, LOWER_Z } = CH

// Keywords after which the next token is an operand (a value), not an operator. They decide
// whether `-5` is one literal, whether `?` is a placeholder or the jsonb operator, and they are
// never taken as the type name of a typed literal (`select 'a'` is not a literal of type "select").
const OPERAND_WORDS = [
  'all', 'and', 'any', 'array', 'as', 'asymmetric', 'between', 'both', 'by', 'cache', 'case',
  'default', 'distinct', 'do', 'else', 'escape', 'except', 'exists', 'fetch', 'first', 'for',
  'from', 'having', 'ilike', 'in', 'increment', 'intersect', 'into', 'is', 'join', 'lateral',
  'leading', 'like', 'limit', 'materialized', 'maxvalue', 'minvalue', 'next', 'not', 'offset',
  'on', 'or', 'placing', 'recursive', 'restart', 'return', 'returning', 'row', 'rows', 'select',
  'set', 'similar', 'some', 'start', 'symmetric', 'then', 'to', 'trailing', 'union', 'using',
  'values', 'when', 'where', 'with',
] as const

const WORDS = [
  ...OPERAND_WORDS,
  // Statement heads and clauses.
  'table', 'insert', 'update', 'delete', 'merge', 'begin', 'commit', 'end', 'rollback', 'abort',
  'savepoint', 'release', 'prepare', 'transaction', 'move', 'close', 'grant', 'revoke',
  'deallocate', 'copy', 'group', 'order', 'window', 'only', 'if', 'temp', 'temporary', 'unlogged',
  'local', 'global', 'stdin', 'stdout', 'extract', 'substring', 'trim', 'overlay',
  // Values and type names.
  'null', 'true', 'false', 'cast', 'interval', 'year', 'month', 'day', 'hour', 'minute', 'second',
  'double', 'precision', 'national', 'character', 'char', 'varying', 'bit', 'nchar', 'timestamp',
  'time', 'without', 'zone', 'uescape',
] as const

/** One of the words in the keyword table. */
export type Keyword = (typeof WORDS)[number]

/**
 * Keyword ids by word; 0 is "not a keyword".
 *
 * @example
 * keywordAt('SELECT 1', 0, 6) === KW.select // true
 */
export const KW: { readonly [K in Keyword]: number } = Object.freeze(
  Object.fromEntries(WORDS.map((w, i) => [w, i + 1])) as { [K in Keyword]: number },
)

/** Flag bits of {@link keywordFlags}. */
export const KF = {
  /** Puts the token after it in operand position. */
  Operand: 1,
  /** Ends a FROM list at its own depth. */
  FromListEnd: 2,
  /** Can follow FROM / JOIN / TABLE but is not a relation name. */
  NotRelation: 4,
  /** Looks like a column but is not one. */
  NotColumn: 8,
  /** A column comparison may follow (WHERE, AND, OR, ON, NOT, HAVING, WHEN). */
  FilterContext: 16,
  /** An interval field: YEAR … SECOND. */
  IntervalField: 32,
  /** A function whose arguments use FROM as a separator: extract(day from x). */
  FromFunction: 64,
  /** Starts a transaction-control statement. */
  Transaction: 128,
  /** Starts a statement whose FROM / TO names a cursor or a role, not a relation. */
  NoTables: 256,
  /** Starts a type name that can go on with more words: `double precision`, `time with time zone`. */
  TypeWord: 512,
} as const

const FLAG_WORDS: readonly (readonly [number, readonly Keyword[]])[] = [
  [KF.Operand, OPERAND_WORDS],
  [
    KF.FromListEnd,
    ['where', 'group', 'having', 'order', 'limit', 'offset', 'window', 'union', 'intersect', 'except', 'returning',
      'for', 'fetch', 'into', 'set', 'values', 'select', 'when', 'then', 'do'],
  ],
  [
    KF.NotRelation,
    ['select', 'values', 'where', 'all', 'in', 'set', 'default', 'lateral', 'only', 'if', 'not', 'exists', 'temp',
      'temporary', 'unlogged', 'table', 'local', 'global', 'stdin', 'stdout'],
  ],
  [KF.NotColumn, ['null', 'true', 'false', 'not', 'exists', 'case', 'array', 'row', 'select', 'values', 'cast', 'default']],
  [KF.FilterContext, ['where', 'and', 'or', 'on', 'not', 'having', 'when']],
  [KF.IntervalField, ['year', 'month', 'day', 'hour', 'minute', 'second']],
  [KF.FromFunction, ['extract', 'substring', 'trim', 'overlay']],
  [KF.Transaction, ['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release']],
  [KF.NoTables, ['fetch', 'move', 'close', 'grant', 'revoke', 'deallocate']],
  [KF.TypeWord, ['double', 'national', 'character', 'char', 'bit', 'nchar', 'interval', 'timestamp', 'time']],
]

const FLAGS = new Uint16Array(WORDS.length + 1)
for (const [flag, words] of FLAG_WORDS) for (const w of words) FLAGS[KW[w]]! |= flag

/**
 * The {@link KF} flags of a keyword id (0 for id 0).
 *
 * @example
 * (keywordFlags(KW.where) & KF.Operand) !== 0 // true: `where -5 = a` starts with the literal -5
 */
export function keywordFlags(id: number): number {
  return FLAGS[id]!
}

/**
 * Whether a keyword id puts the token after it in operand position.
 *
 * @example
 * isOperandKeyword(KW.where) // true
 * isOperandKeyword(0)        // false: `pet - 5` is a subtraction
 */
export function isOperandKeyword(id: number): boolean {
  return (FLAGS[id]! & KF.Operand) !== 0
}

const MAIN_KINDS: readonly (readonly [Keyword, StatementKind])[] = [
  ['select', 'select'], ['values', 'select'], ['table', 'select'], ['insert', 'insert'], ['update', 'update'],
  ['delete', 'delete'], ['merge', 'merge'],
]
const MAIN_KIND: (StatementKind | undefined)[] = Array.from({ length: WORDS.length + 1 }, () => undefined)
for (const [w, kind] of MAIN_KINDS) MAIN_KIND[KW[w]] = kind

/**
 * The statement kind a main statement keyword starts (`select`, `values`, `table`, `insert`,
 * `update`, `delete`, `merge`), else undefined.
 *
 * @example
 * mainKind(KW.values) // 'select'
 */
export function mainKind(id: number): StatementKind | undefined {
  return MAIN_KIND[id]
}

// A word of up to 12 ASCII letters packs exactly into two integers (5 bits a letter, a = 1), so
// the lookup is one pass over the characters and two integer compares: no string, no second
// pass to check the characters of a candidate.
const MAX_WORD_LENGTH = 12
const SLOT_BITS = 9
const SLOT_MASK = (1 << SLOT_BITS) - 1
const SLOT_IDS = new Uint8Array(1 << SLOT_BITS)
const SLOT_LOW = new Int32Array(1 << SLOT_BITS)
const SLOT_HIGH = new Int32Array(1 << SLOT_BITS)

// A lower-case letter as 1 to 26, five bits of a packed word.
function letterNumber(c: number): number {
  return c - LOWER_A + 1
}

function slotOf(low: number, high: number): number {
  return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> (32 - SLOT_BITS)
}

for (const [i, w] of WORDS.entries()) {
  if (w.length > MAX_WORD_LENGTH) throw new Error(`keyword ${w} is longer than ${MAX_WORD_LENGTH} letters`)
  let low = 0
  let high = 0
  for (let j = 0; j < w.length; j++) {
    if (j < 6) low = low * 32 + letterNumber(w.charCodeAt(j))
    else high = high * 32 + letterNumber(w.charCodeAt(j))
  }
  let slot = slotOf(low, high)
  while (SLOT_IDS[slot] !== 0) slot = (slot + 1) & SLOT_MASK
  SLOT_IDS[slot] = i + 1
  SLOT_LOW[slot] = low
  SLOT_HIGH[slot] = high
}

/**
 * The keyword id of the code units `codes[start, end)`, compared case-insensitively in ASCII (as
 * PostgreSQL folds unquoted identifiers), or 0. Allocates nothing.
 *
 * @example
 * keywordAt(tokenize('x FROM y').codes, 2, 6) === KW.from // true
 * keywordAt(tokenize('Ärger').codes, 0, 5)                 // 0
 */
export function keywordAt(codes: Uint16Array, start: number, end: number): number {
  if (end - start < 2 || end - start > MAX_WORD_LENGTH) return 0
  let low = 0
  let high = 0
  for (let i = start; i < end; i++) {
    // Keywords are ASCII letters only: anything else is an identifier.
    const c = codes[i]! | CASE_BIT
    if (c < LOWER_A || c > LOWER_Z) return 0
    if (i - start < 6) low = low * 32 + letterNumber(c)
    else high = high * 32 + letterNumber(c)
  }
  for (let slot = slotOf(low, high); ; slot = (slot + 1) & SLOT_MASK) {
    const id = SLOT_IDS[slot]!
    if (id === 0 || (SLOT_LOW[slot] === low && SLOT_HIGH[slot] === high)) return id
  }
}

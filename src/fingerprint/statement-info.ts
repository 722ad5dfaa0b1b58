// Kind, tables and column filters from the token stream. A heuristic reader, not a parser: it
// looks at keywords and at a few tokens after them, in one forward pass, and never throws.
// Keywords are compared by id and operators by their packed characters; a string is built only
// for a table or a filter that goes into the result.

import { CH } from './char-codes.js'
import { isOperandKeyword, KF, keywordFlags, KW, mainKind } from './keywords.js'
import { lowerIdent } from './lower-ident.js'
import { keyword, lastValue, parseValue } from './parse-value.js'
import { bareParametersEnd, Tok, type Tokens } from './tokenizer.js'
import type { ColumnFilter, StatementKind } from './types.js'

// Character codes and token kinds as module constants: V8 folds these into the compiled code,
// while each read of an imported binding or of an imported object's property is a load and a check.
const { D0, DQUOTE } = CH
const { Cast: T_CAST, Comma: T_COMMA, Dot: T_DOT, Ellipsis: T_ELLIPSIS, Ident: T_IDENT, LBracket: T_LBRACKET,
  LParen: T_LPAREN, Op: T_OP, Param: T_PARAM, QIdent: T_QIDENT, RParen: T_RPAREN, Semi: T_SEMI } = Tok

// Keyword ids and flags as module constants: V8 folds these into the compiled code, while each
// read of a property of an imported object is a load and a check.
const { all: K_ALL, any: K_ANY, as: K_AS, between: K_BETWEEN, copy: K_COPY, distinct: K_DISTINCT,
  exists: K_EXISTS, from: K_FROM, if: K_IF, ilike: K_ILIKE, in: K_IN, into: K_INTO, is: K_IS, join: K_JOIN,
  lateral: K_LATERAL, like: K_LIKE, not: K_NOT, only: K_ONLY, prepare: K_PREPARE, recursive: K_RECURSIVE,
  select: K_SELECT, set: K_SET, similar: K_SIMILAR, some: K_SOME, table: K_TABLE, to: K_TO,
  transaction: K_TRANSACTION, update: K_UPDATE, using: K_USING, values: K_VALUES, with: K_WITH,
} = KW
const { FilterContext: KF_FILTER_CONTEXT, FromFunction: KF_FROM_FUNCTION, FromListEnd: KF_FROM_LIST_END,
  NotColumn: KF_NOT_COLUMN, NotRelation: KF_NOT_RELATION, NoTables: KF_NO_TABLES,
  Transaction: KF_TRANSACTION,
} = KF

/**
 * What {@link describeStatement} reads from a statement besides its shape.
 *
 * @example
 * { kind: 'select', tables: ['pet'], filters: [{ column: 'owner_id', operator: '=', param: 1 }] }
 */
export interface StatementFacts {
  readonly kind: StatementKind
  readonly tables: readonly string[]
  readonly filters: readonly ColumnFilter[]
}

// An operator of up to four characters (all ASCII) packed into one integer, so a comparison is
// recognised without slicing its text.
function packOperator(codes: Uint16Array, from: number, to: number): number {
  if (to - from > 4) return 0
  let code = 0
  for (let i = from; i < to; i++) code = (code << 7) | codes[i]!
  return code
}

const COMPARISON_TEXTS = [
  '=', '<>', '!=', '<', '>', '<=', '>=', '@>', '<@', '&&', '?', '?|', '?&', '~', '~*', '!~', '!~*',
  '~~', '!~~', '~~*', '!~~*', '@@', '@?', '-|-',
]
const COMPARISONS: ReadonlyMap<number, string> = new Map(
  COMPARISON_TEXTS.map((op) => [packOperator(Uint16Array.from(op, (c) => c.charCodeAt(0)), 0, op.length), op]),
)

// `$1 < col` reads as `col > $1`.
const FLIPPED: ReadonlyMap<string, string> = new Map([['<', '>'], ['>', '<'], ['<=', '>='], ['>=', '<='], ['@>', '<@'], ['<@', '@>']])

// Operator names of keyword comparisons, with and without NOT, as constants (no concatenation).
const WORD_OPERATORS: ReadonlyMap<number, readonly [string, string]> = new Map([
  [K_IN, ['in', 'not in']],
  [K_LIKE, ['like', 'not like']],
  [K_ILIKE, ['ilike', 'not ilike']],
  [K_SIMILAR, ['similar to', 'not similar to']],
  [K_BETWEEN, ['between', 'not between']],
])

// When the `(` at token `open` starts a list of bare parameters, the index of its `)`; else
// `open + 1` (where a reader going on after the list continues otherwise).
function afterParameterList(kinds: Uint8Array, open: number): number {
  const close = bareParametersEnd(kinds, open)
  return close < 0 ? open + 1 : close
}

const EMPTY_TABLES: readonly string[] = Object.freeze([])
const EMPTY_FILTERS: readonly ColumnFilter[] = Object.freeze([])

function unquote(text: string): string {
  if (text.charCodeAt(0) !== DQUOTE) return text // U&"…": keep as written
  const end = text.length > 1 && text.charCodeAt(text.length - 1) === DQUOTE ? text.length - 1 : text.length
  const inner = text.slice(1, end)
  return inner.includes('""') ? inner.replaceAll('""', '"') : inner
}

// Per open-paren depth, in one byte: a FROM list is open; a CTE list is open; the paren is
// extract(…)-like (FROM inside it is an argument separator).
const D_FROM_LIST = 1
const D_CTE_LIST = 2
const D_FROM_FUNCTION = 4

// State of one describeStatement() call. A class rather than closures so nothing is allocated
// per call but the result; one instance is reused.
class StatementReader {
  t!: Tokens
  kinds!: Uint8Array
  n = 0
  kind: StatementKind = 'utility'
  /** Token index of the first word (after leading parentheses) and its keyword id. */
  head = 0
  first = 0
  /** Token index of the main statement keyword, or -1. */
  main = -1
  tables: string[] = []
  filters: ColumnFilter[] = []
  seen: Set<string> | undefined = undefined
  ctes: Set<string> | undefined = undefined
  target: string | undefined = undefined
  depthFlags = new Uint8Array(64)
  /** The column chain found by columnAt: tokens chainFirst, chainFirst + 2, …, chainLast. */
  chainFirst = 0
  chainLast = 0

  isName(i: number): boolean {
    const k = this.kinds[i]
    return k === T_IDENT || k === T_QIDENT
  }

  // Lower-case text of an unquoted identifier, unquoted text of a quoted one.
  name(i: number): string {
    const t = this.t
    const text = t.sql.slice(t.starts[i], t.ends[i])
    return this.kinds[i] === T_IDENT ? lowerIdent(text) : unquote(text)
  }

  // `a.b.c` from the names at tokens from, from + 2, …, to.
  dotted(from: number, to: number): string {
    let full = this.name(from)
    for (let p = from + 2; p <= to; p += 2) full += '.' + this.name(p)
    return full
  }

  keyword(i: number): number {
    return keyword(this.t, i)
  }

  reset(t: Tokens): void {
    this.t = t
    this.kinds = t.kinds
    this.n = t.count
    this.kind = 'utility'
    this.main = -1
    this.tables = []
    this.filters = []
    this.seen = undefined
    this.ctes = undefined
    this.target = undefined
    if (this.depthFlags.length <= t.count) this.depthFlags = new Uint8Array(t.count + 1)
  }

  // Kind, and the index of the main statement keyword. A text of several statements
  // (`begin; select …; commit`) is classed by its first select / insert / update / delete / merge,
  // and only when it has none by its first statement.
  classify(): void {
    let start = 0
    for (let first = true; start < this.n; first = false) {
      const next = this.classifyAt(start, first)
      if (this.main >= 0 || next < 0) return
      start = next
    }
  }

  // Classes the statement starting at token `start` (kept when `first` or when it is a main
  // kind); returns where the next statement starts, or -1.
  classifyAt(start: number, first: boolean): number {
    const kinds = this.kinds
    let m = start
    while (kinds[m] === T_LPAREN) m++
    const word = this.keyword(m)
    let kind: StatementKind = 'utility'
    let main = -1
    let j = m
    if (word === K_WITH) {
      let depth = 0
      for (j = m + 1; j < this.n; j++) {
        const k = kinds[j]
        if (k === T_LPAREN) depth++
        else if (k === T_RPAREN) depth--
        else if (k === T_SEMI && depth <= 0) break
        else if (depth === 0 && k === T_IDENT) {
          const found = mainKind(this.t.keywords[j]!)
          if (found !== undefined) {
            kind = found
            main = j
            break
          }
        }
      }
    } else if (mainKind(word) !== undefined) {
      kind = mainKind(word)!
      main = m
    } else if ((keywordFlags(word) & KF_TRANSACTION) !== 0 || (word === K_PREPARE && this.keyword(m + 1) === K_TRANSACTION)) {
      kind = 'transaction'
    }
    if (first || main >= 0) {
      this.head = m
      this.first = word
      this.kind = kind
      this.main = main
    }
    if (main >= 0) return -1
    // The next statement: after a `;` outside parentheses with something after it.
    let depth = 0
    for (; j < this.n; j++) {
      const k = kinds[j]
      if (k === T_LPAREN) depth++
      else if (k === T_RPAREN) depth--
      else if (k === T_SEMI && depth <= 0) return j + 1 < this.n ? j + 1 : -1
    }
    return -1
  }

  addTable(full: string): void {
    const tables = this.tables
    // A statement names a handful of relations; a Set only pays off past that.
    if (this.seen === undefined) {
      if (tables.includes(full)) return
      tables.push(full)
      if (tables.length > 8) this.seen = new Set(tables)
    } else if (!this.seen.has(full)) {
      this.seen.add(full)
      tables.push(full)
    }
  }

  // Reads a relation name at `i` (after FROM, JOIN, INTO, …); subqueries and functions are not.
  // After INTO and TABLE a parenthesis is a column list, elsewhere it makes a function call.
  relation(i: number, isTarget: boolean, columnList = false): void {
    const kinds = this.kinds
    while (this.keyword(i) === K_LATERAL || this.keyword(i) === K_ONLY) i++
    if (!this.isName(i)) return
    if ((keywordFlags(this.keyword(i)) & KF_NOT_RELATION) !== 0) return
    let k = i + 1
    while (kinds[k] === T_DOT && this.isName(k + 1)) k += 2
    if ((kinds[k] === T_LPAREN && !columnList) || kinds[k] === T_DOT) return
    const full = this.dotted(i, k - 1)
    if (k === i + 1 && this.ctes?.has(full) === true) return
    if (isTarget && this.target === undefined) this.target = full
    this.addTable(full)
  }

  // A CTE name at `i` when it is followed by AS or a column list.
  cteName(i: number): boolean {
    if (!this.isName(i)) return false
    if (this.kinds[i + 1] !== T_LPAREN && this.keyword(i + 1) !== K_AS) return false
    ;(this.ctes ??= new Set()).add(this.name(i))
    return true
  }

  // Whether a column comparison may start after token `p`.
  filterContext(p: number): boolean {
    if (p < 0) return false
    const k = this.kinds[p]
    if (k === T_LPAREN) {
      // A grouping paren, not a function call's.
      if (p === 0) return true
      const q = this.kinds[p - 1]
      return !(q === T_QIDENT || (q === T_IDENT && !isOperandKeyword(this.keyword(p - 1))))
    }
    return k === T_IDENT && (keywordFlags(this.t.keywords[p]!) & KF_FILTER_CONTEXT) !== 0
  }

  // The number of the `$n` parameter the last parsed value is made of.
  paramNumber(): number | undefined {
    return this.paramNumberAt(lastValue.param)
  }

  // The number of the `$n` parameter at token `p`, or undefined for -1.
  paramNumberAt(p: number): number | undefined {
    if (p < 0) return undefined
    const { sql, codes, starts, ends } = this.t
    const from = starts[p]! + 1
    const to = ends[p]!
    // Past 15 digits summing could round differently from Number().
    if (to - from > 15) return Number(sql.slice(from, to))
    let value = 0
    for (let i = from; i < to; i++) value = value * 10 + codes[i]! - D0
    return value
  }

  // Records a filter on the column chain found by the last columnAt.
  addFilter(operator: string, param: number | undefined): void {
    const last = this.chainLast
    const column = this.name(last)
    const qualifier = last === this.chainFirst ? undefined : this.dotted(this.chainFirst, last - 2)
    const f: ColumnFilter =
      qualifier === undefined
        ? param === undefined
          ? { column, operator }
          : { column, operator, param }
        : param === undefined
          ? { table: qualifier, column, operator }
          : { table: qualifier, column, operator, param }
    this.filters.push(Object.freeze(f))
  }

  comparisonAt(i: number): string | undefined {
    const t = this.t
    return COMPARISONS.get(packOperator(t.codes, t.starts[i]!, t.ends[i]!))
  }

  // `col op value`, the column chain ending before token `e`.
  columnFirst(e: number): void {
    const t = this.t
    const kinds = this.kinds
    const k = kinds[e]
    if (k === T_OP) {
      const op = this.comparisonAt(e)
      if (op === undefined) return
      const v = parseValue(t, e + 1, true)
      if (v >= 0) {
        this.addFilter(op, this.paramNumber())
        return
      }
      const quantifier = this.keyword(e + 1)
      if ((quantifier === K_ANY || quantifier === K_SOME || quantifier === K_ALL) && kinds[e + 2] === T_LPAREN) {
        const inner = parseValue(t, e + 3, true)
        if (inner >= 0 && kinds[inner] === T_RPAREN) this.addFilter(quantifier === K_ALL ? 'all' : 'any', this.paramNumber())
      }
      return
    }
    if (k !== T_IDENT) return
    let w = this.keyword(e)
    let j = e + 1
    let negated = 0
    if (w === K_NOT) {
      negated = 1
      w = this.keyword(j)
      j++
    } else if (w === K_IS) {
      let not = false
      if (this.keyword(j) === K_NOT) {
        not = true
        j++
      }
      if (this.keyword(j) !== K_DISTINCT || this.keyword(j + 1) !== K_FROM) return
      if (parseValue(t, j + 2, true) >= 0) this.addFilter(not ? 'is not distinct from' : 'is distinct from', this.paramNumber())
      return
    }
    if (w === K_IN) {
      this.inList(j, WORD_OPERATORS.get(K_IN)![negated]!)
      return
    }
    if (w === K_SIMILAR) {
      if (this.keyword(j) !== K_TO) return
      j++
    }
    const operators = WORD_OPERATORS.get(w)
    if (operators !== undefined && parseValue(t, j, true) >= 0) this.addFilter(operators[negated]!, this.paramNumber())
  }

  // `col in (…)` with the list opening at token `j`: a collapsed list or plain values only.
  inList(j: number, operator: string): void {
    const kinds = this.kinds
    if (kinds[j] !== T_LPAREN) return
    if (kinds[j + 1] === T_ELLIPSIS && kinds[j + 2] === T_RPAREN) {
      this.addFilter(operator, undefined)
      return
    }
    // Bare parameters, the usual list, need no parseValue.
    if (afterParameterList(kinds, j) > j + 1) {
      this.addFilter(operator, kinds[j + 1] === T_PARAM ? this.paramNumberAt(j + 1) : undefined)
      return
    }
    let p = j + 1
    let param: number | undefined
    for (let first = true; ; first = false) {
      const v = parseValue(this.t, p, true)
      if (v < 0) return
      if (first) param = this.paramNumber()
      if (kinds[v] === T_COMMA) p = v + 1
      else if (kinds[v] === T_RPAREN) break
      else return
    }
    this.addFilter(operator, param)
  }

  // A column chain at `i`: returns its end index, or -1; sets chainFirst and chainLast.
  columnAt(i: number): number {
    const kinds = this.kinds
    if (!this.isName(i) || (i > 0 && kinds[i - 1] === T_DOT)) return -1
    let last = i
    let k = i + 1
    while (kinds[k] === T_DOT && this.isName(k + 1)) {
      last = k + 1
      k += 2
    }
    const after = kinds[k]
    if (after === T_LPAREN || after === T_DOT || after === T_LBRACKET) return -1
    if (last === i && (keywordFlags(this.keyword(i)) & KF_NOT_COLUMN) !== 0) return -1
    this.chainFirst = i
    this.chainLast = last
    return k
  }

  // `col op value` and `value op col` after WHERE / AND / OR / ON / NOT / HAVING / WHEN / (.
  filterAt(j: number): void {
    const e = this.columnAt(j)
    if (e >= 0) {
      this.columnFirst(e)
      return
    }
    const v = parseValue(this.t, j, true)
    if (v < 0 || this.kinds[v] !== T_OP) return
    const op = this.comparisonAt(v)
    if (op === undefined) return
    const param = this.paramNumber()
    const c = this.columnAt(v + 1)
    if (c < 0) return
    const after = this.kinds[c]
    if (after === T_OP || after === T_CAST) return
    this.addFilter(FLIPPED.get(op) ?? op, param)
  }

  // Tables named after the keyword at `j`, which is at paren depth `depth`.
  clause(j: number, depth: number): void {
    const flags = this.depthFlags
    const w = this.t.keywords[j]!
    if ((keywordFlags(w) & KF_FROM_LIST_END) !== 0) flags[depth]! &= ~D_FROM_LIST
    if ((flags[depth]! & D_CTE_LIST) !== 0 && mainKind(w) !== undefined) flags[depth]! &= ~D_CTE_LIST
    const { kind, main } = this
    switch (w) {
      case K_FROM:
        if ((flags[depth]! & D_FROM_FUNCTION) !== 0 || (j > 0 && this.keyword(j - 1) === K_DISTINCT) || (this.first === K_COPY && depth === 0)) break
        // The outermost statement's FROM names the main table, not a subquery's before it.
        this.relation(j + 1, (depth === 0 && kind === 'select') || (main >= 0 && j === main + 1 && kind === 'delete'))
        flags[depth]! |= D_FROM_LIST
        break
      case K_JOIN:
        this.relation(j + 1, false)
        break
      case K_INTO: {
        let i = j + 1
        for (let w = this.keyword(i); (keywordFlags(w) & KF_NOT_RELATION) !== 0 && w !== K_SELECT && w !== K_VALUES; w = this.keyword(i)) i++
        // `select … into t from …` writes t: it stays the main table.
        this.relation(i, (main >= 0 && j === main + 1) || (depth === 0 && kind === 'select'), true)
        break
      }
      case K_UPDATE: {
        const prev = j > 0 ? this.kinds[j - 1] : undefined
        if (j === main || prev === undefined || prev === T_LPAREN || prev === T_RPAREN || prev === T_SEMI) {
          if (this.keyword(j + 1) !== K_SET) this.relation(j + 1, j === main)
        }
        break
      }
      case K_TABLE: {
        let i = j + 1
        for (let w = this.keyword(i); w === K_IF || w === K_NOT || w === K_EXISTS || w === K_ONLY; w = this.keyword(i)) i++
        this.relation(i, false, true)
        break
      }
      case K_USING:
        if (depth === 0 && (kind === 'merge' || kind === 'delete')) {
          this.relation(j + 1, false)
          if (kind === 'delete') flags[depth]! |= D_FROM_LIST
        }
        break
      case K_WITH: {
        let i = j + 1
        if (this.keyword(i) === K_RECURSIVE) i++
        if (this.cteName(i)) flags[depth]! |= D_CTE_LIST
        break
      }
    }
  }

  read(): StatementFacts {
    this.classify()
    const { kind, first, kinds, n } = this
    if (kind === 'transaction' || (keywordFlags(first) & KF_NO_TABLES) !== 0) return { kind, tables: EMPTY_TABLES, filters: EMPTY_FILTERS }
    const flags = this.depthFlags
    flags[0] = 0
    let depth = 0
    if (first === K_COPY) this.relation(this.head + 1, false)
    for (let j = 0; j < n; j++) {
      const k = kinds[j]!
      if (k === T_LPAREN) {
        depth++
        flags[depth] = j > 0 && kinds[j - 1] === T_IDENT && (keywordFlags(this.t.keywords[j - 1]!) & KF_FROM_FUNCTION) !== 0 ? D_FROM_FUNCTION : 0
      } else if (k === T_RPAREN) {
        if (depth > 0) depth--
      } else if (k === T_COMMA) {
        if ((flags[depth]! & D_FROM_LIST) !== 0) this.relation(j + 1, false)
        else if ((flags[depth]! & D_CTE_LIST) !== 0) this.cteName(j + 1)
      } else if (k === T_SEMI) {
        depth = 0
        flags[0] = 0
      } else if (k === T_IDENT && this.t.keywords[j] !== 0) {
        this.clause(j, depth)
      }
      if (this.filterContext(j - 1)) this.filterAt(j)
      if (k === T_LPAREN) {
        // Nothing in a list of bare parameters names a table or starts a filter (the first one is
        // tried as `value op column` above and fails): go on at its `)`.
        j = afterParameterList(kinds, j) - 1
      } else if (k === T_COMMA && kinds[j + 1] === T_LPAREN) {
        // The same for such a list after a comma, a VALUES row: the comma names no table before a
        // parenthesis (see relation and cteName), so go on after the `)`.
        const close = afterParameterList(kinds, j + 1)
        if (close > j + 2) j = close
      }
    }
    const { tables, target } = this
    if (target !== undefined && tables[0] !== target) {
      tables.splice(tables.indexOf(target), 1)
      tables.unshift(target)
    }
    return { kind, tables: tables.length === 0 ? EMPTY_TABLES : tables, filters: this.filters.length === 0 ? EMPTY_FILTERS : this.filters }
  }
}

const reader = new StatementReader()

/**
 * Reads the statement class, the relations and the column filters of a tokenised statement.
 * The arrays returned are new (or shared frozen empty ones), the caller may freeze them.
 *
 * @example
 * describeStatement(tokenize('delete from pet where id = $1'))
 * // { kind: 'delete', tables: ['pet'], filters: [{ column: 'id', operator: '=', param: 1 }] }
 */
export function describeStatement(t: Tokens): StatementFacts {
  reader.reset(t)
  return reader.read()
}

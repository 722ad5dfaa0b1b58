// Kind, tables and column filters from the token stream. A heuristic reader, not a parser: it
// looks at keywords and at a few tokens after them, in one forward pass, and never throws.

import { isOperandKeyword } from './keywords.js'
import { lastValue, parseValue, word } from './parse-value.js'
import { Tok, type Tokens } from './tokenizer.js'
import type { ColumnFilter, StatementKind } from './types.js'

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

const MAIN_KEYWORDS: Readonly<Record<string, StatementKind>> = {
  select: 'select',
  values: 'select',
  table: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  merge: 'merge',
}

const TRANSACTION_KEYWORDS: ReadonlySet<string> = new Set([
  'begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release',
])

// Statements whose FROM / TO name something other than a relation (a cursor, a role).
const NO_TABLES: ReadonlySet<string> = new Set(['fetch', 'move', 'close', 'grant', 'revoke', 'deallocate'])

// Clause keywords that end a FROM list at their own depth.
const FROM_LIST_END: ReadonlySet<string> = new Set([
  'where', 'group', 'having', 'order', 'limit', 'offset', 'window', 'union', 'intersect', 'except',
  'returning', 'for', 'fetch', 'into', 'set', 'values', 'select', 'when', 'then', 'do',
])

// Functions whose arguments use FROM as a separator: extract(day from x), trim(both from x).
const FROM_FUNCTIONS: ReadonlySet<string> = new Set(['extract', 'substring', 'trim', 'overlay'])

// Words that can follow FROM / JOIN / TABLE but are not relation names.
const NOT_RELATIONS: ReadonlySet<string> = new Set([
  'select', 'values', 'where', 'all', 'in', 'set', 'default', 'lateral', 'only', 'if', 'not', 'exists',
  'temp', 'temporary', 'unlogged', 'table', 'local', 'global', 'stdin', 'stdout',
])

// Words that look like a column but are not one.
const NOT_COLUMNS: ReadonlySet<string> = new Set([
  'null', 'true', 'false', 'not', 'exists', 'case', 'array', 'row', 'select', 'values', 'cast', 'default',
])

const FILTER_CONTEXT: ReadonlySet<string> = new Set(['where', 'and', 'or', 'on', 'not', 'having', 'when'])

const COMPARISONS: ReadonlySet<string> = new Set([
  '=', '<>', '!=', '<', '>', '<=', '>=', '@>', '<@', '&&', '?', '?|', '?&', '~', '~*', '!~', '!~*',
  '~~', '!~~', '~~*', '!~~*', '@@', '@?', '-|-',
])

const FLIPPED: Readonly<Record<string, string>> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '@>': '<@', '<@': '@>' }

function unquote(text: string): string {
  if (text.charCodeAt(0) !== 34) return text // U&"…": keep as written
  const end = text.length > 1 && text.charCodeAt(text.length - 1) === 34 ? text.length - 1 : text.length
  const inner = text.slice(1, end)
  return inner.includes('""') ? inner.replaceAll('""', '"') : inner
}

/**
 * Reads the statement class, the relations and the column filters of a tokenised statement.
 *
 * @example
 * describeStatement(tokenize('delete from pet where id = $1'))
 * // { kind: 'delete', tables: ['pet'], filters: [{ column: 'id', operator: '=', param: 1 }] }
 */
export function describeStatement(t: Tokens): StatementFacts {
  const { sql, count: n, kinds, starts, ends } = t
  const text = (i: number): string => sql.slice(starts[i], ends[i])

  const name = (i: number): string => (kinds[i] === Tok.Ident ? word(t, i) : unquote(text(i)))
  const isName = (i: number): boolean => kinds[i] === Tok.Ident || kinds[i] === Tok.QIdent

  // Kind, and the index of the main statement keyword.
  let m = 0
  while (kinds[m] === Tok.LParen) m++
  const first = word(t, m)
  let kind: StatementKind = 'utility'
  let main = -1
  if (first === 'with') {
    let depth = 0
    for (let j = m + 1; j < n; j++) {
      const k = kinds[j]
      if (k === Tok.LParen) depth++
      else if (k === Tok.RParen) depth--
      else if (k === Tok.Semi && depth <= 0) break
      else if (depth === 0 && k === Tok.Ident) {
        const found = MAIN_KEYWORDS[word(t, j)]
        if (found !== undefined) {
          kind = found
          main = j
          break
        }
      }
    }
  } else if (MAIN_KEYWORDS[first] !== undefined) {
    kind = MAIN_KEYWORDS[first]!
    main = m
  } else if (TRANSACTION_KEYWORDS.has(first) || (first === 'prepare' && word(t, m + 1) === 'transaction')) {
    kind = 'transaction'
  }
  if (kind === 'transaction' || NO_TABLES.has(first)) return { kind, tables: [], filters: [] }

  const tables: string[] = []
  const seen = new Set<string>()
  const ctes = new Set<string>()
  let target: string | undefined
  const filters: ColumnFilter[] = []

  // Reads a relation name at `i` (after FROM, JOIN, INTO, …); subqueries and functions are not.
  // After INTO and TABLE a parenthesis is a column list, elsewhere it makes a function call.
  const relation = (i: number, isTarget: boolean, columnList = false): void => {
    while (word(t, i) === 'lateral' || word(t, i) === 'only') i++
    if (!isName(i)) return
    if (kinds[i] === Tok.Ident && NOT_RELATIONS.has(word(t, i))) return
    let full = name(i)
    let k = i + 1
    let parts = 1
    while (kinds[k] === Tok.Dot && isName(k + 1)) {
      full += '.' + name(k + 1)
      k += 2
      parts++
    }
    if ((kinds[k] === Tok.LParen && !columnList) || kinds[k] === Tok.Dot) return
    if (parts === 1 && ctes.has(full)) return
    if (isTarget && target === undefined) target = full
    if (!seen.has(full)) {
      seen.add(full)
      tables.push(full)
    }
  }

  // A CTE name at `i` when it is followed by AS or a column list.
  const cteName = (i: number): boolean => {
    if (!isName(i)) return false
    const next = kinds[i + 1]
    if (next !== Tok.LParen && word(t, i + 1) !== 'as') return false
    ctes.add(name(i))
    return true
  }

  const filterContext = (p: number): boolean => {
    if (p < 0) return false
    const k = kinds[p]
    if (k === Tok.LParen) {
      // A grouping paren, not a function call's.
      if (p === 0) return true
      const q = kinds[p - 1]
      return !(q === Tok.QIdent || (q === Tok.Ident && !isOperandKeyword(word(t, p - 1))))
    }
    return k === Tok.Ident && FILTER_CONTEXT.has(word(t, p))
  }

  const paramNumber = (): number | undefined => {
    const p = lastValue.param
    if (p < 0) return undefined
    return Number(sql.slice(starts[p]! + 1, ends[p]))
  }

  const addFilter = (qualifier: string | undefined, column: string, operator: string, param: number | undefined): void => {
    const f: ColumnFilter =
      qualifier === undefined
        ? param === undefined
          ? { column, operator }
          : { column, operator, param }
        : param === undefined
          ? { table: qualifier, column, operator }
          : { table: qualifier, column, operator, param }
    filters.push(Object.freeze(f))
  }

  // `col op value`, the column chain ending before token `e`.
  const columnFirst = (e: number, qualifier: string | undefined, column: string): void => {
    const k = kinds[e]
    if (k === Tok.Op) {
      const op = text(e)
      if (!COMPARISONS.has(op)) return
      const v = parseValue(t, e + 1, true)
      if (v >= 0) {
        addFilter(qualifier, column, op, paramNumber())
        return
      }
      const quantifier = word(t, e + 1)
      if ((quantifier === 'any' || quantifier === 'some' || quantifier === 'all') && kinds[e + 2] === Tok.LParen) {
        const inner = parseValue(t, e + 3, true)
        if (inner >= 0 && kinds[inner] === Tok.RParen) {
          addFilter(qualifier, column, quantifier === 'all' ? 'all' : 'any', paramNumber())
        }
      }
      return
    }
    if (k !== Tok.Ident) return
    let w = word(t, e)
    let j = e + 1
    let prefix = ''
    if (w === 'not') {
      prefix = 'not '
      w = word(t, j)
      j++
    } else if (w === 'is') {
      let op = 'is '
      if (word(t, j) === 'not') {
        op += 'not '
        j++
      }
      if (word(t, j) !== 'distinct' || word(t, j + 1) !== 'from') return
      if (parseValue(t, j + 2, true) >= 0) addFilter(qualifier, column, op + 'distinct from', paramNumber())
      return
    }
    if (w === 'in') {
      if (kinds[j] !== Tok.LParen) return
      if (kinds[j + 1] === Tok.Ellipsis && kinds[j + 2] === Tok.RParen) {
        addFilter(qualifier, column, prefix + 'in', undefined)
        return
      }
      let p = j + 1
      let param: number | undefined
      for (let first = true; ; first = false) {
        const v = parseValue(t, p, true)
        if (v < 0) return
        if (first) param = paramNumber()
        if (kinds[v] === Tok.Comma) p = v + 1
        else if (kinds[v] === Tok.RParen) break
        else return
      }
      addFilter(qualifier, column, prefix + 'in', param)
      return
    }
    if (w === 'similar') {
      if (word(t, j) !== 'to') return
      w = 'similar to'
      j++
    }
    if (w === 'like' || w === 'ilike' || w === 'similar to' || w === 'between') {
      if (parseValue(t, j, true) >= 0) addFilter(qualifier, column, prefix + w, paramNumber())
    }
  }

  // A column chain at `i`: returns its end index, or -1; fills `chain`.
  const chain = { qualifier: undefined as string | undefined, column: '' }
  const columnAt = (i: number): number => {
    if (!isName(i) || (i > 0 && kinds[i - 1] === Tok.Dot)) return -1
    let last = i
    let k = i + 1
    while (kinds[k] === Tok.Dot && isName(k + 1)) {
      last = k + 1
      k += 2
    }
    const after = kinds[k]
    if (after === Tok.LParen || after === Tok.Dot || after === Tok.LBracket) return -1
    if (last === i && kinds[i] === Tok.Ident && NOT_COLUMNS.has(word(t, i))) return -1
    let qualifier: string | undefined
    for (let p = i; p < last; p += 2) qualifier = qualifier === undefined ? name(p) : qualifier + '.' + name(p)
    chain.qualifier = qualifier
    chain.column = name(last)
    return k
  }

  // Per open-paren depth: a FROM list is open; a CTE list is open; the paren is extract(…)-like.
  const fromList: number[] = [0]
  const cteList: number[] = [0]
  const fromFunction: number[] = [0]
  let depth = 0

  if (first === 'copy') relation(m + 1, false)

  for (let j = 0; j < n; j++) {
    const k = kinds[j]!
    if (k === Tok.LParen) {
      depth++
      fromList[depth] = 0
      cteList[depth] = 0
      fromFunction[depth] = j > 0 && kinds[j - 1] === Tok.Ident && FROM_FUNCTIONS.has(word(t, j - 1)) ? 1 : 0
    } else if (k === Tok.RParen) {
      if (depth > 0) depth--
    } else if (k === Tok.Comma) {
      if (fromList[depth] === 1) relation(j + 1, false)
      else if (cteList[depth] === 1) cteName(j + 1)
    } else if (k === Tok.Semi) {
      depth = 0
      fromList[0] = 0
      cteList[0] = 0
    } else if (k === Tok.Ident) {
      const w = word(t, j)
      if (FROM_LIST_END.has(w)) fromList[depth] = 0
      if (cteList[depth] === 1 && MAIN_KEYWORDS[w] !== undefined) cteList[depth] = 0
      switch (w) {
        case 'from':
          if (fromFunction[depth] === 1 || (j > 0 && word(t, j - 1) === 'distinct') || (first === 'copy' && depth === 0)) break
          relation(j + 1, main >= 0 && j === main + 1 && kind === 'delete')
          fromList[depth] = 1
          break
        case 'join':
          relation(j + 1, false)
          break
        case 'into': {
          let i = j + 1
          while (NOT_RELATIONS.has(word(t, i)) && word(t, i) !== 'select' && word(t, i) !== 'values') i++
          relation(i, main >= 0 && j === main + 1, true)
          break
        }
        case 'update': {
          const prev = j > 0 ? kinds[j - 1] : undefined
          if (j === main || prev === undefined || prev === Tok.LParen || prev === Tok.RParen || prev === Tok.Semi) {
            if (word(t, j + 1) !== 'set') relation(j + 1, j === main)
          }
          break
        }
        case 'table': {
          let i = j + 1
          while (word(t, i) === 'if' || word(t, i) === 'not' || word(t, i) === 'exists' || word(t, i) === 'only') i++
          relation(i, false, true)
          break
        }
        case 'using':
          if (depth === 0 && (kind === 'merge' || kind === 'delete')) {
            relation(j + 1, false)
            if (kind === 'delete') fromList[depth] = 1
          }
          break
        case 'with': {
          let i = j + 1
          if (word(t, i) === 'recursive') i++
          if (cteName(i)) cteList[depth] = 1
          break
        }
      }
    }

    // Filters: `col op value` and `value op col` after WHERE / AND / OR / ON / NOT / HAVING / WHEN / (.
    if (!filterContext(j - 1)) continue
    const e = columnAt(j)
    if (e >= 0) {
      columnFirst(e, chain.qualifier, chain.column)
      continue
    }
    const v = parseValue(t, j, true)
    if (v < 0 || kinds[v] !== Tok.Op) continue
    const op = text(v)
    if (!COMPARISONS.has(op)) continue
    const param = paramNumber()
    const c = columnAt(v + 1)
    if (c < 0) continue
    const after = kinds[c]
    if (after === Tok.Op || after === Tok.Cast) continue
    addFilter(chain.qualifier, chain.column, FLIPPED[op] ?? op, param)
  }

  if (target !== undefined && tables[0] !== target) {
    tables.splice(tables.indexOf(target), 1)
    tables.unshift(target)
  }
  return { kind, tables, filters }
}

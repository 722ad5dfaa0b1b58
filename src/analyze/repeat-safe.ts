import type { StatementKind } from '../fingerprint/index.js'

// Words that may stand on the right of `set col = ...` without reading a column.
const CONSTANT_WORDS = new Set([
  'null', 'true', 'false', 'default', 'current_timestamp', 'current_date', 'current_time', 'localtimestamp',
  'localtime', 'current_user', 'session_user', 'interval', 'case', 'when', 'then', 'else', 'end', 'and', 'or',
  'not', 'is', 'in', 'as', 'cast', 'array', 'row', 'distinct', 'from',
])

// The text from `set` to the end of the SET list (WHERE, FROM, RETURNING or the end), outside parentheses.
function setList(shape: string, from: number): string | undefined {
  const lower = shape.toLowerCase()
  const at = lower.indexOf(' set ', from)
  if (at < 0) return undefined
  let depth = 0
  const start = at + 5
  for (let i = start; i < lower.length; i++) {
    const c = lower[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0 && c === ' ' && /^ (where|from|returning|on conflict)\b/.test(lower.slice(i, i + 14))) return lower.slice(start, i)
  }
  return lower.slice(start)
}

// True when no assignment of a SET list reads a column: every identifier on a right-hand side is a
// function name, a constant word, a type after `::`, or `excluded.*` (the row being inserted).
function assignsConstants(list: string): boolean {
  const tokens = list.match(/"(?:[^"]|"")*"|[a-z_][\w$]*(?:\.[a-z_"][\w$"]*)*|::|[=(),]|'(?:[^']|'')*'/g) ?? []
  let rhs = false
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t === '(') depth++
    else if (t === ')') depth--
    else if (t === '=' && depth === 0) rhs = true
    else if (t === ',' && depth === 0) rhs = false
    else if (rhs && t !== '::' && t !== ',' && t !== '=' && !t.startsWith("'")) {
      if (tokens[i - 1] === '::') continue
      if (tokens[i + 1] === '(') continue
      if (CONSTANT_WORDS.has(t)) continue
      if (t.startsWith('excluded.')) continue
      return false
    }
  }
  return true
}

/**
 * True when running a write twice with the same parameters leaves the database as running it once,
 * judged by its text alone: `update ... set name = $1` (every assigned value a parameter, literal
 * or function of them), `delete`, `insert ... on conflict do nothing` or `do update set` of
 * constants. `set n = n + 1` reads its own column and is never one: running it twice is meant.
 * Reads are always repeat-safe.
 *
 * @example
 * repeatSafe('update person set name = ? where id = ?', 'update') // true
 * repeatSafe('update counter set n = n + ? where id = ?', 'update') // false
 */
export function repeatSafe(shape: string, kind: StatementKind): boolean {
  switch (kind) {
    case 'select':
    case 'utility':
      return true
    case 'delete':
      return true
    case 'update': {
      const list = setList(shape, 0)
      return list !== undefined && assignsConstants(list)
    }
    case 'insert': {
      const lower = shape.toLowerCase()
      const conflict = lower.indexOf(' on conflict')
      if (conflict < 0) return false
      if (/ do nothing\b/.test(lower.slice(conflict))) return true
      const list = setList(shape, conflict)
      return list !== undefined && assignsConstants(list)
    }
    default:
      return false
  }
}

import type { SqlInfo } from '../fingerprint/index.js'
import { notesOf } from '../fingerprint/sql-info.js'
import { tokenize, Tok } from '../fingerprint/tokenizer.js'

/** What the text of a statement says about how many rows it reads. */
export interface StatementLimits {
  /** The top-level statement has a LIMIT (other than `limit all`) or a FETCH FIRST / NEXT. */
  readonly bounded: boolean
  /** The top-level OFFSET: a `$n` parameter (1-based) or a literal, when the statement has one. */
  readonly offset?: { readonly param: number } | { readonly value: number }
}

const UNBOUNDED: StatementLimits = Object.freeze({ bounded: false })
const BOUNDED: StatementLimits = Object.freeze({ bounded: true })
// For an info that `sqlInfo` did not make (it carries no notes slot): one scan per such object.
const foreign = new WeakMap<SqlInfo, StatementLimits>()

/**
 * LIMIT / FETCH / OFFSET of a statement's outermost query (a LIMIT inside a subquery bounds
 * nothing), read from its text once per distinct text.
 *
 * @example
 * statementLimits(sqlInfo(sql), 'select * from pet order by id offset $2') // { bounded: false, offset: { param: 2 } }
 */
export function statementLimits(info: SqlInfo, sql: string): StatementLimits {
  // Kept on the statement's cached info: one scan per distinct statement text.
  const notes = notesOf(info)
  if (notes !== undefined) return (notes.limits ??= scan(sql)) as StatementLimits
  let limits = foreign.get(info)
  if (limits === undefined) {
    limits = scan(sql)
    foreign.set(info, limits)
  }
  return limits
}

/**
 * The limits `statementLimits` read earlier for this statement, or undefined when it never did.
 *
 * @example
 * knownLimits(trace.info)?.bounded
 */
export function knownLimits(info: SqlInfo): StatementLimits | undefined {
  const notes = notesOf(info)
  return notes !== undefined ? (notes.limits as StatementLimits | undefined) : foreign.get(info)
}

function scan(sql: string): StatementLimits {
  const t = tokenize(sql)
  let depth = 0
  let bounded = false
  let offset: StatementLimits['offset']
  const word = (i: number): string =>
    t.kinds[i] === Tok.Ident ? sql.slice(t.starts[i]!, t.ends[i]!).toLowerCase() : ''
  for (let i = 0; i < t.count; i++) {
    const kind = t.kinds[i]
    if (kind === Tok.LParen || kind === Tok.LBracket) depth++
    else if (kind === Tok.RParen || kind === Tok.RBracket) depth = Math.max(0, depth - 1)
    else if (kind === Tok.Semi) break
    else if (depth === 0 && kind === Tok.Ident) {
      const w = word(i)
      if (w === 'limit') {
        if (word(i + 1) !== 'all') bounded = true
      } else if (w === 'fetch') {
        const next = word(i + 1)
        if (next === 'first' || next === 'next') bounded = true
      } else if (w === 'offset') {
        const k = t.kinds[i + 1]
        const text = sql.slice(t.starts[i + 1]!, t.ends[i + 1]!)
        if (k === Tok.Param) offset = { param: Number(text.slice(1)) }
        else if (k === Tok.Number) offset = { value: Number(text.replace(/_/g, '')) }
      }
    }
  }
  if (offset === undefined) return bounded ? BOUNDED : UNBOUNDED
  return Object.freeze({ bounded, offset })
}

/**
 * The OFFSET a statement ran with, read from its bound parameters when it is one (the value is
 * compared, never kept or printed), or undefined when it has none or it is not a number.
 *
 * @example
 * offsetOf({ bounded: true, offset: { param: 2 } }, [10, 5000]) // 5000
 */
export function offsetOf(limits: StatementLimits, params: readonly unknown[] | undefined): number | undefined {
  const o = limits.offset
  if (o === undefined) return undefined
  if ('value' in o) return o.value
  const v = params?.[o.param - 1]
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v)
  return undefined
}

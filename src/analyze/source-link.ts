import type { SourceCandidate } from './types.js'
import { valueKey } from './value-hash.js'

/** What the source search needs of a shape seen in the scope. */
export interface RetainedShape {
  readonly fingerprint: string
  readonly shape: string
  readonly tables: readonly string[]
  readonly siteKey: string | undefined
  /** Executions of the shape in the scope. */
  readonly count: number
  /** Result rows kept by reference (bounded), in completion order, with the call path of each. */
  readonly results: ReadonlyArray<{ readonly rows: readonly unknown[]; readonly endedAt: number; readonly siteKey: string | undefined }>
  /** When its first execution ended. */
  readonly firstEnded: number
  /** True when the shape itself was run with every one of these value keys at some parameter position. */
  ranWith(wanted: ReadonlySet<number>): boolean
}

const columnKeys = new WeakMap<RetainedShape, Map<string, Set<number>>>()

// Keys of every value of one column across a shape's first `kept` results (computed once per close).
function columnValues(shape: RetainedShape, column: string, kept: number): Set<number> {
  let byColumn = columnKeys.get(shape)
  if (byColumn === undefined) {
    byColumn = new Map()
    columnKeys.set(shape, byColumn)
  }
  const cacheKey = `${kept}\u0000${column}`
  let keys = byColumn.get(cacheKey)
  if (keys === undefined) {
    keys = new Set()
    for (let i = 0; i < kept; i++) {
      for (const row of shape.results[i]!.rows) {
        const v = (row as Record<string, unknown>)[column]
        if (v !== null && v !== undefined && (typeof v !== 'object' || v instanceof Date)) keys.add(valueKey(v))
      }
    }
    byColumn.set(cacheKey, keys)
  }
  return keys
}

function columnsOf(shape: RetainedShape): string[] {
  const row = shape.results[0]?.rows[0]
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return []
  const out: string[] = []
  for (const key of Object.keys(row)) {
    const v = (row as Record<string, unknown>)[key]
    if (v !== null && v !== undefined && (typeof v !== 'object' || v instanceof Date)) out.push(key)
  }
  return out
}

function rank(column: string): number {
  if (column === 'id') return 2
  return column.endsWith('_id') || column.endsWith('Id') ? 1 : 0
}

/**
 * Finds the earlier query whose result column supplied a loop's parameter: every sampled value of
 * one parameter position appears in that column of the rows the shape returned before the loop
 * began. This is proof, not a guess: parameters and rows were seen, in that order. Rows returned
 * after the loop's first query (by the loop's own statements, or a later run of the source) never
 * count, and neither does a shape that was itself run with the loop's keys (a sibling in the same
 * loop, whose rows only echo them).
 *
 * @param values per parameter position, keys of the values the loop query was run with
 * @param loopStart when the loop's first query was issued
 */
export function findSource(
  values: ReadonlyArray<Set<number> | undefined>,
  loopStart: number,
  self: RetainedShape,
  shapes: Iterable<RetainedShape>,
): SourceCandidate | undefined {
  let best: { c: SourceCandidate; ended: number; rank: number } | undefined
  for (const shape of shapes) {
    if (shape === self || shape.count === 0 || shape.results.length === 0 || shape.firstEnded > loopStart) continue
    // Results are kept in completion order: those in before the loop began are a prefix.
    let kept = 0
    while (kept < shape.results.length && shape.results[kept]!.endedAt <= loopStart) kept++
    if (kept === 0) continue
    const columns = columnsOf(shape)
    values.forEach((wanted, index) => {
      if (wanted === undefined || wanted.size < 2) return
      if (shape.ranWith(wanted)) return
      for (const column of columns) {
        const have = columnValues(shape, column, kept)
        if (have.size < 2) continue
        let all = true
        for (const k of wanted) {
          if (!have.has(k)) {
            all = false
            break
          }
        }
        if (!all) continue
        const r = rank(column)
        // The closest query before the loop wins; among its columns, an id column.
        if (best !== undefined && (best.ended > shape.firstEnded || (best.ended === shape.firstEnded && best.rank >= r))) continue
        let rowCount = 0
        for (let i = 0; i < kept; i++) rowCount += shape.results[i]!.rows.length
        best = {
          ended: shape.firstEnded,
          rank: r,
          c: {
            fingerprint: shape.fingerprint,
            shape: shape.shape,
            siteKey: shape.results[kept - 1]!.siteKey ?? shape.siteKey,
            tables: shape.tables,
            queries: kept,
            rowCount,
            column,
            param: index + 1,
          },
        }
      }
    })
  }
  return best?.c
}

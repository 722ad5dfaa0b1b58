import type { SourceCandidate } from './types.js'
import { valueKey } from './value-hash.js'

/** One kept result: its rows by reference, when it ended, and its column names for array rows. */
export interface KeptResult {
  readonly rows: readonly unknown[]
  readonly endedAt: number
  /** Names by position when the rows are arrays (`rowMode: 'array'`: Drizzle, Prisma). */
  readonly columns?: readonly string[] | undefined
}

/** What the source search needs of a shape seen in the scope. */
export interface RetainedShape {
  readonly fingerprint: string
  readonly shape: string
  readonly tables: readonly string[]
  readonly siteKey: string | undefined
  /** Executions of the shape in the scope. */
  readonly count: number
  /** Result rows kept by reference (bounded), in completion order. */
  readonly results: ReadonlyArray<KeptResult>
  /** When its first execution ended. */
  readonly firstEnded: number
}

const columnKeys = new WeakMap<RetainedShape, Map<string, Set<number>>>()

// Keys of every value of one column across a shape's kept results (computed once per close).
function columnValues(shape: RetainedShape, column: string): Set<number> {
  let byColumn = columnKeys.get(shape)
  if (byColumn === undefined) {
    byColumn = new Map()
    columnKeys.set(shape, byColumn)
  }
  let keys = byColumn.get(column)
  if (keys === undefined) {
    keys = new Set()
    for (const result of shape.results) {
      // Array rows are read by the column's position in that result's fields.
      const at = result.columns?.indexOf(column) ?? -1
      for (const row of result.rows) {
        const v = Array.isArray(row) ? (at < 0 ? undefined : row[at]) : (row as Record<string, unknown>)[column]
        if (isKeyValue(v)) keys.add(valueKey(v))
      }
    }
    byColumn.set(column, keys)
  }
  return keys
}

function isKeyValue(v: unknown): boolean {
  return v !== null && v !== undefined && (typeof v !== 'object' || v instanceof Date)
}

function columnsOf(shape: RetainedShape): string[] {
  const first = shape.results[0]
  const row = first?.rows[0]
  if (row === null || typeof row !== 'object') return []
  const out: string[] = []
  if (Array.isArray(row)) {
    const names = first!.columns ?? []
    names.forEach((name, i) => {
      if (name !== '' && isKeyValue(row[i]) && !out.includes(name)) out.push(name)
    })
    return out
  }
  for (const key of Object.keys(row)) {
    if (isKeyValue((row as Record<string, unknown>)[key])) out.push(key)
  }
  return out
}

function rank(column: string): number {
  if (column === 'id') return 2
  return column.endsWith('_id') || column.endsWith('Id') ? 1 : 0
}

/**
 * Finds the earlier query whose result column supplied a loop's parameter: every sampled value of
 * one parameter position appears in that column of the shape's results, and the shape's first
 * result was in before the loop began. This is proof, not a guess: parameters and rows were seen.
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
    const columns = columnsOf(shape)
    values.forEach((wanted, index) => {
      if (wanted === undefined || wanted.size < 2) return
      for (const column of columns) {
        const have = columnValues(shape, column)
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
        for (const result of shape.results) rowCount += result.rows.length
        best = {
          ended: shape.firstEnded,
          rank: r,
          c: {
            fingerprint: shape.fingerprint,
            shape: shape.shape,
            siteKey: shape.siteKey,
            tables: shape.tables,
            queries: shape.count,
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

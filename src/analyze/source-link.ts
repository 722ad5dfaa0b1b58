import type { SourceCandidate } from './types.js'
import { valueKey } from './value-hash.js'

/** One kept result: its rows by reference, when it ended, and its column names for array rows. */
export interface KeptResult {
  readonly rows: readonly unknown[]
  readonly endedAt: number
  /** The call path of the query that returned them. */
  readonly siteKey: string | undefined
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
  /** True when the shape itself was run with every one of these value keys at some parameter position. */
  ranWith(wanted: ReadonlyMap<number, number>): boolean
  /** True when the shape runs once per iteration of the loop described (same count, interleaved). */
  loopsWith(count: number, minIssued: number, maxIssued: number): boolean
}

/** The loop group a source is looked for. */
export interface LoopGroup {
  readonly count: number
  readonly minIssued: number
  readonly maxIssued: number
}

const columnKeys = new WeakMap<RetainedShape, Map<string, Map<number, number>>>()

// Keys of every value of one column across a shape's kept results, each with when the first result
// holding it ended (computed once per close).
function columnValues(shape: RetainedShape, column: string): Map<number, number> {
  let byColumn = columnKeys.get(shape)
  if (byColumn === undefined) {
    byColumn = new Map()
    columnKeys.set(shape, byColumn)
  }
  let keys = byColumn.get(column)
  if (keys === undefined) {
    keys = new Map()
    for (const result of shape.results) {
      // Array rows are read by the column's position in that result's fields.
      const at = result.columns?.indexOf(column) ?? -1
      for (const row of result.rows) {
        const v = Array.isArray(row) ? (at < 0 ? undefined : row[at]) : (row as Record<string, unknown>)[column]
        if (isKeyValue(v)) {
          const k = valueKey(v)
          const had = keys.get(k)
          if (had === undefined || result.endedAt < had) keys.set(k, result.endedAt)
        }
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
 * one parameter position appears in that column of rows the shape returned before the loop query
 * that was sent with it. This is proof, not a guess: parameters and rows were seen, in that order.
 * A row that came back after the value was sent (a later run of the source, the loop's own
 * `insert ... returning`) proves nothing; neither does a shape that runs once per iteration of the
 * same loop, nor one that was itself sent the loop's keys (a sibling, whose rows only echo them).
 *
 * @param values per parameter position, keys of the values the loop query was sent with and when
 *   each was first sent
 * @param loop the loop group: its count and when its first and last queries were issued
 */
export function findSource(
  values: ReadonlyArray<ReadonlyMap<number, number> | undefined>,
  loop: LoopGroup,
  self: RetainedShape,
  shapes: Iterable<RetainedShape>,
): SourceCandidate | undefined {
  let best: { c: SourceCandidate; ended: number; rank: number } | undefined
  for (const shape of shapes) {
    if (shape === self || shape.count === 0 || shape.results.length === 0 || shape.firstEnded > loop.minIssued) continue
    if (shape.loopsWith(loop.count, loop.minIssued, loop.maxIssued)) continue
    const columns = columnsOf(shape)
    values.forEach((wanted, index) => {
      if (wanted === undefined || wanted.size < 2) return
      if (shape.ranWith(wanted)) return
      for (const column of columns) {
        const have = columnValues(shape, column)
        if (have.size < 2) continue
        let all = true
        for (const [k, sent] of wanted) {
          const returned = have.get(k)
          if (returned === undefined || returned > sent) {
            all = false
            break
          }
        }
        if (!all) continue
        const r = rank(column)
        // The closest query before the loop wins; among its columns, an id column.
        if (best !== undefined && (best.ended > shape.firstEnded || (best.ended === shape.firstEnded && best.rank >= r))) continue
        // Only results in before the loop's last query could have fed it (kept in completion order).
        let kept = 0
        let rowCount = 0
        while (kept < shape.results.length && shape.results[kept]!.endedAt <= loop.maxIssued) rowCount += shape.results[kept++]!.rows.length
        best = {
          ended: shape.firstEnded,
          rank: r,
          c: {
            fingerprint: shape.fingerprint,
            shape: shape.shape,
            siteKey: shape.results[0]!.siteKey ?? shape.siteKey,
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

import { describeValue } from '../core/options.js'
import { printable } from '../core/printable.js'
import { countQueries, groupQueries, mainTable, where, type QueryGroup } from './query-count.js'
import { QueryCountError, type ScaleCounts } from './query-count-error.js'
import { checkDatabase, inRolledBackTransaction, type TransactionalDatabase, type TransactionOf } from './transaction.js'
import { atFrames, callerFrames, own, scopeLabel } from './caller.js'
import { checkFunction, checkHandleInstrumented, checkOptions, checkSawQueries, observe, watchedDetectors, type WatchOptions } from './watch.js'

/** Options of `assertConstantQueries`. */
export interface AssertConstantQueriesOptions<D extends TransactionalDatabase> extends WatchOptions {
  /**
   * Where each run's transaction is opened: a Kysely instance, a pg Pool or a connected pg Client.
   * `fn` (and `seed`) receive the transaction to query through.
   */
  readonly db: D
  /**
   * The values of `n` to run `fn` with (at least two distinct integers >= 0).
   * @default [2, 3]
   */
  readonly scales?: readonly number[]
  /**
   * Inserts `n` rows (or whatever `fn` needs) inside the transaction before `fn` runs. Its
   * statements are not counted, so it may insert in a loop.
   * @default none
   */
  readonly seed?: (n: number, trx: TransactionOf<D>) => unknown
}

const KNOWN = ['db', 'scales', 'seed', 'detector']

function checkScales(value: unknown): number[] {
  if (value === undefined) return [2, 3]
  if (!Array.isArray(value)) throw new TypeError(`n1guard: assertConstantQueries: option \`scales\` must be an array of integers, got ${describeValue(value)}`)
  value.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`n1guard: assertConstantQueries: scales[${i}] must be an integer >= 0, got ${describeValue(n)}`)
    }
  })
  const scales = [...new Set(value as number[])].sort((a, b) => a - b)
  if (scales.length < 2) throw new TypeError(`n1guard: assertConstantQueries: option \`scales\` needs at least two distinct values, got [${value.join(', ')}]`)
  return scales
}

function byTable(queries: Parameters<typeof countQueries>[0]): Record<string, number> {
  const tables: Record<string, number> = {}
  for (const q of queries) {
    if (q.kind === 'transaction' || q.housekeeping === true) continue
    const t = mainTable(q)
    tables[t] = (tables[t] ?? 0) + 1
  }
  return tables
}

function groupKey(g: QueryGroup): string {
  return `${g.sql}\u0000${where(g.callSite)}`
}

function growthMessage(runs: readonly ScaleCounts[]): string | undefined {
  const arrow = (values: number[]): string => values.join(' -> ')
  const grows = (values: number[]): boolean => values.some((v, i) => i > 0 && v > values[i - 1]!)
  const totals = runs.map((r) => r.counts.total)
  const tables = [...new Set(runs.flatMap((r) => Object.keys(r.tables)))].sort()
  const tableRows = tables.map((t) => ({ t, values: runs.map((r) => r.tables[t] ?? 0) }))
  if (!grows(totals) && !tableRows.some((row) => grows(row.values))) return undefined
  const ns = runs.map((r) => r.n)
  const lines = [`n1guard: the number of queries grows with n: ${arrow(totals)} for n = ${arrow(ns)}`, `by table (n = ${arrow(ns)}):`]
  for (const row of tableRows) lines.push(`  ${row.t}: ${arrow(row.values)}`)
  const shapes = new Map<string, { group: QueryGroup; values: number[] }>()
  runs.forEach((r, i) => {
    for (const g of r.queries) {
      const entry = shapes.get(groupKey(g)) ?? { group: g, values: runs.map(() => 0) }
      entry.values[i] = g.count
      shapes.set(groupKey(g), entry)
    }
  })
  const growing = [...shapes.values()].filter((s) => grows(s.values))
  if (growing.length > 0) {
    lines.push('statements that run more often as n grows:')
    for (const s of growing) lines.push(`  ${arrow(s.values)} × ${printable(s.group.sql)}`, `      at ${where(s.group.callSite)}`)
  }
  return lines.join('\n')
}

/**
 * Runs `fn(n, trx)` once per value of `n` in `scales`, each time inside a transaction that is
 * rolled back afterwards (so `seed` or `fn` may insert `n` rows for free), and rejects with
 * `QueryCountError` when the number of statements grows with `n`: the signature of an N+1 that
 * loops over rows. The message shows the counts per table at each scale (`pet: 2 -> 3`) and the
 * statements whose count grows, with their call sites. Resolves to the counts at every scale.
 * A pg `db` not instrumented for a watched detector is refused up front, and a run that saw no
 * statement at any scale rejects (counts of 0 -> 0 prove nothing).
 *
 * @example
 * import { assertConstantQueries } from 'n1guard/testing'
 * await assertConstantQueries((n, trx) => listPeopleWithPets(trx), {
 *   db,
 *   scales: [2, 3],
 *   seed: (n, trx) => insertPeopleWithPets(trx, n),
 * })
 */
export async function assertConstantQueries<D extends TransactionalDatabase>(
  fn: (n: number, trx: TransactionOf<D>) => unknown,
  options: AssertConstantQueriesOptions<D>,
): Promise<ScaleCounts[]> {
  const frames = callerFrames(assertConstantQueries)
  const { db, scales, seed, detectors } = own(frames, () => checkConstantOptions(fn, options))
  const runs: ScaleCounts[] = []
  let sawAny = false
  for (const n of scales) {
    const observed = await inRolledBackTransaction(db, async (trx) => {
      if (seed !== undefined) await seed(n, trx)
      return await observe(detectors, () => fn(n, trx as TransactionOf<D>), scopeLabel(fn, frames))
    })
    sawAny ||= observed.queries.length > 0
    runs.push({ n, counts: countQueries(observed.queries), tables: byTable(observed.queries), queries: groupQueries(observed.queries) })
  }
  if (!sawAny) own(frames, () => checkSawQueries({ result: undefined, queries: [], findings: [], truncated: 0 }, detectors, 'assertConstantQueries'))
  const message = growthMessage(runs)
  if (message !== undefined) {
    const last = runs[runs.length - 1]!
    throw atFrames(new QueryCountError(message, { counts: last.counts, queries: last.queries, scales: runs }), frames)
  }
  return runs
}

function checkConstantOptions(fn: unknown, options: unknown) {
  checkFunction(fn, 'assertConstantQueries')
  if (options === undefined) throw new TypeError('n1guard: assertConstantQueries needs options with `db`, e.g. { db, scales: [2, 3] }')
  const o = checkOptions(options, 'assertConstantQueries', KNOWN)
  const db = checkDatabase(o.db, 'assertConstantQueries')
  const scales = checkScales(o.scales)
  if (o.seed !== undefined && typeof o.seed !== 'function') {
    throw new TypeError(`n1guard: assertConstantQueries: option \`seed\` must be a function, got ${describeValue(o.seed)}`)
  }
  const seed = o.seed as ((n: number, trx: unknown) => unknown) | undefined
  const detectors = watchedDetectors(o.detector, 'assertConstantQueries')
  checkHandleInstrumented(db, detectors, 'assertConstantQueries')
  return { db, scales, seed, detectors }
}

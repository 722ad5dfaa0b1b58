// Side-by-side measurement: variants run in alternating rounds, so drift (CPU frequency, GC,
// a neighbour process) hits every variant alike; results are medians with their min and max.

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/** A variant: runs its workload once and returns how many operations it did. */
export type Variant = () => Promise<number> | number

export interface RoundsResult {
  /** Per variant, nanoseconds per operation in each measured round. */
  readonly perOp: Record<string, number[]>
}

/**
 * Runs every variant once per round, in a rotating order, after `warmup` unmeasured rounds.
 */
export async function alternate(variants: Record<string, Variant>, rounds: number, warmup = 1): Promise<RoundsResult> {
  const names = Object.keys(variants)
  const perOp: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < warmup + rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!)
    for (const name of order) {
      const t0 = process.hrtime.bigint()
      const ops = await variants[name]!()
      const ns = Number(process.hrtime.bigint() - t0)
      if (r >= warmup) perOp[name]!.push(ns / ops)
    }
  }
  return { perOp }
}

/** Per round ratio of two variants (same round, so same conditions), summarized. */
export function ratio(result: RoundsResult, numerator: string, denominator: string): Summary {
  const a = result.perOp[numerator]!
  const b = result.perOp[denominator]!
  return summarize(a.map((x, i) => x / b[i]!))
}

/** Per round difference of two variants in nanoseconds per operation, summarized. */
export function difference(result: RoundsResult, variant: string, baseline: string): Summary {
  const a = result.perOp[variant]!
  const b = result.perOp[baseline]!
  return summarize(a.map((x, i) => x - b[i]!))
}

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits)
}

export function fmtSummary(s: Summary, digits = 3, unit = ''): string {
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n')
}

// The cost of one captured call site: the stack n1guard takes when a statement's call site is
// sampled (every statement in tests and capture(), a sample in production, see
// docs/how-it-works.md). Measured at the adapter entry, below a three-level application chain
// (route -> service -> repository) that awaits between levels, as real code does.
import { captureSite, createDepthHint } from '../src/callsite/capture-site.js'
import { alternate, fmtSummary, summarize, table } from './lib/stats.js'

export interface StackResult {
  /** Median nanoseconds per captured stack, per capture function measured. */
  readonly perCaptureNs: Record<string, number>
  readonly markdown: string
}

/** A call-site capture function and its depth hint (n1guard's, or an older one to compare with). */
export interface Capturer {
  readonly capture: (entry: Function, hint: { depth: number }) => unknown
  readonly hint: { depth: number }
}

let sink: unknown
let current: Capturer = { capture: captureSite, hint: createDepthHint() }

// The adapter entry point: frames above it are n1guard's, the ones below the application's.
function query(): unknown {
  return current.capture(query, current.hint)
}
async function repository(id: number): Promise<unknown> {
  await null
  return id >= 0 ? query() : undefined
}
async function service(id: number): Promise<unknown> {
  await null
  return repository(id)
}
async function route(id: number): Promise<unknown> {
  return service(id)
}
function nothing(): unknown {
  return current
}
async function repositoryBare(id: number): Promise<unknown> {
  await null
  return id >= 0 ? nothing() : undefined
}
async function serviceBare(id: number): Promise<unknown> {
  await null
  return repositoryBare(id)
}
async function routeBare(id: number): Promise<unknown> {
  return serviceBare(id)
}

export async function stackBench(
  options: { ops?: number; rounds?: number; capturers?: Record<string, Capturer> } = {},
): Promise<StackResult> {
  const ops = options.ops ?? 100_000
  const rounds = options.rounds ?? 7
  const capturers = options.capturers ?? { 'call path (8 application frames)': { capture: captureSite, hint: createDepthHint() } }
  const variants: Record<string, () => Promise<number>> = {
    bare: async () => {
      for (let i = 0; i < ops; i++) sink = await routeBare(i)
      return ops
    },
  }
  for (const [name, c] of Object.entries(capturers)) {
    variants[name] = async () => {
      current = c
      for (let i = 0; i < ops; i++) sink = await route(i)
      return ops
    }
  }
  const result = await alternate(variants, rounds)
  void sink
  const perCaptureNs: Record<string, number> = {}
  const rows = Object.keys(capturers).map((name) => {
    const cost = summarize(result.perOp[name]!.map((v, i) => v - result.perOp.bare![i]!))
    perCaptureNs[name] = cost.median
    return [name, fmtSummary({ median: cost.median / 1000, min: cost.min / 1000, max: cost.max / 1000 }, 2)]
  })
  const markdown = table(['one captured stack below route → service → repository (awaits between)', 'µs per capture (median, min–max)'], rows)
  return { perCaptureNs, markdown }
}

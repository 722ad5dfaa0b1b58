// The cost of one captured call site: the stack n1guard takes when a statement's call site is
// sampled (every statement in tests and capture(), a sample in production, see
// docs/how-it-works.md). Measured at the adapter entry, below a three-level application chain
// (route -> service -> repository) that awaits between levels, as real code does.
import { captureSite, createDepthHint } from '../src/callsite/capture-site.js'
import { alternate, fmtSummary, summarize, table } from './lib/stats.js'

export interface StackResult {
  readonly perCaptureNs: number
  readonly markdown: string
}

const hint = createDepthHint()
let sink: unknown

// The adapter entry point: frames above it are n1guard's, the ones below the application's.
function query(): unknown {
  return captureSite(query, hint)
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
  return hint
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

export async function stackBench(options: { ops?: number; rounds?: number } = {}): Promise<StackResult> {
  const ops = options.ops ?? 100_000
  const rounds = options.rounds ?? 7
  const result = await alternate(
    {
      bare: async () => {
        for (let i = 0; i < ops; i++) sink = await routeBare(i)
        return ops
      },
      captured: async () => {
        for (let i = 0; i < ops; i++) sink = await route(i)
        return ops
      },
    },
    rounds,
  )
  const diffs = result.perOp.captured!.map((v, i) => v - result.perOp.bare![i]!)
  const cost = summarize(diffs)
  void sink
  const markdown = table(
    ['what', 'µs per captured stack (median, min–max)'],
    [['one captured call site below route → service → repository (awaits between)', fmtSummary({ median: cost.median / 1000, min: cost.min / 1000, max: cost.max / 1000 }, 2)]],
  )
  return { perCaptureNs: cost.median, markdown }
}

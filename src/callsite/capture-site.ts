import { AsyncLocalStorage } from 'node:async_hooks'
import { isAppFrame } from './app-frame.js'

/**
 * The application frame that issued a query, still in the coordinates of the running code.
 * `key` identifies the call site (file, line, column of the executed code) and is cheap to
 * compare; turning it into a source-mapped `CallSite` is deferred until a finding needs it.
 */
export interface RawSite {
  readonly key: string
  readonly frame: NodeJS.CallSite
}

/**
 * How deep the first application frame sat below an entry point last time. Stack capture costs
 * roughly a microsecond per frame, so each adapter entry keeps its own hint and captures only
 * that many frames, growing the hint when the application frame turns out to be deeper.
 */
export interface DepthHint {
  depth: number
}

const MAX_DEPTH = 64
const FIRST_DEPTH = 1

/** A fresh depth hint for one adapter entry point. */
export function createDepthHint(): DepthHint {
  return { depth: FIRST_DEPTH }
}

// Reads the structured frames off a stack holder. Installed only for the duration of one read, so
// the application's own Error.prepareStackTrace (Vitest's, source-map-support's) is untouched.
function structured(_error: unknown, frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  return frames
}

function firstAppFrame(frames: readonly NodeJS.CallSite[]): NodeJS.CallSite | undefined {
  for (const frame of frames) {
    if (isAppFrame(frame.getFileName())) return frame
  }
  return undefined
}

function collect(entry: Function, limit: number): NodeJS.CallSite[] {
  const holder: { stack?: unknown } = {}
  const savedLimit = Error.stackTraceLimit
  const savedPrepare = Error.prepareStackTrace
  Error.stackTraceLimit = limit
  Error.prepareStackTrace = structured
  try {
    Error.captureStackTrace(holder, entry)
    const frames = holder.stack
    return Array.isArray(frames) ? (frames as NodeJS.CallSite[]) : []
  } finally {
    Error.prepareStackTrace = savedPrepare
    Error.stackTraceLimit = savedLimit
  }
}

/**
 * Finds the application frame that called `entry` (an adapter function on the current stack), or
 * the one an ORM helper carried to this statement (see `carrySite`). Returns undefined when no
 * application frame is within reach (a query issued from a library's timer, for instance).
 */
export function captureSite(entry: Function, hint: DepthHint): RawSite | undefined {
  return carriedSite() ?? captureLiveSite(entry, hint)
}

/** Like `captureSite`, from the live stack only: where an ORM helper takes the site it carries. */
export function captureLiveSite(entry: Function, hint: DepthHint): RawSite | undefined {
  let frames = collect(entry, hint.depth)
  let frame = firstAppFrame(frames)
  if (frame === undefined && frames.length >= hint.depth && hint.depth < MAX_DEPTH) {
    frames = collect(entry, MAX_DEPTH)
    frame = firstAppFrame(frames)
  }
  if (frame === undefined) return undefined
  // Learn how deep the application frame sits below this entry, so the next capture collects
  // just that many frames (collecting costs per frame); a deeper path later grows the hint.
  const index = frames.indexOf(frame)
  if (index + 1 > hint.depth) hint.depth = Math.min(MAX_DEPTH, index + 1)
  return { key: `${frame.getFileName()}:${frame.getLineNumber()}:${frame.getColumnNumber()}`, frame }
}

// A thenable ORM (Drizzle's builders, Prisma's model calls, TypeORM's lazy relations) issues its SQL
// from a then() that the microtask queue runs, or behind a process.nextTick batch: the stack at the
// query holds no application frame, and V8's async stack traces do not cross a thenable's then().
// The user's frame is on the stack where the builder or relation promise is made; the ORM helpers
// capture it there and carry it to the query through this store. Made on first use, so an app that
// uses no ORM helper never enables a second AsyncLocalStorage.
let carrier: AsyncLocalStorage<RawSite> | undefined

/** The call site an ORM helper carried to the statement being issued now, if any. */
export function carriedSite(): RawSite | undefined {
  return carrier?.getStore()
}

/**
 * Runs `fn` with `site` as the call site of every statement it issues, synchronously or in the
 * async work it starts (a carried site wins over the live stack, which is the ORM's own there).
 */
export function carrySite<T>(site: RawSite, fn: () => T): T {
  return (carrier ??= new AsyncLocalStorage<RawSite>()).run(site, fn)
}

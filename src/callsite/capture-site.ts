import { isAppFrame } from './app-frame.js'
import { carriedSite } from './carried-site.js'

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

import { currentContext, nearestLinkValue, runInContext, type ContextLink } from './context-store.js'
import { isAppFrame } from './app-frame.js'

/**
 * Where in the application a query was issued, still in the coordinates of the running code: the
 * application call stack, innermost first. `frame` is the innermost application frame (the line
 * that called the driver or a repository helper's line), `frames` the chain of application frames
 * that led there, across `await`s through V8's async frames. `key` identifies the whole chain and
 * is cheap to compare: two calls of one helper from two lines of a handler have different keys,
 * every iteration of one loop the same. Turning frames into source-mapped `CallSite`s is deferred
 * until a finding needs them.
 */
export interface RawSite {
  readonly key: string
  readonly frame: NodeJS.CallSite
  /** Application frames, innermost first (`frames[0] === frame`), at most `MAX_APP_FRAMES`. */
  readonly frames: readonly NodeJS.CallSite[]
  /** `file:line:column` of the innermost frame, `file:line` of each caller (`~file:line` for an awaiting one), in the running code. */
  readonly frameKeys: readonly string[]
}

/**
 * How deep the application frames sat below an entry point last time. Stack capture costs per
 * frame, so each adapter entry keeps its own hint and captures only that many frames, growing the
 * hint when the application frames turn out to be deeper.
 */
export interface DepthHint {
  depth: number
  /** Set by the first capture, which looks as deep as any caller chain reaches. */
  learned?: boolean
}

const MAX_DEPTH = 64
// The first capture looks as deep as any caller chain reaches; later ones as deep as needed.
const FIRST_DEPTH = MAX_DEPTH
/** Application frames that tell callers apart: a helper, its callers, and theirs. */
export const MAX_APP_FRAMES = 8
/**
 * Frames looked at past the innermost application frame to find its callers' frames. A path is
 * read from these frames only, however deep a capture went, so one call path always gives one key.
 */
const CALLER_SPAN = 24

/** A fresh depth hint for one adapter entry point. */
export function createDepthHint(): DepthHint {
  return { depth: FIRST_DEPTH, learned: false }
}

// Reads the structured frames off a stack holder. Installed only for the duration of one read, so
// the application's own Error.prepareStackTrace (Vitest's, source-map-support's) is untouched.
function structured(_error: unknown, frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  return frames
}

/** Joins frame keys into the key of a call path; `pathFrames` splits it again. */
export const PATH_SEPARATOR = '|'

function firstAppIndex(frames: readonly NodeJS.CallSite[]): number {
  for (let i = 0; i < frames.length; i++) if (isAppFrame(frames[i]!.getFileName())) return i
  return -1
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
 * The application stack in `frames` from index `first` (an application frame): application frames
 * only, innermost first. A frame already in the chain (recursion) is left out, so a recursive walk
 * groups by where it recursed from rather than by how deep it went.
 */
export function appStack(frames: readonly NodeJS.CallSite[], first: number): RawSite {
  const app: NodeJS.CallSite[] = []
  const keys: string[] = []
  const end = Math.min(frames.length, first + 1 + CALLER_SPAN)
  for (let i = first; i < end && app.length < MAX_APP_FRAMES; i++) {
    const frame = frames[i]!
    const file = frame.getFileName()
    if (!isAppFrame(file)) continue
    // A caller's frame is known by its line: the first call of a loop runs synchronously (the
    // frame points at the call) and the next ones resume after an await (the async frame points
    // at the await), one line with two columns.
    // An awaiting caller (V8 async frame) is marked `~`: see samePath in analyze/call-path.ts.
    const key =
      app.length === 0
        ? `${file}:${frame.getLineNumber()}:${frame.getColumnNumber()}`
        : `${frame.isAsync() ? '~' : ''}${file}:${frame.getLineNumber()}`
    if (keys.includes(key)) continue
    app.push(frame)
    keys.push(key)
  }
  return { key: keys.length === 1 ? keys[0]! : keys.join(PATH_SEPARATOR), frame: app[0]!, frames: app, frameKeys: keys }
}

/**
 * Finds the application stack that called `entry` (an adapter function on the current stack), or
 * the one an ORM helper carried to this statement (see `carrySite`). Returns undefined when no
 * application frame is within reach (a query issued from a library's timer, for instance).
 */
export function captureSite(entry: Function, hint: DepthHint): RawSite | undefined {
  return carriedSite() ?? captureLiveSite(entry, hint)
}

/** Like `captureSite`, from the live stack only: where an ORM helper takes the site it carries. */
export function captureLiveSite(entry: Function, hint: DepthHint): RawSite | undefined {
  let frames = collect(entry, hint.depth)
  let first = firstAppIndex(frames)
  if (first < 0 && frames.length >= hint.depth && hint.depth < MAX_DEPTH) {
    frames = collect(entry, MAX_DEPTH)
    first = firstAppIndex(frames)
  }
  if (first < 0) return undefined
  // Learn how deep the application frames sit below this entry, so the next capture collects just
  // that many frames (collecting costs per frame, 64 frames of a framework's stack several times
  // what the application's own need) plus the callers' span; deeper paths grow it again.
  const want = Math.min(MAX_DEPTH, first + 1 + CALLER_SPAN)
  if (frames.length >= hint.depth && want > hint.depth) {
    // Cut off inside the callers' span: collect again, so this path reads the same frames as always.
    frames = collect(entry, want)
    first = firstAppIndex(frames)
    if (first < 0) return undefined
  }
  if (hint.learned !== true) {
    hint.learned = true
    hint.depth = want
  } else if (want > hint.depth) hint.depth = want
  return appStack(frames, first)
}

// A thenable ORM (Drizzle's builders, Prisma's model calls, TypeORM's lazy relations) issues its SQL
// from a then() that the microtask queue runs, or behind a process.nextTick batch: the stack at the
// query holds no application frame, and V8's async stack traces do not cross a thenable's then().
// The user's frame is on the stack where the builder or relation promise is made; the ORM helpers
// capture it there and carry it to the query as a link of n1guard's one async context.
interface SiteLink extends ContextLink {
  readonly site: RawSite
}

// Set once any copy of n1guard carries a site: until then a statement pays one property read. The
// flag lives in a small holder found once on globalThis (shared by every copy of n1guard): a symbol
// read on globalThis itself, a dictionary, was a keyed lookup on every statement.
const CARRYING = Symbol.for('n1guard.carried-sites')
const flags = ((globalThis as { [CARRYING]?: { on: boolean } })[CARRYING] ??= { on: false })

/** The call site an ORM helper carried to the statement being issued now, if any. */
export function carriedSite(): RawSite | undefined {
  return flags.on ? nearestLinkValue<RawSite>('site') : undefined
}

/**
 * Runs `fn` with `site` as the call site of every statement it issues, synchronously or in the
 * async work it starts (a carried site wins over the live stack, which is the ORM's own there).
 */
export function carrySite<T>(site: RawSite, fn: () => T): T {
  flags.on = true
  const link: SiteLink = { site, next: currentContext() }
  return runInContext(link, fn)
}

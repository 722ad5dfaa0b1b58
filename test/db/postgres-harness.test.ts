// The PostgreSQL harness of the tests, the demo and the examples (examples/support/postgres.ts), as a
// new user meets it: as root in a clone the `postgres` user cannot read, and with a wrong DATABASE_URL.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { checkDatabaseUrl, PostgresUnavailableError, freePort, redactUrl, startEmbeddedPostgres, writePasswordFile, type EmbeddedServer } from '../../examples/support/postgres.js'

const SECRET = 'hunter2-secret'
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0

async function failure(url: string): Promise<{ message: string; ms: number }> {
  const t0 = performance.now()
  try {
    await checkDatabaseUrl(url, 3000)
  } catch (error) {
    // One sentence, even where a runner or a demo prints the whole stack.
    expect(error).toBeInstanceOf(PostgresUnavailableError)
    expect((error as Error).stack!.split('\n')).toHaveLength(1)
    return { message: (error as Error).message, ms: performance.now() - t0 }
  }
  throw new Error(`checkDatabaseUrl(${redactUrl(url)}) resolved`)
}

describe('a wrong DATABASE_URL gets one clear message, fast, without its password', () => {
  const good = new URL(inject('databaseUrl'))
  const http = createHttpServer((_req, res) => res.end('not postgres'))
  let httpPort = 0
  beforeAll(async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    httpPort = (http.address() as AddressInfo).port
  })
  afterAll(async () => await new Promise<void>((resolve) => http.close(() => resolve())))

  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['a refused port', async () => `postgres://postgres:${SECRET}@127.0.0.1:${await freePort()}/postgres`, /ECONNREFUSED/],
    ['a bad host', async () => `postgres://postgres:${SECRET}@no-such-host.invalid:5432/postgres`, /ENOTFOUND|EAI_AGAIN/],
    ['a bad password', async () => `postgres://${good.username}:${SECRET}@${good.host}/postgres`, /password authentication failed/],
    ['a missing database', async () => Object.assign(new URL(good.href), { pathname: '/no_such_database' }).href, /does not exist/],
    ['a port that is not PostgreSQL', async () => `postgres://postgres:${SECRET}@127.0.0.1:${httpPort}/postgres`, /./],
  ]
  test.each(cases)('%s', async (_name, makeUrl, reason) => {
    const url = await makeUrl()
    const { message, ms } = await failure(url)
    expect(message).toContain(`Cannot use DATABASE_URL=${redactUrl(url)}`)
    expect(message).toContain(':***@')
    expect(message).not.toContain(`:${new URL(url).password}@`)
    expect(message).not.toContain(SECRET)
    expect(message).toMatch(reason)
    expect(message.split('\n')).toHaveLength(1)
    expect(ms).toBeLessThan(4000)
  })

  test('a URL that does not parse is named as such, without echoing it', async () => {
    await expect(checkDatabaseUrl(`not a url ${SECRET}`)).rejects.toThrow(/^DATABASE_URL is not a valid URL/)
    await expect(checkDatabaseUrl(`not a url ${SECRET}`)).rejects.not.toThrow(SECRET)
  })

  test('the right URL passes', async () => {
    await expect(checkDatabaseUrl(good.href)).resolves.toBeUndefined()
  })
})

describe('the embedded server', () => {
  let server: EmbeddedServer
  beforeAll(async () => {
    server = await startEmbeddedPostgres()
  })
  afterAll(async () => await server?.stop())

  test('serves queries and keeps its files in one private directory, no password file left behind', async () => {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }])
    } finally {
      await client.end()
    }
    expect(statSync(server.dir).mode & 0o777).toBe(0o700)
    // initdb's password file is written inside the private directory (mode 600) and removed at once.
    expect(readdirSync(server.dir)).not.toContain('pwfile')
  })

  test('runs as `postgres` from binaries inside its private directory as root (the clone may be unreadable to it), as the current user otherwise', () => {
    const stat = statSync(server.dir)
    if (asRoot) {
      expect(stat.uid).not.toBe(0)
      expect(existsSync(join(server.dir, 'pg', 'bin', 'postgres'))).toBe(true)
    } else {
      expect(stat.uid).toBe(process.getuid?.())
    }
  })

  test('the password file is mode 600 and owned by the user initdb runs as', () => {
    const dir = mkdtempSync(join(tmpdir(), 'n1guard-pw-'))
    try {
      const file = writePasswordFile(dir, 'secret', {})
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(readFileSync(file, 'utf8')).toBe('secret\n')
      if (asRoot) {
        const owned = writePasswordFile(dir, 'secret', { uid: 1, gid: 1 })
        expect([statSync(owned).uid, statSync(owned).gid]).toEqual([1, 1])
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('stop removes the private directory', async () => {
    const other = await startEmbeddedPostgres()
    expect(existsSync(other.dir)).toBe(true)
    await other.stop()
    expect(existsSync(other.dir)).toBe(false)
  })
})

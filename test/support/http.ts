// Shared pieces of the framework tests (test/db/<framework>.test.ts): routes with and without an
// N+1, a reporter to await reports from, and the scenarios every framework must pass.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Kysely, PostgresDialect } from 'kysely'
import { expect, test } from 'vitest'
import { createDetector, type Reporter, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from './db.js'
import { siteOf } from './sites.js'

/** The line of the N+1 in `peopleSlow`, for call-site assertions. */
export const N_PLUS_ONE_SITE = siteOf(import.meta.url, 'loop')

/** `limit` people and their pets, one query per person: an N+1 of `limit` pet queries. */
export async function peopleSlow(db: Kysely<PetShopDB>, limit: number): Promise<Array<{ id: number; pets: unknown[] }>> {
  const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').limit(limit).execute()
  const out = []
  for (const person of people) {
    const pets = await db.selectFrom('pet').select('name').where('owner_id', '=', person.id).execute() // @site:loop
    out.push({ ...person, pets })
  }
  return out
}

/** The same answer in two queries. */
export async function peopleFast(db: Kysely<PetShopDB>, limit: number): Promise<Array<{ id: number; pets: unknown[] }>> {
  const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').limit(limit).execute()
  const pets = await db.selectFrom('pet').select(['owner_id', 'name']).where('owner_id', 'in', people.map((p) => p.id)).execute()
  return people.map((p) => ({ ...p, pets: pets.filter((x) => x.owner_id === p.id) }))
}

/** Runs one pet query per owner id, then throws: a failing handler that already ran an N+1. */
export async function queriesThenThrow(db: Kysely<PetShopDB>, ids: readonly number[]): Promise<never> {
  for (const id of ids) await db.selectFrom('pet').select('id').where('owner_id', '=', id).execute()
  throw new Error('handler failed')
}

export interface Deferred<T = void> {
  readonly promise: Promise<T>
  resolve(value: T): void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Collects scope reports; `waitFor` resolves as soon as the reporter has been handed a match. */
export class ReportLog {
  readonly reports: ScopeReport[] = []
  private waiters: Array<{ check: () => boolean; done: () => void }> = []

  readonly reporter: Reporter = (report) => {
    this.reports.push(report)
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.done(), false) : true))
  }

  named(name: string): ScopeReport[] {
    return this.reports.filter((r) => r.scope.name === name)
  }

  /**
   * Resolves once `count` reports named `name` have arrived, with them. Rejects after `failAfterMs`
   * (a bound on a failing test, not a wait: passing tests resolve on the reporter's call).
   */
  async waitFor(name: string, count = 1, failAfterMs = 5000): Promise<ScopeReport[]> {
    const check = (): boolean => this.named(name).length >= count
    if (!check()) {
      const arrived = deferred()
      this.waiters.push({ check, done: () => arrived.resolve() })
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const seen = this.reports.map((r) => r.scope.name)
          reject(new Error(`waited ${failAfterMs} ms for ${count} report(s) named ${name}; got ${JSON.stringify(seen)}`))
        }, failAfterMs)
      })
      try {
        await Promise.race([arrived.promise, timeout])
      } finally {
        clearTimeout(timer)
      }
    }
    return this.named(name)
  }

  clear(): void {
    this.reports.length = 0
  }
}

/** The base URL of a server listening (or about to listen) on 127.0.0.1. */
export async function baseUrl(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export interface ConcurrentScenario {
  readonly base: string
  readonly log: ReportLog
  /** URL path of the N+1 route for `n` people, and that route's scope name. */
  readonly slow: { readonly path: (n: number) => string; readonly name: string; readonly extraQueries?: number }
  /** URL path of the two-query route for `n` people, and that route's scope name. */
  readonly fast: { readonly path: (n: number) => string; readonly name: string; readonly extraQueries?: number }
  /** Method, headers and body of each request, by number of people. */
  readonly init?: (n: number) => RequestInit
}

/**
 * Twelve requests at once, six to the N+1 route (2..7 people) and six to the clean one: every
 * report is named by route pattern, each N+1 counts exactly its own request's people, from the
 * loop's line, and the clean requests have no finding.
 */
export async function expectIsolatedConcurrentRequests(s: ConcurrentScenario): Promise<void> {
  s.log.clear()
  const limits = [2, 3, 4, 5, 6, 7]
  const responses = await Promise.all(limits.flatMap((n) => [fetch(s.base + s.slow.path(n), s.init?.(n)), fetch(s.base + s.fast.path(n), s.init?.(n))]))
  expect(responses.map((r) => r.status)).toEqual(limits.flatMap(() => [200, 200]))
  const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<Array<{ pets: unknown[] }>>
  expect(bodies.map((b) => b.length)).toEqual(limits.flatMap((n) => [n, n]))
  const slow = await s.log.waitFor(s.slow.name, limits.length)
  const fast = await s.log.waitFor(s.fast.name, limits.length)
  expect(s.log.reports).toHaveLength(limits.length * 2)
  const fastExtra = s.fast.extraQueries ?? 0
  expect(fast.map((r) => [r.queryCount, r.findings.length])).toEqual(limits.map(() => [2 + fastExtra, 0]))
  // A slow request for n people runs 1 + n queries (plus its hooks'): its finding counts exactly n.
  const slowExtra = s.slow.extraQueries ?? 0
  const counts = slow.map((r) => [r.queryCount, r.findings.map((f) => f.count)]).sort((a, b) => Number(a[0]) - Number(b[0]))
  expect(counts).toEqual(limits.map((n) => [n + 1 + slowExtra, [n]]))
  for (const r of slow) {
    expect(r.findings[0]!.callSite).toMatchObject(N_PLUS_ONE_SITE)
    expect(r.findings[0]!.scope).toEqual(r.scope)
  }
  expect(new Set(s.log.reports.map((r) => r.scope.id)).size).toBe(s.log.reports.length)
}

/**
 * A handler that runs an N+1 of `before` pet queries, says so (`reached`), waits for `release`,
 * runs two more from the same line and answers (`finished` just before).
 */
export class GatedPeople {
  readonly before = 3
  readonly reached = deferred()
  readonly release = deferred()
  readonly finished = deferred()

  constructor(private readonly db: () => Kysely<PetShopDB>) {}

  readonly run = async (): Promise<unknown[]> => {
    await peopleSlow(this.db(), this.before)
    this.reached.resolve()
    await this.release.promise
    const out = await peopleSlow(this.db(), 2)
    this.finished.resolve()
    return out
  }
}

export interface GatedRoute {
  readonly base: string
  readonly log: ReportLog
  /** URL path and scope name of the route that runs `gate.run`. */
  readonly path: string
  readonly name: string
  readonly gate: GatedPeople
  /** A clean route on the same server, to request after the handler finished. */
  readonly cleanPath: string
  readonly cleanName: string
}

/**
 * The client disconnects while the handler waits: the scope closes then, exactly once, with the
 * queries the request ran before; what the handler runs after that belongs to no scope.
 */
export async function expectAbortClosesOnce(g: GatedRoute): Promise<void> {
  g.log.clear()
  const controller = new AbortController()
  const pending = fetch(g.base + g.path, { signal: controller.signal }).then(
    () => 'answered',
    (error: unknown) => (error as Error).name,
  )
  await g.gate.reached.promise
  controller.abort()
  expect(await pending).toBe('AbortError')
  const [closed] = await g.log.waitFor(g.name)
  expect(closed!.findings.map((f) => [f.kind, f.count])).toEqual([['n-plus-one', g.gate.before]])
  expect(closed!.queryCount).toBe(g.gate.before + 1)
  g.gate.release.resolve()
  await g.gate.finished.promise
  // A later request on the same server has been served and reported: by then a second close of
  // the aborted request (from its late reply) would have been reported too.
  expect((await fetch(g.base + g.cleanPath)).status).toBe(200)
  await g.log.waitFor(g.cleanName)
  expect(g.log.named(g.name)).toHaveLength(1)
  expect(g.log.reports.filter((r) => r.scope.id === closed!.scope.id)).toHaveLength(1)
}

/**
 * What a framework test file shares: a detector reporting to `log`, the pet-shop database (8
 * people, 3 pets each) behind an instrumented Kysely, the gated handler, and the server's URL.
 */
export class FrameworkFixture {
  readonly log = new ReportLog()
  readonly detector = createDetector({ reporters: [this.log.reporter] })
  readonly gate = new GatedPeople(() => this.db)
  base = ''
  private database: TestDatabase | undefined
  private kysely: Kysely<PetShopDB> | undefined
  private server: Server | undefined

  get db(): Kysely<PetShopDB> {
    if (this.kysely === undefined) throw new Error('FrameworkFixture.open() first')
    return this.kysely
  }

  async open(): Promise<Kysely<PetShopDB>> {
    this.database = await createTestDatabase({ people: 8, petsPerPerson: 3 })
    this.kysely = new Kysely<PetShopDB>({
      dialect: instrumentDialect(new PostgresDialect({ pool: this.database.pool({ max: 3 }) }), this.detector),
    })
    return this.kysely
  }

  /** Waits for `server` to listen and keeps its URL in `base`; `close` will close it. */
  async serve(server: Server): Promise<string> {
    this.server = server
    this.base = await baseUrl(server)
    return this.base
  }

  async close(): Promise<void> {
    const server = this.server
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
    await this.kysely?.destroy()
    await this.database?.drop()
  }
}

/**
 * The tests every framework integration passes, on routes the app mounts under `prefix`:
 * `/people/:limit/slow` (peopleSlow), `/people/:limit/fast` (peopleFast), `/boom`
 * (queriesThenThrow with owners 1 and 2) and `/wait/people` (gate.run). Call inside a describe block.
 */
export function frameworkTests(fx: FrameworkFixture, prefix = ''): void {
  test('concurrent requests: each finding goes to its own request, named by route pattern', async () => {
    await expectIsolatedConcurrentRequests({
      base: fx.base,
      log: fx.log,
      slow: { path: (n) => `${prefix}/people/${n}/slow?x=1`, name: `GET ${prefix}/people/:limit/slow` },
      fast: { path: (n) => `${prefix}/people/${n}/fast`, name: `GET ${prefix}/people/:limit/fast` },
    })
  })

  test('a handler that throws still closes its scope with its findings', async () => {
    fx.log.clear()
    expect((await fetch(`${fx.base}${prefix}/boom`)).status).toBe(500)
    const [report] = await fx.log.waitFor(`GET ${prefix}/boom`)
    expect(report!.findings.map((f) => [f.count, f.callSite?.file])).toEqual([[2, N_PLUS_ONE_SITE.file]])
  })

  test('a client that disconnects mid-request: the scope closes then, exactly once', async () => {
    await expectAbortClosesOnce({
      base: fx.base,
      log: fx.log,
      gate: fx.gate,
      path: `${prefix}/wait/people`,
      name: `GET ${prefix}/wait/people`,
      cleanPath: `${prefix}/people/2/fast`,
      cleanName: `GET ${prefix}/people/:limit/fast`,
    })
  })

  test('unmatched routes get a fixed name, never the path', async () => {
    fx.log.clear()
    expect((await fetch(`${fx.base}/nowhere?token=abc`)).status).toBe(404)
    const [report] = await fx.log.waitFor('GET (unmatched)')
    expect(report!.queryCount).toBe(0)
  })
}

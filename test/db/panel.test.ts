// n1guard/panel's server without a browser: options, safety (production, loopback, Host and
// cross-site checks), bounded memory, no parameter values, and nothing recorded unless started.
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { detectorCore } from '../../src/core/detector.js'
import { startPanel, renderReport, readFindingsNdjson } from '../../src/panel/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 6, petsPerPerson: 2, toysPerPet: 1 })
})
afterAll(async () => {
  await db.drop()
})

/** Raw HTTP, so the test can send any Host / Origin header. */
function call(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

async function loop(detector: ReturnType<typeof createDetector>, pool: ReturnType<TestDatabase['pool']>, name: string): Promise<void> {
  await detector.run(name, async () => {
    const people = await pool.query<{ id: number }>('select id from person order by id')
    for (const p of people.rows) await pool.query('select name from pet where owner_id = $1', [p.id])
  })
}

/** Waits for the panel to hold `n` scopes (it takes them one event-loop turn after they end). */
async function held(url: string, n: number): Promise<Array<{ id: string; name?: string; queryCount: number }>> {
  for (let i = 0; i < 200; i++) {
    const list = JSON.parse((await call(url, 'api/scopes')).body) as Array<{ id: string; name?: string; queryCount: number }>
    if (list.length >= n) return list
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`the panel never held ${n} scopes`)
}

describe('startPanel', () => {
  test('bad options fail fast with a TypeError naming the value', async () => {
    const detector = createDetector({ mode: 'silent' })
    expect(() => startPanel(detector, { port: -1 })).toThrow(/`port`.*-1/)
    expect(() => startPanel(detector, { host: '' })).toThrow(TypeError)
    expect(() => startPanel(detector, { maxScopes: 0 })).toThrow(/`maxScopes`.*0/)
    expect(() => startPanel(detector, { pool: {} as never })).toThrow(/`pool`/)
    expect(() => startPanel({} as never)).toThrow(/needs a detector from createDetector/)
  })

  test('refuses to start with NODE_ENV=production unless forced', async () => {
    const detector = createDetector({ mode: 'silent' })
    const before = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      expect(() => startPanel(detector, { port: 0, log: false })).toThrow(/NODE_ENV=production.*force: true/)
      expect(detectorCore(detector, 'test').tracker.recorders).toBeUndefined()
      const panel = await startPanel(detector, { port: 0, log: false, force: true })
      await panel.close()
    } finally {
      process.env.NODE_ENV = before
    }
  })

  test('binds to loopback, prints its URL once, records nothing before start or after close', async () => {
    const detector = createDetector({ mode: 'silent' })
    const core = detectorCore(detector, 'test')
    expect(core.tracker.recorders).toBeUndefined()
    const printed: string[] = []
    const panel = await startPanel(detector, { port: 0, log: { write: (s: string) => printed.push(s) } })
    expect(panel.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(printed).toEqual([`n1guard panel: ${panel.url}\n`])
    expect(core.tracker.recorders?.size).toBe(1)
    await panel.close()
    await panel.close()
    expect(core.tracker.recorders).toBeUndefined()
    await expect(call(panel.url, '/')).rejects.toThrow()
  })

  test('used without await, as { url, close() }: recording starts at once, the url is right for an explicit port', async () => {
    const detector = createDetector({ mode: 'silent' })
    const core = detectorCore(detector, 'test')
    const probe = await startPanel(detector, { port: 0, log: false })
    const port = Number(new URL(probe.url).port)
    await probe.close()
    const panel = startPanel(detector, { port, log: false })
    expect(core.tracker.recorders?.size).toBe(1)
    expect(panel.url).toBe(`http://127.0.0.1:${port}/`)
    await panel.ready
    expect((await call(panel.url, '/')).status).toBe(200)
    await panel.close()
    expect(core.tracker.recorders).toBeUndefined()
  })

  test('answers only requests addressed to it: wrong Host is refused, EXPLAIN needs the panel header', async () => {
    const detector = createDetector({ mode: 'silent' })
    const panel = await startPanel(detector, { port: 0, log: false })
    try {
      const port = new URL(panel.url).port
      expect((await call(panel.url, '/')).status).toBe(200)
      expect((await call(panel.url, '/', { headers: { host: `localhost:${port}` } })).status).toBe(200)
      expect((await call(panel.url, '/', { headers: { host: `evil.example:${port}` } })).status).toBe(421)
      const body = JSON.stringify({ scope: 'x', fingerprint: 'y' })
      expect((await call(panel.url, '/api/explain', { method: 'POST', body })).status).toBe(403)
      expect((await call(panel.url, '/api/explain', { method: 'POST', body, headers: { 'x-n1guard-panel': '1', origin: 'http://evil.example' } })).status).toBe(403)
      expect((await call(panel.url, '/api/explain', { method: 'POST', body, headers: { 'x-n1guard-panel': '1' } })).status).toBe(404)
      expect((await call(panel.url, '/nope')).status).toBe(404)
      expect((await call(panel.url, '/api/scopes/%E0%A4%A')).status).toBe(400)
    } finally {
      await panel.close()
    }
  })

  test('keeps the last maxScopes scopes and at most maxQueriesPerScope queries of each', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool(), detector)
    const panel = await startPanel(detector, { port: 0, log: false, maxScopes: 3, maxQueriesPerScope: 4 })
    try {
      for (let i = 1; i <= 5; i++) await loop(detector, pool, `job ${i}`)
      await held(panel.url, 3)
      // the recorder hands scopes over one turn later: wait for the fifth
      let list: Array<{ id: string; name?: string; queryCount: number }> = []
      for (let i = 0; i < 200 && list[0]?.name !== 'job 5'; i++) {
        list = await held(panel.url, 3)
        await new Promise((resolve) => setImmediate(resolve))
      }
      expect(list.map((s) => s.name)).toEqual(['job 5', 'job 4', 'job 3'])
      const detail = JSON.parse((await call(panel.url, `api/scopes/${encodeURIComponent(list[0]!.id)}`)).body) as { queries: unknown[]; truncated: number; queryCount: number }
      expect(detail.queryCount).toBe(7)
      expect(detail.queries).toHaveLength(4)
      expect(detail.truncated).toBe(3)
      expect((await call(panel.url, 'api/scopes/nope')).status).toBe(404)
    } finally {
      await panel.close()
    }
  })

  test('sends no parameter values without captureParams, and says why EXPLAIN is unavailable', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool(), detector)
    const panel = await startPanel(detector, { port: 0, log: false, pool })
    try {
      await detector.run('GET /secret', () => pool.query("select name from person where name = $1 or name = 'inline-secret'", ['param-secret']))
      const [scope] = await held(panel.url, 1)
      const raw = (await call(panel.url, `api/scopes/${encodeURIComponent(scope!.id)}`)).body
      expect(raw).not.toContain('param-secret')
      expect(raw).not.toContain('inline-secret')
      const detail = JSON.parse(raw) as { shapes: Array<{ explain: unknown }> }
      expect(detail.shapes[0]!.explain).toMatch(/captureParams: true/)
      const report = (await call(panel.url, 'report.html')).body
      expect(report).not.toContain('param-secret')
    } finally {
      await panel.close()
    }
  })

  test('with captureParams, EXPLAIN runs on a connection of its own made from the instrumented pool, and is never recorded', async () => {
    const detector = createDetector({ mode: 'silent', captureParams: true })
    const pool = instrumentPool(db.pool(), detector)
    // no `pool` option: the panel finds the pg Pool instrumented for this detector
    const panel = await startPanel(detector, { port: 0, log: false })
    try {
      await loop(detector, pool, 'GET /people')
      const [scope] = await held(panel.url, 1)
      const detail = JSON.parse((await call(panel.url, `api/scopes/${encodeURIComponent(scope!.id)}`)).body) as { shapes: Array<{ fingerprint: string; count: number; explain: unknown }>; queries: Array<{ params?: unknown[] }> }
      const petShape = detail.shapes.find((s) => s.count === 6)!
      expect(petShape.explain).toBe(true)
      expect(detail.queries.some((q) => Array.isArray(q.params))).toBe(true)
      const res = await call(panel.url, 'api/explain', { method: 'POST', headers: { 'x-n1guard-panel': '1', 'content-type': 'application/json' }, body: JSON.stringify({ scope: scope!.id, fingerprint: petShape.fingerprint }) })
      const out = JSON.parse(res.body) as { plan?: string; error?: string }
      expect(out.error).toBeUndefined()
      expect(out.plan).toMatch(/on pet/)
      expect(out.plan).not.toMatch(/actual time/)
      // The EXPLAIN ran outside any scope of the detector, and not on the app's pool.
      expect(JSON.parse((await call(panel.url, 'api/scopes')).body)).toHaveLength(1)
      expect(pool.totalCount).toBe(1)
    } finally {
      await panel.close()
    }
  })

  test("EXPLAIN's own connection is set up by the pool's connect listeners: the schema the app picks there", async () => {
    const detector = createDetector({ mode: 'silent', captureParams: true })
    // No `options` on the pool: the schema comes from the connect listener alone, as in many apps.
    const raw = new pg.Pool({ connectionString: db.url, max: 2 })
    raw.on('connect', (client) => {
      void client.query(`set search_path to ${db.schema}`)
    })
    const pool = instrumentPool(raw, detector)
    const panel = await startPanel(detector, { port: 0, log: false })
    try {
      await loop(detector, pool, 'GET /people')
      const [scope] = await held(panel.url, 1)
      const detail = JSON.parse((await call(panel.url, `api/scopes/${encodeURIComponent(scope!.id)}`)).body) as { shapes: Array<{ fingerprint: string; count: number }> }
      const petShape = detail.shapes.find((s) => s.count === 6)!
      const res = await call(panel.url, 'api/explain', { method: 'POST', headers: { 'x-n1guard-panel': '1', 'content-type': 'application/json' }, body: JSON.stringify({ scope: scope!.id, fingerprint: petShape.fingerprint }) })
      const out = JSON.parse(res.body) as { plan?: string; error?: string }
      expect(out.error).toBeUndefined()
      expect(out.plan).toMatch(/on pet/)
    } finally {
      await panel.close()
      await raw.end()
    }
  })

  test('with no pool to make a connection from, EXPLAIN says it needs one', async () => {
    const detector = createDetector({ mode: 'silent', captureParams: true })
    const client = instrumentClient(db.client(), detector)
    await client.connect()
    const panel = await startPanel(detector, { port: 0, log: false })
    try {
      await detector.run('job', () => client.query('select name from pet where owner_id = $1', [1]))
      const [scope] = await held(panel.url, 1)
      const detail = JSON.parse((await call(panel.url, `api/scopes/${encodeURIComponent(scope!.id)}`)).body) as { shapes: Array<{ explain: unknown }> }
      expect(detail.shapes[0]!.explain).toMatch(/startPanel\(detector, \{ pool \}\)/)
    } finally {
      await panel.close()
      await client.end()
    }
  })

  test('a failure inside the panel never reaches the app', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool(), detector)
    const panel = await startPanel(detector, { port: 0, log: false })
    const core = detectorCore(detector, 'test')
    // A recorder that throws (as a panel bug would) next to the panel's own.
    core.tracker.recorders!.add(() => {
      throw new Error('panel bug')
    })
    try {
      const result = await detector.run('GET /ok', async () => (await pool.query('select 1 as one')).rows[0])
      expect(result).toEqual({ one: 1 })
    } finally {
      await panel.close()
    }
  })
})

describe('renderReport', () => {
  test('escapes what it inlines: a name cannot close the data script', () => {
    const findings = readFindingsNdjson(
      '{"kind":"n-plus-one","scope":{"id":"s1","name":"</script><script>alert(1)</script>"},"sql":"select 1","count":2}\nnot json\n{"kind":"missing-index","scope":{"id":"s1"},"sql":"select * from pet where owner_id = ?","count":1,"hint":"create index"}\n',
    )
    expect(findings.map((f) => f.kind)).toEqual(['n-plus-one', 'missing-index'])
    const html = renderReport({ findings })
    expect(html).not.toContain('</script><script>alert(1)')
    expect(html.match(/<script/g)).toHaveLength(2)
    expect(html).toContain('missing-index')
  })
})

describe('n1guard report (the command)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/panel/cli.ts', ...args], { cwd: root }, (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr }),
      )
    })

  test('says how to use it, and fails on an unknown command, a missing -o value or an unreadable file', async () => {
    expect(await cli('--help')).toMatchObject({ code: 0, stderr: expect.stringContaining('usage: n1guard report') })
    expect(await cli('reprot', 'x.ndjson')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "reprot"') })
    expect(await cli('report', 'x.ndjson', '-o')).toMatchObject({ code: 2, stderr: expect.stringContaining('-o needs a file name') })
    expect(await cli('report', 'no-such-file.ndjson', '-o', 'never-written.html')).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read no-such-file.ndjson') })
  }, 60_000)
})

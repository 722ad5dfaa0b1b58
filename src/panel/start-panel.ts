import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { poolsOf } from '../core/connection-sources.js'
import { detectorCore, type Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'
import { addRecorder, type RecordedScope } from '../core/recorder.js'
import { explainOn, type ExplainPool } from './explain-runner.js'
import { PanelStore, type ExplainTarget } from './panel-store.js'
import { renderPage } from './render-page.js'
import { scopeView, type ExplainCheck } from './view-model.js'

/** Options of `startPanel`. */
export interface PanelOptions {
  /**
   * Port to listen on; `0` picks a free one. When the default port is taken, a free one is used.
   * @default 4874
   */
  readonly port?: number
  /**
   * Interface to bind. Anything but loopback exposes your queries to the network: only on a
   * machine you trust.
   * @default '127.0.0.1'
   */
  readonly host?: string
  /**
   * A pg `Pool` (or anything with `connect()`) for the EXPLAIN button. The panel opens a client of
   * its own from the pool's `Client` and `options` when it can.
   * @default a pg Pool instrumented for the detector with `instrumentPool`, if any
   */
  readonly pool?: ExplainPool
  /** Scopes kept (the oldest is dropped). @default 200 */
  readonly maxScopes?: number
  /** Queries kept per scope for the waterfall. @default 500 */
  readonly maxQueriesPerScope?: number
  /** Start even when `NODE_ENV` is `production`. @default false */
  readonly force?: boolean
  /** Where the URL is printed once; `false` prints nothing. @default process.stdout */
  readonly log?: false | { write(chunk: string): unknown }
}

/** A running panel. */
export interface Panel {
  /** The page's address, for example `http://127.0.0.1:4874/`. */
  readonly url: string
  /** Stops the server and recording; resolves once closed. */
  close(): Promise<void>
}

/**
 * What `startPanel` returns: the panel at once (recording starts before the server listens), and
 * a promise of it once it listens. `await` it for the final `url` (with `port: 0`, or when the
 * default port was taken); with an explicit port `url` is right at once.
 */
export interface StartingPanel extends Panel, PromiseLike<Panel> {
  /** Resolves once the server listens (rejects if it cannot, for example a port in use). */
  readonly ready: Promise<Panel>
}

const DEFAULT_PORT = 4874
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

function isInteger(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

function validate(options: unknown): PanelOptions {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object') throw new TypeError(`n1guard: startPanel options must be an object, got ${describeValue(options)}`)
  const o = options as PanelOptions
  if (o.port !== undefined && !isInteger(o.port, 0, 65535)) throw new TypeError(`n1guard: startPanel option \`port\` must be an integer from 0 to 65535, got ${describeValue(o.port)}`)
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw new TypeError(`n1guard: startPanel option \`host\` must be a host name or address, got ${describeValue(o.host)}`)
  if (o.maxScopes !== undefined && !isInteger(o.maxScopes, 1, 100_000)) throw new TypeError(`n1guard: startPanel option \`maxScopes\` must be an integer >= 1, got ${describeValue(o.maxScopes)}`)
  if (o.maxQueriesPerScope !== undefined && !isInteger(o.maxQueriesPerScope, 1, 1_000_000)) {
    throw new TypeError(`n1guard: startPanel option \`maxQueriesPerScope\` must be an integer >= 1, got ${describeValue(o.maxQueriesPerScope)}`)
  }
  if (o.force !== undefined && typeof o.force !== 'boolean') throw new TypeError(`n1guard: startPanel option \`force\` must be a boolean, got ${describeValue(o.force)}`)
  if (o.pool !== undefined) {
    const p = o.pool as ExplainPool | null
    if (p === null || typeof p !== 'object' || (typeof p.connect !== 'function' && typeof p.Client !== 'function')) {
      throw new TypeError(`n1guard: startPanel option \`pool\` must be a pg Pool (or have connect()), got ${describeValue(o.pool)}`)
    }
  }
  if (o.log !== undefined && o.log !== false && (o.log === null || typeof o.log !== 'object' || typeof o.log.write !== 'function')) {
    throw new TypeError(`n1guard: startPanel option \`log\` must be false or a stream with write(), got ${describeValue(o.log)}`)
  }
  return o
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...extra,
  })
  res.end(body)
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value))

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new Error('body too large'))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/**
 * Serves a local page with every recent scope of `detector` (requests, jobs, tests): live, with a
 * waterfall of each scope's queries, its queries grouped by shape, its findings, and an EXPLAIN
 * button. Development only: it refuses to start when `NODE_ENV` is `production` (unless `force`),
 * binds to loopback, and records nothing until started. Prints its URL once.
 *
 * @example
 * import { startPanel } from 'n1guard/panel'
 * const panel = await startPanel(detector, { pool })   // n1guard panel: http://127.0.0.1:4874/
 * // ... later
 * await panel.close()
 */
export function startPanel(detector: Detector, options?: PanelOptions): StartingPanel {
  // Bad options and a production environment fail at once, before anything starts.
  const core = detectorCore(detector, 'startPanel')
  const o = validate(options)
  if (process.env.NODE_ENV === 'production' && o.force !== true) {
    throw new Error('n1guard: startPanel refuses to start with NODE_ENV=production (it shows queries to whoever can reach it); pass { force: true } to start it anyway')
  }
  const host = o.host ?? '127.0.0.1'
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  let current: Panel | undefined
  let awaited = false
  const state = { stop: (): Promise<void> => Promise.resolve() }
  // Everything before serve()'s first await runs now: the recorder is on when startPanel returns.
  const ready = serve(detector, core, o, state).then((panel) => (current = panel))
  ready.catch((error: unknown) => {
    if (!awaited) internalError('starting the panel (nobody awaited startPanel)', error)
  })
  const pending: StartingPanel = {
    get url() {
      return current?.url ?? `http://${shownHost}:${o.port ?? DEFAULT_PORT}/`
    },
    close: () => ready.then((panel) => panel.close(), () => state.stop()),
    ready,
    then(onFulfilled, onRejected) {
      awaited = true
      return ready.then(onFulfilled, onRejected)
    },
  }
  return pending
}

async function serve(detector: Detector, core: ReturnType<typeof detectorCore>, o: PanelOptions, state: { stop: () => Promise<void> }): Promise<Panel> {
  const host = o.host ?? '127.0.0.1'
  const maxScopes = o.maxScopes ?? 200
  const maxQueries = o.maxQueriesPerScope ?? 500
  const keepParams = detector.options.captureParams
  // The pool given, else a pg Pool instrumented for this detector (a client of its own is made from it).
  const explainPool = (): ExplainPool | undefined =>
    o.pool ?? (poolsOf(detector).find((p) => typeof (p as ExplainPool).Client === 'function' && (p as ExplainPool).options !== undefined) as ExplainPool | undefined)
  const store = new PanelStore(maxScopes)
  const streams = new Set<ServerResponse>()
  const sockets = new Set<Socket>()

  const explainCheck: ExplainCheck = (shape) => {
    if (shape.kind !== 'select') return 'EXPLAIN is offered for SELECT statements only.'
    if (explainPool() === undefined) return 'EXPLAIN needs a database connection: start the panel with startPanel(detector, { pool }).'
    if (!keepParams) return 'EXPLAIN needs the parameter values, which n1guard keeps only with createDetector({ captureParams: true }) (development only).'
    return true
  }

  const record = (rec: RecordedScope): void => {
    try {
      let explain: Map<string, ExplainTarget> | undefined
      if (keepParams && rec.texts !== undefined) {
        explain = new Map()
        rec.records.forEach((r, i) => {
          const text = rec.texts![i]
          if (r.kind === 'select' && text !== undefined && !explain!.has(r.fingerprint)) explain!.set(r.fingerprint, { text, values: r.params ?? [] })
        })
      }
      const view = scopeView(rec, maxQueries, keepParams, (shape) => {
        const why = explainCheck(shape)
        return why === true && explain?.has(shape.fingerprint) !== true ? 'The SQL text of this statement was not recorded.' : why
      })
      const summary = store.add(view, explain)
      if (streams.size === 0) return
      const frame = `event: scope\ndata: ${JSON.stringify(summary)}\n\n`
      for (const res of streams) {
        try {
          res.write(frame)
        } catch {
          streams.delete(res)
        }
      }
    } catch (error) {
      internalError('recording a scope for the panel', error)
    }
  }

  let port = 0
  const allowedHosts = (): Set<string> => new Set([...LOOPBACK, host].map((h) => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`))
  let hosts = new Set<string>()

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Another site in the browser could point a DNS name at 127.0.0.1 (rebinding) or post to us:
    // answer only requests addressed to this server by its own name.
    const wildcard = host === '0.0.0.0' || host === '::'
    if (!wildcard && !hosts.has(String(req.headers.host ?? ''))) return send(res, 421, 'text/plain; charset=utf-8', 'n1guard panel: unexpected Host header\n')
    const url = new URL(req.url ?? '/', 'http://panel.invalid')
    const path = url.pathname
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      return send(res, 200, 'text/html; charset=utf-8', renderPage({ mode: 'live', title: 'n1guard panel', maxScopes }))
    }
    if (req.method === 'GET' && path === '/report.html') {
      return send(res, 200, 'text/html; charset=utf-8', renderPage({ mode: 'static', title: 'n1guard report', scopes: store.scopes() }), {
        'content-disposition': 'attachment; filename="n1guard-report.html"',
      })
    }
    if (req.method === 'GET' && path === '/api/scopes') return json(res, 200, store.summaries())
    if (req.method === 'GET' && path.startsWith('/api/scopes/')) {
      let id: string
      try {
        id = decodeURIComponent(path.slice('/api/scopes/'.length))
      } catch {
        return json(res, 400, { error: 'bad scope id' })
      }
      const scope = store.get(id)
      return scope === undefined ? json(res, 404, { error: 'no such scope (the panel keeps the last ' + maxScopes + ')' }) : json(res, 200, scope)
    }
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' })
      res.write('retry: 2000\n\n')
      streams.add(res)
      req.on('close', () => streams.delete(res))
      return
    }
    if (req.method === 'POST' && path === '/api/explain') {
      const origin = req.headers.origin
      if (req.headers['x-n1guard-panel'] !== '1' || (origin !== undefined && !hosts.has(origin.replace(/^https?:\/\//, '')) && !wildcard)) {
        return json(res, 403, { error: 'forbidden' })
      }
      let body: { scope?: unknown; fingerprint?: unknown }
      try {
        body = JSON.parse(await readBody(req, 4096)) as typeof body
      } catch {
        return json(res, 400, { error: 'bad request' })
      }
      const scope = typeof body.scope === 'string' ? store.get(body.scope) : undefined
      const shape = scope?.shapes.find((s) => s.fingerprint === body.fingerprint)
      if (scope === undefined || shape === undefined) return json(res, 404, { error: 'This scope is no longer held by the panel.' })
      if (shape.explain !== true) return json(res, 200, { error: shape.explain })
      const target = store.target(scope.id, shape.fingerprint)
      const pool = explainPool()
      if (target === undefined || pool === undefined) return json(res, 200, { error: 'The SQL text of this statement was not recorded.' })
      try {
        return json(res, 200, { plan: await explainOn(pool, detector, target.text, target.values) })
      } catch (error) {
        return json(res, 200, { error: `EXPLAIN failed: ${error instanceof Error ? error.message : String(error)}` })
      }
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      internalError('serving the panel', error)
      try {
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'n1guard panel: internal error\n')
        else res.end()
      } catch {
        // the socket is gone
      }
    })
  })
  server.on('connection', (socket) => {
    // The panel never keeps the process alive: an app or a job exits as if it were not there.
    socket.unref()
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => socket.destroy())

  const stopRecording = addRecorder(core.tracker, (rec) => setImmediate(record, rec))
  state.stop = async () => stopRecording()
  try {
    await listen(server, o.port ?? DEFAULT_PORT, host)
  } catch (error) {
    if (o.port !== undefined || (error as { code?: unknown }).code !== 'EADDRINUSE') {
      stopRecording()
      throw error
    }
    try {
      await listen(server, 0, host)
    } catch (again) {
      stopRecording()
      throw again
    }
  }
  server.unref()
  server.on('error', (error) => internalError('running the panel server', error))
  port = (server.address() as AddressInfo).port
  hosts = allowedHosts()
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const url = `http://${shown}:${port}/`
  if (o.log !== false) {
    try {
      ;(o.log ?? process.stdout).write(`n1guard panel: ${url}\n`)
    } catch {
      // nowhere to print
    }
  }

  let closing: Promise<void> | undefined
  return {
    url,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        stopRecording()
        for (const res of streams) res.end()
        streams.clear()
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}

// The advisor's own database connection: a client made from the application pool's Client
// constructor and options, opened when there is catalog work and closed when the work is done.
// It never takes one of the pool's connections (the application's queries never wait for it) and
// never runs inside the application's transaction; its session is read-only.

/**
 * What the advisor needs of a node-postgres `Pool`: its `Client` constructor and `options` (and its
 * `connect` listeners, which set up each new client's session: see core/pool-events.ts).
 */
export interface PoolSource {
  readonly Client: new (config?: any) => unknown
  readonly options?: unknown
}

/**
 * Hands the advisor's client to the pool's `connect` / `remove` listeners, as pg-pool does with its
 * own (core/pool-events.ts, given by the composition root: the advisor imports no core).
 */
export type AnnounceClient = (pool: unknown, event: 'connect' | 'remove', client: unknown) => void

/** The part of a node-postgres `Client` the advisor uses. */
export interface OwnClient {
  connect(): Promise<unknown>
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
  end(): Promise<unknown>
  on?(event: string, listener: (...args: unknown[]) => void): unknown
}

/** Whether a value looks like a pg Pool the advisor can make clients from. */
export function isPoolSource(value: unknown): value is PoolSource {
  return typeof value === 'object' && value !== null && typeof (value as { Client?: unknown }).Client === 'function'
}

const SESSION =
  "set default_transaction_read_only = on; set statement_timeout = '5s'; set lock_timeout = '1s'; set application_name = 'n1guard advisor'"

/**
 * Runs catalog work one piece at a time on a client of its own, connecting for the first piece
 * and ending the client when no more work is queued.
 *
 * @example
 * const own = new OwnConnection(pool)
 * const rows = await own.run((client) => client.query('select 1'))
 */
export class OwnConnection {
  private chain: Promise<unknown> = Promise.resolve()
  private client: OwnClient | undefined
  private queued = 0
  /** `server_version_num` of the server, once connected. */
  serverVersion = 0

  constructor(
    readonly source: PoolSource,
    private readonly announce: AnnounceClient | undefined = undefined,
  ) {}

  run<T>(work: (client: OwnClient) => Promise<T>): Promise<T> {
    this.queued++
    const result = this.chain.then(async () => work(await this.open()))
    this.chain = result.then(
      () => this.done(),
      () => this.done(),
    )
    return result
  }

  private async open(): Promise<OwnClient> {
    if (this.client !== undefined) return this.client
    const options = typeof this.source.options === 'object' && this.source.options !== null ? this.source.options : {}
    const client = new this.source.Client({ ...options, connectionTimeoutMillis: 5000 }) as OwnClient
    // An idle client whose server goes away emits 'error'; unheard, that would crash the process.
    client.on?.('error', () => undefined)
    let announced = false
    try {
      await client.connect()
      // Set up as the pool sets up each new client: `pool.on('connect', (c) => c.query('set
      // search_path to app'))` is how many applications pick their schema, and the catalog reads
      // resolve table names on the search path. Their queries go first (pg runs them in order).
      announced = true
      this.announce?.(this.source, 'connect', client)
      await client.query(SESSION)
      const version = await client.query('show server_version_num')
      this.serverVersion = Number(version.rows[0]?.server_version_num ?? 0)
    } catch (error) {
      if (announced) this.announce?.(this.source, 'remove', client)
      client.end().catch(() => undefined)
      throw error
    }
    this.client = client
    return client
  }

  private done(): void {
    if (--this.queued > 0 || this.client === undefined) return
    const client = this.client
    this.client = undefined
    // Listeners that keep track of the pool's clients hear this one leave, as pg-pool tells them.
    this.announce?.(this.source, 'remove', client)
    client.end().catch(() => undefined)
  }
}

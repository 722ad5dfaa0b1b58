// Runs EXPLAIN (never ANALYZE: nothing is executed) for the panel, on a connection of its own.
import type { Detector } from '../core/detector.js'
import { emitPoolEvent } from '../core/pool-events.js'

interface PlanResult {
  rows: readonly Record<string, unknown>[]
}
interface ExplainClient {
  connect(): Promise<unknown>
  query(config: { text: string; values?: readonly unknown[]; queryMode?: 'extended' }): Promise<PlanResult>
  end(): Promise<unknown>
  on?(event: 'error', listener: (error: unknown) => void): unknown
}
interface PooledClient {
  query(config: { text: string; values?: readonly unknown[]; queryMode?: 'extended' }): Promise<PlanResult>
  release(error?: unknown): void
}

/**
 * What `startPanel`'s `pool` option accepts: a node-postgres `Pool` (the panel opens a client of
 * its own from the pool's `Client` and `options`, set up by the pool's `connect` listeners, so
 * EXPLAIN never waits for, or shows up among, the app's queries), or anything with `connect()`
 * resolving to a client with `query` / `release`.
 */
export interface ExplainPool {
  readonly Client?: new (config?: any) => any
  readonly options?: unknown
  connect?(): Promise<any>
}

const TIMEOUT_MS = 5000

function planText(result: PlanResult): string {
  return result.rows.map((row) => String(row['QUERY PLAN'] ?? Object.values(row)[0] ?? '')).join('\n')
}

/** EXPLAIN `text` with `values` in a read-only transaction with a statement timeout. */
export async function explainOn(pool: ExplainPool, detector: Detector, text: string, values: readonly unknown[]): Promise<string> {
  const run = async (q: (config: { text: string; values?: readonly unknown[]; queryMode?: 'extended' }) => Promise<PlanResult>): Promise<string> => {
    await q({ text: 'BEGIN READ ONLY' })
    try {
      await q({ text: `SET LOCAL statement_timeout = ${TIMEOUT_MS}` })
      // The extended protocol takes one statement only, so the text cannot smuggle a second one.
      return planText(await q({ text: `EXPLAIN ${text}`, values, queryMode: 'extended' }))
    } finally {
      await q({ text: 'ROLLBACK' }).catch(() => undefined)
    }
  }
  if (typeof pool.Client === 'function' && pool.options !== undefined) {
    const client = new pool.Client(pool.options) as ExplainClient
    client.on?.('error', () => undefined)
    await client.connect()
    // Set up as the pool sets up its own clients (the app's search_path, picked in a `connect` listener).
    emitPoolEvent(pool, 'connect', client)
    try {
      return await run((c) => client.query(c))
    } finally {
      emitPoolEvent(pool, 'remove', client)
      await client.end().catch(() => undefined)
    }
  }
  if (typeof pool.connect === 'function') {
    // Queries through the app's own (maybe instrumented) pool: paused, so no scope records them.
    return detector.ignore(async () => {
      const client = (await pool.connect!()) as PooledClient
      let failed: unknown
      try {
        return await run((c) => client.query(c))
      } catch (error) {
        failed = error
        throw error
      } finally {
        client.release(failed instanceof Error ? failed : undefined)
      }
    })
  }
  throw new TypeError('the pool has neither Client and options nor connect()')
}

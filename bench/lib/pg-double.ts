// A node-postgres Client double for pg-pool, for the `cold` bench row: every query is answered
// from setImmediate (one event-loop turn, as a socket read would be), after writing `thrashKb` of
// memory, which evicts the CPU caches much as a real round trip does (the kernel's network path and
// PostgreSQL itself run in between). What is left is a CPU-bound, low-noise stand-in for the real
// database: n1guard's code and data are cold for every query, as they are on a server.
import { EventEmitter } from 'node:events'

/** A pg `Client` class (give it to `new pg.Pool({ Client })`) whose queries evict the caches. */
export function pgDouble(thrashKb: number): new (options?: unknown) => object {
  const buf = new Float64Array(Math.max(1, (thrashKb * 1024) / 8))
  const thrash = () => {
    for (let i = 0; i < buf.length; i += 8) buf[i] = buf[i]! + 1
  }
  const answer = (values: unknown): object => ({
    rows: [{ id: Array.isArray(values) ? values[0] : 1, payload: 'x' }],
    rowCount: 1,
    command: 'SELECT',
    fields: [{ name: 'id' }, { name: 'payload' }],
  })
  return class ClientDouble extends EventEmitter {
    _queryable = true
    _ending = false
    constructor(_options?: unknown) {
      super()
    }
    connect(cb?: (err?: Error) => void): Promise<void> | undefined {
      if (cb === undefined) return Promise.resolve()
      setImmediate(() => cb())
      return undefined
    }
    query(_text: unknown, values?: unknown, cb?: unknown): unknown {
      if (typeof values === 'function') {
        cb = values
        values = undefined
      }
      if (typeof cb === 'function') {
        setImmediate(() => {
          if (thrashKb > 0) thrash()
          ;(cb as (e: unknown, r: unknown) => void)(null, answer(values))
        })
        return undefined
      }
      return new Promise((resolve) =>
        setImmediate(() => {
          if (thrashKb > 0) thrash()
          resolve(answer(values))
        }),
      )
    }
    end(cb?: () => void): Promise<void> | undefined {
      this._ending = true
      if (cb === undefined) return Promise.resolve()
      setImmediate(cb)
      return undefined
    }
    ref(): void {}
    unref(): void {}
  }
}

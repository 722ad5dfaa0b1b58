// An adapter with no database, built on the capture port as a real one is: for unit tests of the
// core pieces. Its "driver" answers each statement with the rows the test gives it.
import { capturePort, entryHint, type CapturePort } from '../../src/core/capture-port.js'
import type { Detector } from '../../src/core/detector.js'

const HINT = entryHint()

export interface FakeResult {
  readonly rows: readonly unknown[]
}

export interface FakeDb {
  readonly port: CapturePort
  /** Statements the fake driver received, as sent (sqlcommenter tags included). */
  readonly sent: string[]
  query(sql: string, params?: readonly unknown[]): Promise<FakeResult>
}

export function fakeDb(detector: Detector, answer: (sql: string, params: readonly unknown[]) => readonly unknown[] | Error = () => []): FakeDb {
  const port = capturePort(detector, 'fakeDb')
  const sent: string[] = []
  const driver = (sql: string, params: readonly unknown[]): Promise<FakeResult> => {
    sent.push(sql)
    const out = answer(sql, params)
    return out instanceof Error ? Promise.reject(out) : Promise.resolve({ rows: out })
  }
  return {
    port,
    sent,
    query: function query(sql: string, params: readonly unknown[] = []): Promise<FakeResult> {
      const capture = port.begin(sql, params, 'pg', query, HINT)
      if (capture === undefined) return driver(sql, params)
      return driver(port.tag(sql, capture), params).then(
        (result) => {
          port.finish(capture, result.rows.length, undefined, result.rows)
          return result
        },
        (error: unknown) => {
          port.finish(capture, undefined, error)
          throw error
        },
      )
    },
  }
}

// Kysely 0.29 cancellation: `execute({ signal })` and `stream({ signal })` hand the signal to
// acquireConnection, to the dialect's onReserveConnection and to the connection's executeQuery /
// streamQuery. Under n1guard every one of them must get the very same signal object as bare, and
// an aborted signal must stop the query the same way.
import * as k29 from 'kysely-0-29'
import Cursor from 'pg-cursor'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { settle } from '../support/outcome.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

type Fn = (...args: any[]) => any
const k = k29 as unknown as {
  Kysely: new (config: { dialect: any }) => any
  PostgresDialect: new (config: Record<string, unknown>) => any
  PostgresDriver: { prototype: Record<string, any> }
}

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase({ people: 3 })
})
afterAll(async () => {
  await db.drop()
})

/** Which calls received `signal` itself (by identity), in order. */
async function signalsSeen(instrument: boolean): Promise<{ seen: string[]; aborted: unknown }> {
  const detector = createDetector({ mode: 'silent' })
  const controller = new AbortController()
  const signal = controller.signal
  const seen: string[] = []
  const note = (what: string, options: unknown): void => {
    if ((options as { signal?: unknown } | undefined)?.signal === signal) seen.push(what)
  }
  const proto = k.PostgresDriver.prototype
  const acquire = proto.acquireConnection as Fn
  let connectionProto: Record<string, any> | undefined
  const restore: Array<() => void> = []
  proto.acquireConnection = async function (this: unknown, ...args: unknown[]) {
    note('acquireConnection', args[0])
    const connection = (await acquire.apply(this, args)) as object
    if (connectionProto === undefined) {
      connectionProto = Object.getPrototypeOf(connection) as Record<string, any>
      for (const name of ['executeQuery', 'streamQuery']) {
        const original = connectionProto[name] as Fn
        connectionProto[name] = function (this: unknown, ...a: unknown[]) {
          note(name, name === 'executeQuery' ? a[1] : a[2])
          return original.apply(this, a)
        }
        restore.push(() => (connectionProto![name] = original))
      }
    }
    return connection
  }
  restore.push(() => (proto.acquireConnection = acquire))
  const dialect = new k.PostgresDialect({
    pool: db.pool({ max: 1 }),
    cursor: Cursor,
    onReserveConnection: async (_connection: unknown, options: unknown) => note('onReserveConnection', options),
  })
  const kdb = new k.Kysely({ dialect: instrument ? instrumentDialect(dialect, detector) : dialect })
  try {
    await detector.run('signals', async () => {
      await kdb.selectFrom('person').select('id').execute({ signal })
      for await (const _row of kdb.selectFrom('person').select('id').stream({ chunkSize: 2, signal })) void _row
    })
    controller.abort(new Error('cancelled by the caller'))
    const aborted = await settle(() => kdb.selectFrom('person').select('id').execute({ signal }))
    return { seen, aborted }
  } finally {
    for (const r of restore.reverse()) r()
    await kdb.destroy()
  }
}

test('Kysely 0.29: the caller\'s signal reaches every driver, dialect and connection hook, bare and instrumented alike', async () => {
  const bare = await signalsSeen(false)
  const instrumented = await signalsSeen(true)
  expect(bare.seen).toContain('onReserveConnection')
  expect(bare.seen).toContain('executeQuery')
  expect(instrumented.seen).toEqual(bare.seen)
  expect(bare.aborted).toMatchObject({ ok: false })
  expect(instrumented.aborted).toEqual(bare.aborted)
})

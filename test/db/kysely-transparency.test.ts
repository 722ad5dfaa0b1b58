// The Kysely adapter must be invisible to Kysely and to whoever patches its driver: every driver
// and connection method gets exactly the arguments it gets without n1guard (Kysely 0.29 passes
// `{ signal }` and query options), and patches made after instrumenting (sinon stubs on
// `PostgresDriver.prototype`, APM agents) still run, because n1guard dispatches at call time.
import * as k27 from 'kysely-0-27'
import * as k28 from 'kysely'
import * as k29 from 'kysely-0-29'
import Cursor from 'pg-cursor'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

type Fn = (...args: any[]) => any
interface KyselyModule {
  Kysely: new (config: { dialect: any }) => any
  PostgresDialect: new (config: { pool: any; cursor?: any }) => any
  PostgresDriver: { prototype: Record<string, any> }
  sql: any
}

const VERSIONS: Array<[string, KyselyModule]> = [
  ['0.27', k27 as unknown as KyselyModule],
  ['0.28', k28 as unknown as KyselyModule],
  ['0.29', k29 as unknown as KyselyModule],
]
const DRIVER_METHODS = ['acquireConnection', 'beginTransaction', 'commitTransaction', 'rollbackTransaction', 'releaseConnection'] as const
const CONNECTION_METHODS = ['executeQuery', 'streamQuery'] as const

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase({ people: 4, petsPerPerson: 1 })
})
afterAll(async () => {
  await db.drop()
})

// What an argument looks like, without values that differ between runs.
function shapeOf(value: unknown): string {
  if (value === undefined || value === null) return String(value)
  if (typeof value !== 'object') return typeof value
  const keys = Object.keys(value).sort()
  return `${(value as object).constructor?.name ?? 'Object'}{${keys.join(',')}}`
}

// Records, by method, the argument shapes each call receives; returns a function that undoes it.
function recordCalls(k: KyselyModule, calls: string[]): () => void {
  const undo: Array<() => void> = []
  const proto = k.PostgresDriver.prototype
  const spy = (target: Record<string, any>, name: string): void => {
    const original = target[name] as Fn
    target[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`${name}(${args.map(shapeOf).join(', ')})`)
      return original.apply(this, args)
    }
    undo.push(() => {
      target[name] = original
    })
  }
  for (const name of DRIVER_METHODS) spy(proto, name)
  // PostgresConnection is not exported: spy on its prototype once the first connection exists.
  const acquire = proto.acquireConnection as Fn
  let connectionProto: Record<string, any> | undefined
  proto.acquireConnection = async function (this: unknown, ...args: unknown[]) {
    const connection = (await acquire.apply(this, args)) as object
    if (connectionProto === undefined) {
      connectionProto = Object.getPrototypeOf(connection) as Record<string, any>
      for (const name of CONNECTION_METHODS) spy(connectionProto, name)
    }
    return connection
  }
  undo.push(() => {
    proto.acquireConnection = acquire
  })
  return () => {
    for (const u of undo.reverse()) u()
  }
}

async function workload(k: KyselyModule, dialect: unknown): Promise<void> {
  const kdb = new k.Kysely({ dialect })
  try {
    await kdb.selectFrom('person').select('id').where('id', '=', 1).execute()
    await kdb.transaction().execute(async (trx: any) => {
      await trx.selectFrom('pet').select('id').execute()
    })
    await kdb
      .transaction()
      .execute(async (trx: any) => {
        await trx.selectFrom('pet').select('id').execute()
        throw new Error('roll back')
      })
      .catch(() => undefined)
    for await (const _row of kdb.selectFrom('person').select('id').stream(2)) void _row
  } finally {
    await kdb.destroy()
  }
}

describe('Kysely adapter transparency', () => {
  for (const [version, k] of VERSIONS) {
    test(`Kysely ${version}: every driver and connection method gets the same arguments bare and instrumented`, async () => {
      const detector = createDetector({ mode: 'silent' })
      const bare: string[] = []
      const undoBare = recordCalls(k, bare)
      try {
        await workload(k, new k.PostgresDialect({ pool: db.pool({ max: 2 }), cursor: Cursor }))
      } finally {
        undoBare()
      }
      const instrumented: string[] = []
      const undo = recordCalls(k, instrumented)
      try {
        await detector.run('transparency', () =>
          workload(k, instrumentDialect(new k.PostgresDialect({ pool: db.pool({ max: 2 }), cursor: Cursor }), detector)),
        )
      } finally {
        undo()
      }
      expect(bare.some((c) => c.startsWith('executeQuery('))).toBe(true)
      expect(bare.some((c) => c.startsWith('streamQuery('))).toBe(true)
      expect(bare.some((c) => c.startsWith('rollbackTransaction('))).toBe(true)
      expect(instrumented).toEqual(bare)
    })

    test(`Kysely ${version}: a stub on PostgresDriver.prototype.beginTransaction made after instrumenting is called`, async () => {
      const detector = createDetector({ mode: 'silent' })
      const kdb = new k.Kysely({ dialect: instrumentDialect(new k.PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
      const proto = k.PostgresDriver.prototype
      const original = proto.beginTransaction as Fn
      let calls = 0
      proto.beginTransaction = function (this: unknown, ...args: unknown[]) {
        calls++
        return original.apply(this, args)
      }
      try {
        const { queries } = await detector.capture(() =>
          kdb.transaction().execute((trx: any) => trx.selectFrom('person').select('id').execute()),
        )
        expect(calls).toBe(1)
        expect(queries.map((q) => q.kind)).toEqual(['transaction', 'select', 'transaction'])
      } finally {
        proto.beginTransaction = original
        await kdb.destroy()
      }
    })

    test(`Kysely ${version}: a connection whose executeQuery throws synchronously: the caller gets that very error, and the statement is recorded as failed`, async () => {
      // n1guard sends a statement before recording it; a send that throws is still recorded.
      const proto = k.PostgresDriver.prototype
      const acquire = proto.acquireConnection as Fn
      const release = proto.releaseConnection as Fn
      const boom = new Error('thrown by executeQuery itself')
      proto.acquireConnection = async () => ({
        executeQuery() {
          throw boom
        },
      })
      proto.releaseConnection = async () => undefined
      const detector = createDetector({ mode: 'silent' })
      const kdb = new k.Kysely({ dialect: instrumentDialect(new k.PostgresDialect({ pool: db.pool({ max: 1 }) }), detector) })
      try {
        const { queries } = await detector.capture(async () => {
          await expect(kdb.selectFrom('person').select('id').where('id', '=', 1).execute()).rejects.toBe(boom)
        })
        expect(queries).toHaveLength(1)
        expect(queries[0]!.sql).toBe('select "id" from "person" where "id" = ?')
        expect(queries[0]!.error?.name).toBe('Error')
      } finally {
        proto.acquireConnection = acquire
        proto.releaseConnection = release
        await kdb.destroy()
      }
    })

    test(`Kysely ${version}: the driver Kysely gets is a real PostgresDriver, patched in place`, async () => {
      const detector = createDetector({ mode: 'silent' })
      const dialect = instrumentDialect(new k.PostgresDialect({ pool: db.pool({ max: 1 }) }), detector)
      const driver = dialect.createDriver()
      expect(driver).toBeInstanceOf(k.PostgresDriver as unknown as Fn)
      expect(Object.getPrototypeOf(driver)).toBe(k.PostgresDriver.prototype)
      expect(Object.keys(driver)).toEqual([])
      await driver.destroy()
    })
  }
})

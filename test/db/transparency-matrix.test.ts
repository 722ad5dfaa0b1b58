// Transparency: n1guard must never change what the application sees. Every node-postgres call form
// on every kind of pg object, and every Kysely path, runs three times on its own fresh pool or
// client: bare, instrumented inside a scope, instrumented outside any scope. Results (rows, row
// order, field metadata) and errors (class, code, message, every property pg sets) must be
// identical, and the scoped run must really have been recorded.
import { Kysely, PostgresDialect, sql, type Kysely as KyselyType } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import QueryStream from 'pg-query-stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Detector } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { errorView, fieldView, resultView, settle, type Outcome } from '../support/outcome.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 6 })
})

afterAll(async () => {
  await db.drop()
})

const MODES = ['bare', 'in scope', 'outside any scope'] as const
type Mode = (typeof MODES)[number]

/** What every pg form needs of its target: `query` in all its overloads. */
interface Queryable {
  query: (...args: any[]) => any
}

type Target = 'Pool' | 'PoolClient' | 'Client'
const TARGETS: readonly Target[] = ['Pool', 'PoolClient', 'Client']
type Callback = (error: Error | undefined, result: unknown) => void

/**
 * Calls a callback-style form and settles when the callback fires. When the call returns a promise
 * instead (pool.query with a config object's own `callback`: pg-pool replaces it with its own), the
 * promise decides, and `callbackCalls` says whether the application's callback ran by then.
 */
async function viaCallback(call: (cb: Callback) => unknown): Promise<unknown> {
  let calls = 0
  let returned: unknown
  const fromCallback = new Promise<unknown>((resolve, reject) => {
    returned = call((error, result) => {
      calls++
      if (error) reject(error)
      else resolve(resultView(result))
    })
  })
  const isPromise = typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function'
  const value = isPromise ? resultView(await (returned as Promise<unknown>)) : await fromCallback
  if (isPromise) fromCallback.catch(() => undefined)
  return { value, returnedPromise: isPromise, callbackCalls: calls }
}

/** What a reader got before an error, and the error: both must be the same with n1guard. */
async function partial(got: unknown[], read: () => Promise<void>): Promise<unknown> {
  try {
    await read()
    return got
  } catch (error) {
    return { got, failed: errorView(error) }
  }
}

async function readCursor(q: Queryable, text: string, values: unknown[], chunk: number): Promise<unknown> {
  const cursor = q.query(new Cursor(text, values))
  const chunks: unknown[] = []
  let fields: unknown
  const read = async () => {
    for (;;) {
      const rows = await new Promise<unknown[]>((resolve, reject) =>
        cursor.read(chunk, (error: Error | undefined, r: unknown[], result: { fields: Parameters<typeof fieldView>[0][] }) => {
          if (error) return reject(error)
          fields ??= result.fields.map(fieldView)
          resolve(r)
        }),
      )
      if (rows.length === 0) break
      chunks.push(rows)
    }
  }
  try {
    return { chunks: await partial(chunks, read), fields }
  } finally {
    await cursor.close()
  }
}

async function readStream(q: Queryable, text: string, values: unknown[]): Promise<unknown> {
  const stream = q.query(new QueryStream(text, values, { batchSize: 2 }))
  const rows: unknown[] = []
  return partial(rows, async () => {
    for await (const row of stream) rows.push(row)
  })
}

const numericTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 1700 ? (v: string) => `numeric:${v}` : pg.types.getTypeParser(oid, format as 'text'),
}

// A division by zero on the third row: the first rows reach the application before the error.
const FAILS_ON_ROW_3 = 'select n, 1 / (n - 3) as x from generate_series(1, 5) n order by n'

interface PgForm {
  readonly name: string
  /** Statements n1guard must record for one run, inside a scope. */
  readonly records: number
  /** Submittables need a connection of their own: pool.query cannot run them. */
  readonly clientOnly?: boolean
  readonly run: (q: Queryable) => Promise<unknown>
}

const PG_FORMS: readonly PgForm[] = [
  { name: 'text', records: 1, run: async (q) => resultView(await q.query('select id, name, email from person order by id desc')) },
  {
    name: 'text + values',
    records: 1,
    run: async (q) => resultView(await q.query('select id, name from person where id <= $1 and name <> $2 order by id', [4, 'x'])),
  },
  {
    name: 'config object with name (prepared statement), run twice',
    records: 2,
    run: async (q) => {
      const text = 'select p.id, p.name, count(pet.id)::int as pets from person p left join pet on pet.owner_id = p.id where p.id >= $1 group by p.id order by p.id'
      const first = await q.query({ name: 'people-from', text, values: [2] })
      const second = await q.query({ name: 'people-from', text, values: [5] })
      return [resultView(first), resultView(second)]
    },
  },
  {
    name: "rowMode: 'array'",
    records: 1,
    run: async (q) => resultView(await q.query({ text: 'select id, name, null::int as nothing from person order by id', rowMode: 'array' })),
  },
  {
    name: 'custom types (getTypeParser)',
    records: 1,
    run: async (q) =>
      resultView(
        await q.query({
          text: "select id, (id * 1.5)::numeric as amount, '2024-02-29'::date as day from person order by id limit 3",
          types: numericTypes,
        }),
      ),
  },
  { name: 'multi-statement text', records: 1, run: async (q) => resultView(await q.query('select 1 as a; select 2 as b, 3 as c')) },
  { name: 'promise: config object with text and values', records: 1, run: async (q) => resultView(await q.query({ text: 'select $1::text as v', values: ['x'] })) },
  { name: 'callback: query(text, cb)', records: 1, run: (q) => viaCallback((cb) => q.query('select id from person order by id', cb)) },
  {
    name: 'callback: query(text, values, cb)',
    records: 1,
    run: (q) => viaCallback((cb) => q.query('select id, name from person where id = any($1) order by id', [[1, 3, 5]], cb)),
  },
  {
    name: 'callback: config object with callback',
    records: 1,
    run: (q) => viaCallback((cb) => q.query({ text: 'select id from person where id < $1 order by id', values: [3], callback: cb })),
  },
  { name: 'callback: error', records: 1, run: (q) => viaCallback((cb) => q.query('selec 1', cb)) },
  { name: 'callback: error with values', records: 1, run: (q) => viaCallback((cb) => q.query('select * from person where id = $1', ['abc'], cb)) },
  {
    name: 'pg-cursor: read in chunks, close',
    records: 1,
    clientOnly: true,
    run: (q) => readCursor(q, 'select id, name from person where id > $1 order by id', [1], 2),
  },
  { name: 'pg-cursor: error inside the cursor', records: 1, clientOnly: true, run: (q) => readCursor(q, FAILS_ON_ROW_3, [], 1) },
  {
    name: 'pg-query-stream: for await',
    records: 1,
    clientOnly: true,
    run: (q) => readStream(q, 'select id, owner_id, name from pet where owner_id <= $1 order by id', [3]),
  },
  { name: 'pg-query-stream: error mid-stream', records: 1, clientOnly: true, run: (q) => readStream(q, FAILS_ON_ROW_3, []) },
  { name: 'error: syntax', records: 1, run: (q) => q.query('selec * from person') },
  {
    name: 'error: unique violation',
    records: 1,
    run: (q) => q.query('insert into person (name, email) values ($1, $2)', ['dup', 'person1@example.test']),
  },
  { name: 'error: bad parameter type', records: 1, run: (q) => q.query('select * from person where id = $1', ['not a number']) },
  { name: 'error: missing relation', records: 1, run: (q) => q.query('select * from no_such_table') },
  {
    name: 'error: in a prepared statement',
    records: 1,
    run: (q) => q.query({ name: 'bad-div', text: 'select 1 / $1::int as x', values: [0] }),
  },
]

interface Rig {
  readonly q: Queryable
  /** Work done inside the run's scope before the form runs (checking a client out of the pool). */
  open?(): Promise<void>
  close(): Promise<void>
}

async function pgRig(target: Target, detector: Detector | undefined): Promise<Rig> {
  if (target === 'Client') {
    const client = db.client()
    if (detector !== undefined) instrumentClient(client, detector)
    await client.connect()
    return { q: client, close: () => client.end() }
  }
  const pool = db.pool({ max: 1 })
  if (detector !== undefined) instrumentPool(pool, detector)
  if (target === 'Pool') return { q: pool, close: () => pool.end() }
  let client: pg.PoolClient | undefined
  return {
    q: { query: (...args: any[]) => (client!.query as (...a: any[]) => any)(...args) },
    open: async () => {
      client = await pool.connect()
    },
    close: async () => {
      client?.release()
      await pool.end()
    },
  }
}

/** Runs `body` on a fresh rig in each mode; returns the outcomes and what the scoped run recorded. */
async function inEveryMode<R extends Omit<Rig, 'q'>>(
  makeRig: (detector: Detector | undefined) => Promise<R>,
  body: (rig: R) => Promise<unknown>,
): Promise<{ outcomes: Record<Mode, Outcome>; recorded: number; scopedKinds: string[] }> {
  const outcomes = {} as Record<Mode, Outcome>
  let recorded = -1
  let scopedKinds: string[] = []
  for (const mode of MODES) {
    const detector = mode === 'bare' ? undefined : createDetector({ mode: 'silent' })
    const rig = await makeRig(detector)
    const run = async () => {
      await rig.open?.()
      return body(rig)
    }
    try {
      if (mode === 'in scope') {
        const report = await detector!.capture(() => settle(run))
        outcomes[mode] = report.result
        recorded = report.queries.length
        scopedKinds = report.queries.map((r) => r.kind)
        expect(new Set(report.queries.map((r) => r.scopeId)).size).toBe(1)
      } else {
        outcomes[mode] = await settle(run)
      }
    } finally {
      await rig.close()
    }
  }
  return { outcomes, recorded, scopedKinds }
}

function expectIdentical(outcomes: Record<Mode, Outcome>): void {
  const bare = outcomes.bare
  if (!bare.ok) {
    // The view kept what matters: a pg error keeps its SQLSTATE and severity.
    expect(bare.error.message.length).toBeGreaterThan(0)
    if (bare.error.ctor === 'DatabaseError') {
      expect(bare.error.props.code).toMatch(/^[0-9A-Z]{5}$/)
      expect(bare.error.props.severity).toBe('ERROR')
      expect('detail' in bare.error.props).toBe(true)
    }
  }
  expect(outcomes['in scope']).toStrictEqual(bare)
  expect(outcomes['outside any scope']).toStrictEqual(bare)
}

describe.each(TARGETS)('pg %s', (target) => {
  const forms = PG_FORMS.filter((f) => !(f.clientOnly === true && target === 'Pool'))
  test.each(forms)('$name', async (form) => {
    const { outcomes, recorded } = await inEveryMode((d) => pgRig(target, d), (rig) => form.run(rig.q))
    expectIdentical(outcomes)
    expect(recorded).toBe(form.records)
  })
})

type DB = KyselyType<PetShopDB>
interface KyselyRig {
  readonly k: DB
  close(): Promise<void>
}

async function kyselyRig(detector: Detector | undefined): Promise<KyselyRig> {
  const dialect = new PostgresDialect({ pool: db.pool({ max: 2 }), cursor: Cursor })
  const k = new Kysely<PetShopDB>({ dialect: detector === undefined ? dialect : instrumentDialect(dialect, detector) })
  return { k, close: () => k.destroy() }
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rolled back on purpose')
  }
}

function collect<T>(rows: AsyncIterable<T>, stopAfter = Infinity): Promise<unknown> {
  const out: T[] = []
  return partial(out, async () => {
    for await (const row of rows) {
      out.push(row)
      if (out.length >= stopAfter) break
    }
  })
}

interface KyselyPath {
  readonly name: string
  /** Statement kinds n1guard must record, in order, for one run inside a scope. */
  readonly kinds: readonly string[]
  readonly run: (k: DB) => Promise<unknown>
}

const T = 'transaction'
const hasStartTransaction = typeof (Kysely.prototype as { startTransaction?: unknown }).startTransaction === 'function'

const KYSELY_PATHS: readonly KyselyPath[] = [
  { name: 'execute', kinds: ['select'], run: (k) => k.selectFrom('person').selectAll().orderBy('id', 'desc').execute() },
  {
    name: 'executeTakeFirstOrThrow (found)',
    kinds: ['select'],
    run: (k) => k.selectFrom('person').select(['id', 'name']).where('id', '=', 2).executeTakeFirstOrThrow(),
  },
  {
    name: 'executeTakeFirstOrThrow (NoResultError)',
    kinds: ['select'],
    run: (k) => k.selectFrom('person').selectAll().where('id', '=', 999).executeTakeFirstOrThrow(),
  },
  {
    name: 'executeTakeFirst of an update (numUpdatedRows)',
    kinds: ['update'],
    run: (k) => k.updateTable('person').set({ name: 'same' }).where('id', '<', 0).executeTakeFirst(),
  },
  { name: 'stream (pg-cursor)', kinds: ['select'], run: (k) => collect(k.selectFrom('pet').selectAll().orderBy('id').stream(3)) },
  {
    name: 'stream stopped early, then the connection is used again',
    kinds: ['select', 'select'],
    run: async (k) => [
      await collect(k.selectFrom('pet').select(['id', 'name']).orderBy('id').stream(2), 3),
      await k.selectFrom('person').select('id').orderBy('id').execute(),
    ],
  },
  {
    name: 'stream: error inside the cursor',
    kinds: ['select'],
    run: (k) => collect(k.selectFrom('pet').select(['id', sql<number>`1 / (id - 3)`.as('x')]).orderBy('id').stream(1)),
  },
  {
    name: 'transaction().execute',
    kinds: [T, 'select', 'select', T],
    run: (k) =>
      k.transaction().execute(async (t) => [
        await t.selectFrom('pet').select(['id', 'owner_id']).orderBy('id').limit(3).execute(),
        await t.selectFrom('person').select('name').where('id', '=', 1).executeTakeFirst(),
      ]),
  },
  {
    name: 'transaction().execute rolled back by a thrown error',
    kinds: [T, 'insert', T],
    run: (k) =>
      k.transaction().execute(async (t) => {
        const row = await t.insertInto('person').values({ name: 'temp', email: 'temp@example.test' }).returning(['name', 'email']).executeTakeFirstOrThrow()
        throw new Rollback(row)
      }),
  },
  {
    name: 'transaction().execute with a unique violation inside',
    kinds: [T, 'insert', T],
    run: (k) => k.transaction().execute((t) => t.insertInto('person').values({ name: 'dup', email: 'person2@example.test' }).execute()),
  },
  {
    name: 'connection().execute',
    kinds: ['select', 'select'],
    run: (k) =>
      k.connection().execute(async (c) => [
        await sql<{ sp: string }>`select current_setting('search_path') as sp`.execute(c),
        await c.selectFrom('toy').select(['id', 'pet_id']).where('pet_id', '<=', 2).orderBy('id').execute(),
      ]),
  },
  { name: 'error: syntax (sql template)', kinds: ['utility'], run: (k) => sql`selec 1`.execute(k) },
  {
    name: 'error: unique violation',
    kinds: ['insert'],
    run: (k) => k.insertInto('person').values({ name: 'x', email: 'person3@example.test' }).execute(),
  },
  {
    name: 'error: bad parameter type',
    kinds: ['select'],
    run: (k) => k.selectFrom('person').selectAll().where('id', '=', 'abc' as unknown as number).execute(),
  },
]

// Kysely >= 0.28: controlled transactions and savepoints.
const CONTROLLED_PATHS: readonly KyselyPath[] = [
  {
    name: 'startTransaction, commit',
    kinds: [T, 'select', T],
    run: async (k) => {
      const trx = await k.startTransaction().execute()
      const rows = await trx.selectFrom('person').select(['id', 'email']).orderBy('id').execute()
      await trx.commit().execute()
      return [rows, trx.isCommitted, trx.isRolledBack]
    },
  },
  {
    name: 'savepoints on a controlled transaction',
    kinds: [T, 'insert', T, 'insert', T, T, 'select', T],
    run: async (k) => {
      const trx = await k.startTransaction().execute()
      try {
        await trx.insertInto('person').values({ name: 'kept', email: 'kept@example.test' }).execute()
        const sp = await trx.savepoint('sp1').execute()
        await sp.insertInto('person').values({ name: 'undone', email: 'undone@example.test' }).execute()
        await sp.rollbackToSavepoint('sp1').execute()
        await sp.releaseSavepoint('sp1').execute()
        return await trx.selectFrom('person').select('name').where('id', '>', 6).orderBy('id').execute()
      } finally {
        // Leaves the table as it was for the next mode.
        await trx.rollback().execute()
      }
    },
  },
  {
    name: 'savepoint: error, rollback to savepoint, go on',
    kinds: [T, T, 'insert', T, 'select', T],
    run: async (k) => {
      const trx = await k.startTransaction().execute()
      const sp = await trx.savepoint('before_dup').execute()
      const failed = await settle(() => sp.insertInto('person').values({ name: 'dup', email: 'person4@example.test' }).execute())
      await sp.rollbackToSavepoint('before_dup').execute()
      const rows = await trx.selectFrom('person').select('id').where('id', '<=', 2).orderBy('id').execute()
      await trx.rollback().execute()
      return [failed, rows]
    },
  },
]

const paths = hasStartTransaction ? [...KYSELY_PATHS, ...CONTROLLED_PATHS] : KYSELY_PATHS

describe('Kysely', () => {
  test.each(paths)('$name', async (path) => {
    const { outcomes, scopedKinds } = await inEveryMode(kyselyRig, (rig) => path.run(rig.k))
    expectIdentical(outcomes)
    expect(scopedKinds).toEqual(path.kinds)
  })
})

// Runs work inside a transaction that is always rolled back, on a Kysely instance, a pg Pool or a
// connected pg Client, without importing either library.
import { describeValue } from '../core/options.js'

/** A Kysely instance, as far as `assertConstantQueries` needs one. */
export interface KyselyLike {
  transaction(): { execute(callback: (trx: any) => Promise<unknown>): Promise<unknown> }
  selectFrom: (...args: any[]) => unknown
}

/** A node-postgres Pool, as far as `assertConstantQueries` needs one. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike & { release(error?: Error | boolean): void }>
  readonly totalCount: number
}

/** A connected node-postgres Client (or PoolClient). */
export interface PgClientLike {
  query(text: string): Promise<unknown>
}

/** What `assertConstantQueries` can open a transaction on. */
export type TransactionalDatabase = KyselyLike | PgPoolLike | PgClientLike

/**
 * What `fn` receives to query inside the transaction: a Kysely `Transaction` for a Kysely
 * instance, a `PoolClient` for a pg Pool, the client itself for a pg Client.
 *
 * @example
 * type T = TransactionOf<Kysely<DB>> // Transaction<DB>
 */
export type TransactionOf<D> = D extends { transaction(): { execute(callback: (trx: infer T) => Promise<any>): any } }
  ? T
  : // pg's Pool overloads connect() with a callback form; the pattern names both to reach the promise one.
    D extends { readonly totalCount: number; connect(): Promise<infer C>; connect(callback: any): void }
    ? C
    : D extends { readonly totalCount: number; connect(): Promise<infer C> }
      ? C
      : D

const ROLLBACK = Symbol('n1guard.rollback')

function isKysely(db: object): db is KyselyLike {
  return typeof (db as KyselyLike).transaction === 'function' && typeof (db as KyselyLike).selectFrom === 'function'
}

function isPool(db: object): db is PgPoolLike {
  return typeof (db as PgPoolLike).connect === 'function' && typeof (db as PgPoolLike).totalCount === 'number'
}

/** Checks a `db` option; throws a TypeError naming the value when it is none of the three. */
export function checkDatabase(db: unknown, what: string): TransactionalDatabase {
  if (db !== null && typeof db === 'object' && (isKysely(db) || isPool(db) || typeof (db as PgClientLike).query === 'function')) {
    return db as TransactionalDatabase
  }
  throw new TypeError(`n1guard: ${what}: option \`db\` must be a Kysely instance, a pg Pool or a connected pg Client, got ${describeValue(db)}`)
}

/** Runs `work` in a transaction on `db` and rolls it back, whatever `work` did; resolves to its result. */
export async function inRolledBackTransaction<T>(db: TransactionalDatabase, work: (trx: unknown) => Promise<T>): Promise<T> {
  if (isKysely(db)) {
    let out: { value: T } | undefined
    try {
      await db.transaction().execute(async (trx) => {
        out = { value: await work(trx) }
        throw ROLLBACK
      })
    } catch (error) {
      if (error !== ROLLBACK) throw error
    }
    return out!.value
  }
  if (isPool(db)) {
    const client = await db.connect()
    const outcome = await rolledBack(client, work)
    // A client whose ROLLBACK failed is in an unknown state: the pool destroys it instead of reusing it.
    client.release(outcome.rollbackError)
    return unwrap(outcome)
  }
  return unwrap(await rolledBack(db, work))
}

type Outcome<T> = ({ ok: true; value: T } | { ok: false; error: unknown }) & { rollbackError?: Error }

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

async function rolledBack<T>(client: PgClientLike, work: (trx: unknown) => Promise<T>): Promise<Outcome<T>> {
  let outcome: Outcome<T>
  try {
    await client.query('BEGIN')
    outcome = { ok: true, value: await work(client) }
  } catch (error) {
    outcome = { ok: false, error }
  }
  try {
    await client.query('ROLLBACK')
  } catch (error) {
    const rollbackError = error instanceof Error ? error : new Error(String(error))
    outcome = outcome.ok ? { ok: false, error, rollbackError } : { ...outcome, rollbackError }
  }
  return outcome
}

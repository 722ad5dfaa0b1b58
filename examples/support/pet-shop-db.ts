// A pet-shop database of its own for one run: a fresh schema on the server, seeded, and dropped
// again at the end. Examples and test files may therefore run side by side on one server.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { startPostgres } from './postgres.js'
import { seedPetShop, type PetShopSize } from './seed.js'

/** Creates a schema named `<prefix>_<random>` holding the seeded pet shop; returns its name. */
export async function createPetShopSchema(url: string, size: PetShopSize, prefix: string): Promise<string> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`create schema ${schema}`)
    await admin.query(`set search_path to ${schema}`)
    await seedPetShop(admin, size)
  } finally {
    await admin.end()
  }
  return schema
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await admin.end()
  }
}

/** The pg `options` that make a connection use `schema`. */
export function searchPath(schema: string): string {
  return `-c search_path=${schema}`
}

/**
 * Runs an example: PostgreSQL up (DATABASE_URL, or an embedded server), a seeded pet shop in a
 * schema of its own, then `body` with a pool on it; everything is taken down afterwards, and a
 * failure prints the error and exits 1.
 */
export function runExample(size: PetShopSize, body: (pool: pg.Pool) => Promise<void>): void {
  const main = async (): Promise<void> => {
    const server = await startPostgres()
    try {
      const schema = await createPetShopSchema(server.url, size, 'example')
      const pool = new pg.Pool({ connectionString: server.url, options: searchPath(schema), max: 4 })
      try {
        await body(pool)
      } finally {
        await pool.end().catch(() => undefined)
        await dropSchema(server.url, schema)
      }
    } finally {
      await server.stop()
    }
  }
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}

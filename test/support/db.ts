// Per-file database fixture: a fresh schema on the shared test server, seeded with the people /
// pet / toy schema, dropped when the file ends. Files therefore run in parallel without sharing rows.
import pg from 'pg'
import { inject } from 'vitest'
import { createPetShopSchema, dropSchema, searchPath } from '../../examples/support/pet-shop-db.js'
import type { PetShopSize } from '../../examples/support/seed.js'

export interface TestDatabase {
  readonly url: string
  readonly schema: string
  /** A new pg Pool whose connections use this file's schema. */
  pool(config?: pg.PoolConfig): pg.Pool
  /** A new, not yet connected pg Client that uses this file's schema. */
  client(config?: pg.ClientConfig): pg.Client
  /** Drops the schema and ends every pool or client made here. */
  drop(): Promise<void>
}

export async function createTestDatabase(size: PetShopSize = {}): Promise<TestDatabase> {
  const url = inject('databaseUrl')
  const schema = await createPetShopSchema(url, size, 't')
  const owned: Array<pg.Pool | pg.Client> = []
  const options = searchPath(schema)
  return {
    url,
    schema,
    pool(config = {}) {
      const p = new pg.Pool({ connectionString: url, options, max: 4, ...config })
      owned.push(p)
      return p
    },
    client(config = {}) {
      const c = new pg.Client({ connectionString: url, options, ...config })
      owned.push(c)
      return c
    },
    async drop() {
      await Promise.allSettled(owned.map((o) => o.end()))
      await dropSchema(url, schema)
    },
  }
}

// Per-file database fixture: a fresh schema on the shared test server, seeded with the people /
// pet / toy schema, dropped when the file ends. Files therefore run in parallel without sharing rows.
import pg from 'pg'
import { inject } from 'vitest'
import { createPetShopSchema, dropSchema, searchPath } from '../../examples/support/pet-shop-db.js'
import type { PetShopSize } from '../../examples/support/seed.js'
import { honoursOptions, onSchema, setPath } from './schema-path.js'

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
      const p = onSchema(new pg.Pool({ connectionString: url, options, max: 4, ...config }), schema)
      owned.push(p)
      return p
    },
    client(config = {}) {
      const c = new pg.Client({ connectionString: url, options, ...config })
      // pg < 8.3 ignores `options` (see schema-path.ts).
      if (!honoursOptions) c.on('connect', () => setPath(c, schema))
      owned.push(c)
      return c
    },
    async drop() {
      // Only what the test left open: pg < 8.3 never settles end() on a client already ended.
      const open = owned.filter((o) => !(o as { ending?: boolean }).ending && !(o as { _ending?: boolean })._ending)
      await Promise.allSettled(open.map((o) => o.end()))
      await dropSchema(url, schema)
    },
  }
}

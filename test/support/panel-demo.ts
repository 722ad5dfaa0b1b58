// The demo app (examples/demo) with the query panel, for the browser tests and the screenshot
// (npm run screenshot:panel). Imports n1guard by name, so dist/ must be built.
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { createApp } from '../../examples/demo/app.js'
import { createPetShopSchema, dropSchema, searchPath } from '../../examples/support/pet-shop-db.js'
import { onSchema } from './schema-path.js'

export interface PanelDemo {
  /** The demo app, `http://127.0.0.1:<port>`. */
  readonly base: string
  readonly panelUrl: string
  readonly detector: import('n1guard').Detector
  readonly pool: pg.Pool
  /** The schema the demo's pet shop lives in. */
  readonly schema: string
  /** Runs a job scope (no HTTP) that loads each person's pets with Promise.all: a parallel N+1. */
  parallelJob(name?: string): Promise<void>
  close(): Promise<void>
}

/** `advisor`: the query advisor on, as in `npm run demo` (its catalog lookups finish after the first request). */
export async function startPanelDemo(databaseUrl: string, options: { people?: number; advisor?: boolean } = {}): Promise<PanelDemo> {
  const people = options.people ?? 20
  const { createDetector } = await import('n1guard')
  const { startPanel } = await import('n1guard/panel')
  const schema = await createPetShopSchema(databaseUrl, { people, petsPerPerson: 2, toysPerPet: 1 }, 'panel')
  const pool = onSchema(new pg.Pool({ connectionString: databaseUrl, options: searchPath(schema), max: 4 }), schema)
  // As in the demo: pet.owner_id loses its index, so the advisor has something to say.
  if (options.advisor === true) await pool.query('drop index pet_owner_id')
  const detector = createDetector({
    captureParams: true,
    mode: 'silent',
    ...(options.advisor === true ? { advisor: { database: pool, catalog: true, explain: true } } : {}),
  })
  const { app, db } = createApp(pool, detector)
  const http = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => http.once('listening', resolve))
  const panel = await startPanel(detector, { pool, port: 0, log: false })
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    panelUrl: panel.url,
    detector,
    pool,
    schema,
    async parallelJob(name = 'job refresh-pet-cards') {
      // Four open connections first, so the loop's queries overlap instead of waiting for connects.
      const held = await Promise.all([1, 2, 3, 4].map(() => pool.connect()))
      for (const c of held) c.release()
      await detector.run(name, async () => {
        const people = await db.selectFrom('person').select(['id']).orderBy('id').limit(8).execute()
        await Promise.all(people.map((p) => db.selectFrom('pet').select(['name']).where('owner_id', '=', p.id).execute()))
      })
    },
    async close() {
      await panel.close()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await db.destroy().catch(() => undefined)
      await dropSchema(databaseUrl, schema)
    },
  }
}

// Starts PostgreSQL for the suite (DATABASE_URL when set, otherwise an embedded server), seeds
// five people with two pets each, and hands the URL to the tests through inject('databaseUrl').
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startPostgres } from '../support/postgres.js'
import { seedPetShop } from '../support/seed.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres()
  const client = new pg.Client({ connectionString: server.url })
  await client.connect()
  try {
    await client.query('drop table if exists toy, pet, person cascade')
    await seedPetShop(client, { people: 5, petsPerPerson: 2, toysPerPet: 0 })
  } finally {
    await client.end()
  }
  project.provide('databaseUrl', server.url)
  return () => server.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

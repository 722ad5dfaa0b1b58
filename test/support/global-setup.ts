// Starts one PostgreSQL for the whole test run: DATABASE_URL when set, otherwise an embedded
// server on a free port in a temporary directory. Test files reach it through inject('databaseUrl').
import type { TestProject } from 'vitest/node'
import { startPostgres, type RunningPostgres } from '../../examples/support/postgres.js'

let server: RunningPostgres | undefined

export async function setup(project: TestProject): Promise<void> {
  server = await startPostgres()
  project.provide('databaseUrl', server.url)
}

export async function teardown(): Promise<void> {
  await server?.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

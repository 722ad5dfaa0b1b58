// Version matrix only (vitest.config.ts loads this when N1GUARD_PG names an aliased pg): packages
// that `require('pg/...')` themselves, as pg-cursor and pg-query-stream do, must get the aliased pg
// too, as they would in an application that installed that pg. Vite's alias covers imports only.
import { createRequire } from 'node:module'

const pg = process.env.N1GUARD_PG
type Resolve = (request: string, ...rest: unknown[]) => string
// The CommonJS loader itself, whose resolver every require() goes through.
const internals = createRequire(import.meta.url)('node:module') as { _resolveFilename: Resolve }

if (pg !== undefined && pg !== '') {
  const resolve = internals._resolveFilename
  internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    const aliased = request === 'pg' || request.startsWith('pg/') ? `${pg}${request.slice(2)}` : request
    return resolve.call(this, aliased, ...rest)
  }
}

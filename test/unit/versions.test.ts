// The suite runs against the Kysely and pg this process resolves: the installed devDependencies, or
// the aliases the version matrix names (N1GUARD_KYSELY, N1GUARD_PG; see scripts/test-matrix.mjs).
// This proves the alias took effect, so a matrix row never passes on the default versions by mistake.
import { readFileSync } from 'node:fs'
import { Kysely } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import { expect, test } from 'vitest'

function installed(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url)
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
}

test.each([
  ['kysely', process.env.N1GUARD_KYSELY ?? 'kysely', async (name: string) => (await import(/* @vite-ignore */ name)).Kysely, Kysely],
  ['pg', process.env.N1GUARD_PG ?? 'pg', async (name: string) => (await import(/* @vite-ignore */ name)).default.Pool, pg.Pool],
] as const)('%s resolves to the package the matrix asked for', async (lib, name, load, imported) => {
  expect(await load(name)).toBe(imported)
  // The matrix also says which version it expects of that package.
  const expected = process.env[`N1GUARD_EXPECT_${lib.toUpperCase()}`]
  if (expected !== undefined) expect(installed(name)).toBe(expected)
})

test("pg-cursor builds its results with that pg's Result class", async () => {
  const name = process.env.N1GUARD_PG ?? 'pg'
  const { default: Result } = (await import(/* @vite-ignore */ `${name}/lib/result.js`)) as { default: new () => unknown }
  expect((new Cursor('select 1') as unknown as { _result: unknown })._result).toBeInstanceOf(Result)
})

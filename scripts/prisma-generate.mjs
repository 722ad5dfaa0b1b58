#!/usr/bin/env node
// Writes the Prisma client of the ORM test matrix (test/support/prisma/schema.prisma) into
// .generated/prisma, offline: the tables are made with plain SQL, so no schema engine is needed and
// PRISMA_SCHEMA_ENGINE_BINARY points at a placeholder instead of a download. Skipped when the
// client is up to date (same schema, same Prisma). Run by `npm test`, `npm run typecheck` and the
// Vitest global setup, so a fresh clone needs nothing more than `npm install`.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schema = join(root, 'test/support/prisma/schema.prisma')
const out = join(root, '.generated/prisma')
const stampFile = join(root, '.generated/prisma.stamp')
const require = createRequire(import.meta.url)
const version = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version
const stamp = `${version}\n${createHash('sha256').update(readFileSync(schema)).digest('hex')}\n`

if (existsSync(join(out, 'client.ts')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) process.exit(0)

mkdirSync(join(root, '.generated'), { recursive: true })
const placeholder = join(root, '.generated/no-schema-engine')
writeFileSync(placeholder, '')
execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: placeholder, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
})
writeFileSync(stampFile, stamp)

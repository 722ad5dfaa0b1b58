// `npm install` on the oldest supported Node (package.json engines, 20.19) prints no EBADENGINE
// warning from our own dependency tree, except the ones no version choice avoids (listed below
// with the reason; docs/contributing.md says the same).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'

// semver is in the tree already (npm's lockfile pins it); read structurally to stay typed.
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean; minVersion(range: string): { version: string } | null }
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}

// Kysely 0.29 (the newest row of the version matrix) requires Node 22 in every 0.29 release. The
// Prisma 7 CLI (dev only, for `prisma generate`, which runs on Node 20) depends on @prisma/dev, whose
// @prisma/streams-local requires Node 22 in every Prisma 7 release. @sparticuz/chromium (the browser
// of the panel's browser tests) declares Node 22 from 153 on; 153 runs on Node 20 here, while 143
// (the last to declare Node 20) crashes at launch.
const UNAVOIDABLE = new Set(['node_modules/kysely-0-29', 'node_modules/@prisma/streams-local', 'node_modules/@sparticuz/chromium'])

test('no package of the lockfile refuses the oldest supported Node', () => {
  const oldest = semver.minVersion(pkg.engines.node)!.version
  expect(oldest).toBe('20.19.0')
  const refusing = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && typeof p.engines?.node === 'string')
    .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node))
    .map(([path, p]) => `${path}@${p.version} (node ${(p.engines as { node: string }).node})`)
// Kysely 0.29 (the newest row of the version matrix) requires Node 22 in every 0.29 release. The
// Prisma 7 CLI (dev only, for `prisma generate`, which runs on Node 20) depends on @prisma/dev, whose
// @prisma/streams-local requires Node 22 in every Prisma 7 release. @sparticuz/chromium (the browser
// of the panel's browser tests) declares Node 22 from 153 on; 153 runs on Node 20 here, while 143
// (the last to declare Node 20) crashes at launch.
const UNAVOIDABLE = new Set(['node_modules/kysely-0-29', 'node_modules/@prisma/streams-local', 'node_modules/@sparticuz/chromium'])
})

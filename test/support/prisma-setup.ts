// Vitest global setup: the Prisma client of the ORM matrix exists before any test file imports it
// (`npx vitest run` skips npm's pretest script). A no-op when it is up to date.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/prisma-generate.mjs', import.meta.url))], { stdio: 'inherit' })
}

// Runs Vitest on a fixture or example project with `n1guard` and its subpaths resolved to this
// checkout's src/ (no build needed; the code under test is the code in the tree). Projects that
// declare `test.projects` set the same aliases in their own config (overrides do not reach them).
// Usage: node test/support/vitest-from-source.mjs <config> [filters...]
import { resolve } from 'node:path'
import { startVitest } from 'vitest/node'
import { sourceAliases } from './source-aliases.mjs'

const [config, ...filters] = process.argv.slice(2)
const vitest = await startVitest('test', filters, { config: resolve(config), run: true, watch: false }, { resolve: { alias: sourceAliases() } })
await vitest?.close()

// Runs Vitest on a fixture or example project with `n1guard` and its subpaths resolved to this
// checkout's src/ (no build needed; the code under test is the code in the tree). Projects that
// declare `test.projects` set the same aliases in their own config (overrides do not reach them).
// With RESULTS_FILE set, writes every test's full name, state and error messages there as JSON.
// Usage: node test/support/vitest-from-source.mjs <config> [filters...]
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { startVitest } from 'vitest/node'
import { sourceAliases } from './source-aliases.mjs'

const [config, ...filters] = process.argv.slice(2)
const vitest = await startVitest('test', filters, { config: resolve(config), run: true, watch: false }, { resolve: { alias: sourceAliases() } })
if (vitest !== undefined && process.env.RESULTS_FILE) {
  const tests = vitest.state.getTestModules().flatMap((module) =>
    [...module.children.allTests()].map((t) => ({
      module: module.relativeModuleId,
      fullName: t.fullName,
      state: t.result().state,
      errors: (t.result().errors ?? []).map((e) => `${e.name}: ${e.message}`),
    })),
  )
  writeFileSync(process.env.RESULTS_FILE, JSON.stringify({ tests }, null, 2))
}
await vitest?.close()

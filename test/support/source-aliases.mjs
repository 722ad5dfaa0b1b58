// `n1guard` and each of its subpath exports resolved to this checkout's src/, for Vitest / Vite
// `resolve.alias`: fixture and example projects import the package by name and test the tree.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** @returns {Array<{ find: RegExp, replacement: string }>} */
export function sourceAliases() {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object')
    .map(([subpath, target]) => ({
      find: new RegExp(`^${escape(`n1guard${subpath.slice(1)}`)}$`),
      replacement: resolve(root, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
    }))
}

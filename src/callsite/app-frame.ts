import { fileURLToPath } from 'node:url'

// n1guard's own files: this module lives in <root>/src/callsite/ or <root>/dist/callsite/. Vitest
// maps dist frames back to src, so both folders are ours wherever the package is installed.
const here = fileURLToPath(new URL('.', import.meta.url))
const root = here.replace(/[\\/](?:src|dist)[\\/]callsite[\\/]?$/, '')
const OWN_PREFIXES: readonly string[] = [
  `${root}/src/`,
  `${root}/dist/`,
  `${root}\\src\\`,
  `${root}\\dist\\`,
  `file://${root}/src/`,
  `file://${root}/dist/`,
]

/**
 * True when a stack frame's file belongs to the application: not `node:` internals, not a
 * package under `node_modules`, not n1guard itself, and a real file (not `<anonymous>`).
 */
export function isAppFrame(file: string | null | undefined): file is string {
  if (file === null || file === undefined || file.length === 0) return false
  const c = file.charCodeAt(0)
  // absolute POSIX path, file: URL, or a Windows drive path
  if (c !== 47 /* / */ && !file.startsWith('file:') && !(file.length > 2 && file.charCodeAt(1) === 58 /* : */)) return false
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return false
  for (const prefix of OWN_PREFIXES) if (file.startsWith(prefix)) return false
  return true
}

import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Finds the line of a `// @site:<name>` marker in a test file, so assertions on call sites do not
 * hard-code line numbers that move when the file is edited.
 */
export function siteOf(fileUrl: string, name: string): { file: string; line: number } {
  const path = fileURLToPath(fileUrl)
  const lines = readFileSync(path, 'utf8').split('\n')
  const marker = `// @site:${name}`
  const index = lines.findIndex((l) => l.includes(marker) && !l.includes(`'${marker}'`))
  if (index < 0) throw new Error(`marker ${marker} not found in ${path}`)
  return { file: relative(process.cwd(), path), line: index + 1 }
}

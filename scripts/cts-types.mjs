// After `tsc -p tsconfig.build.json`: a CommonJS twin (`.d.cts`) of every declaration file, so a
// TypeScript project that compiles to CommonJS under `moduleResolution: node16`/`nodenext` gets
// types through the `require` condition of `exports` instead of TS1479 (the JavaScript stays ESM:
// Node >= 20.19 loads it with require(esm)). Relative specifiers point at the twins (`./x.cjs`
// resolves to `./x.d.cts`), so the CommonJS view is whole.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist', import.meta.url))
const RELATIVE = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.js(['"])/g

function walk(dir) {
  let count = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) count += walk(path)
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(RELATIVE, '$1$2.cjs$3').replace(/^\/\/# sourceMappingURL=.*$/m, '')
      writeFileSync(path.slice(0, -'.d.ts'.length) + '.d.cts', text)
      count++
    }
  }
  return count
}

const count = walk(dist)
if (count === 0) throw new Error(`no declaration files under ${dist}: run tsc -p tsconfig.build.json first`)

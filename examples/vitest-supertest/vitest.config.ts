// Run with: npm run example:vitest (builds n1guard, then `vitest run --config` this file).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    setupFiles: ['./vitest.setup.ts'], // n1guard: fail tests that run an N+1
    reporters: ['default', 'n1guard/vitest/reporter'], // n1guard: one summary at the end
    hookTimeout: 60_000,
  },
})

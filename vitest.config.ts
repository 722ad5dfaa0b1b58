import { defineConfig } from 'vitest/config'

// The version matrix (npm run test:matrix) runs the suite against other Kysely and pg releases,
// installed side by side as npm aliases (devDependencies `kysely-0-27`, `pg-8-0`, ...), by naming
// them here: N1GUARD_KYSELY=kysely-0-27 N1GUARD_PG=pg-8-0 npx vitest run.
const kysely = process.env.N1GUARD_KYSELY
const pg = process.env.N1GUARD_PG

export default defineConfig({
  resolve: {
    alias: [
      ...(kysely ? [{ find: /^kysely(\/.*)?$/, replacement: `${kysely}$1` }] : []),
      ...(pg ? [{ find: /^pg(\/.*)?$/, replacement: `${pg}$1` }] : []),
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/prisma-setup.ts', 'test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own schema on the shared server, so files may run in parallel.
    fileParallelism: true,
    // pg-cursor and pg-query-stream require pg's internals (`pg/lib/result.js`) themselves.
    ...(pg ? { setupFiles: ['test/support/matrix-alias.ts'] } : {}),
  },
})

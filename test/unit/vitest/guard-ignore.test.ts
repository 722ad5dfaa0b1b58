// The Vitest guard waits, after each test, for the scopes the test opened. detector.ignore() opens
// a paused scope: the guard must not wait `scopeTimeoutMs` for it (it once did, for every test).
import { performance } from 'node:perf_hooks'
import { expect, test } from 'vitest'
import pg from 'pg'
import { createDetector } from '../../../src/index.js'
import { instrumentPool } from '../../../src/pg/index.js'
import { guardTests } from '../../../src/vitest/guard.js'

const TIMEOUT_MS = 5000
guardTests({ scopeTimeoutMs: TIMEOUT_MS })
const detector = createDetector({ mode: 'silent' })
// The guard fails a file whose detectors watch nothing; this pool never connects.
instrumentPool(new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/unused' }), detector)
let finishedAt = 0

test('a test that calls detector.ignore()', async () => {
  expect(detector.ignore(() => 'sync')).toBe('sync')
  await expect(detector.ignore(async () => 'async')).resolves.toBe('async')
  finishedAt = performance.now()
})

test('is not held by the guard until scopeTimeoutMs runs out', () => {
  expect(finishedAt).toBeGreaterThan(0)
  expect(performance.now() - finishedAt).toBeLessThan(TIMEOUT_MS / 2)
})

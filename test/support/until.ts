import { expect } from 'vitest'

/**
 * Waits, one event-loop turn at a time (at most `turns`), until `check` holds, then asserts it.
 * For events that fire just after the client has its answer: a response's 'finish' or 'close'.
 */
export async function until(check: () => boolean, turns = 500): Promise<void> {
  for (let i = 0; i < turns && !check(); i++) await new Promise((resolve) => setImmediate(resolve))
  expect(check()).toBe(true)
}

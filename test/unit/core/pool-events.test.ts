// n1guard's own clients (the advisor's, the panel's EXPLAIN) are handed to the application pool's
// `connect` / `remove` listeners; the application's listeners can never break n1guard with it.
import { EventEmitter } from 'node:events'
import { setImmediate as turn } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { emitPoolEvent } from '../../../src/core/pool-events.js'

describe('emitPoolEvent', () => {
  test('calls every listener of the event with the client, the pool as `this`', () => {
    const pool = new EventEmitter()
    const client = { name: 'own' }
    const seen: unknown[] = []
    pool.on('connect', function (this: unknown, c: unknown) {
      seen.push([this, c])
    })
    pool.on('remove', (c: unknown) => seen.push(['remove', c]))
    emitPoolEvent(pool, 'connect', client)
    expect(seen).toEqual([[pool, client]])
    emitPoolEvent(pool, 'remove', client)
    expect(seen).toEqual([[pool, client], ['remove', client]])
  })

  test('a listener that throws or rejects stops nothing and leaves no unhandled rejection', async () => {
    const pool = new EventEmitter()
    const after: unknown[] = []
    pool.on('connect', () => {
      throw new Error('listener bug')
    })
    pool.on('connect', async () => {
      throw new Error('async listener bug')
    })
    pool.on('connect', (c: unknown) => after.push(c))
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      expect(() => emitPoolEvent(pool, 'connect', 'client')).not.toThrow()
      // Node reports an unhandled rejection after the microtask queue drains: one macrotask later.
      await turn()
      await turn()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(after).toEqual(['client'])
    expect(unhandled).toEqual([])
  })

  test('anything that is not an emitter, or whose listeners cannot be read, is left alone', () => {
    for (const pool of [undefined, null, 42, {}, { listeners: 'no' }, { listeners: () => 'not a list' }]) {
      expect(() => emitPoolEvent(pool, 'connect', {})).not.toThrow()
    }
    const hostile = {
      listeners() {
        throw new Error('getter bug')
      },
    }
    expect(() => emitPoolEvent(hostile, 'connect', {})).not.toThrow()
  })
})

// The `baseline` option pointing at something that is not a readable regular file: a TypeError
// naming the option and the path, at once. A FIFO must never block createDetector (reading one
// waits for a writer forever), so that case runs in a child process with a time limit: on a
// blocked event loop no test timeout could fire.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'n1guard-baseline-option-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function typeErrorOf(fn: () => unknown): TypeError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return error as TypeError
  }
  throw new Error('expected a TypeError, nothing was thrown')
}

describe('baseline option', () => {
  test('a directory: TypeError naming the option and the path', () => {
    const path = join(dir, 'a-directory')
    mkdirSync(path)
    const error = typeErrorOf(() => createDetector({ baseline: path }))
    expect(error.message).toContain('`baseline`')
    expect(error.message).toContain(path)
    expect(error.message).toContain('directory')
  })

  test('a path that cannot be read (a file in the way of a folder): TypeError naming the option and the path', () => {
    const file = join(dir, 'plain-file')
    writeFileSync(file, '{}')
    const path = join(file, 'baseline.json')
    const error = typeErrorOf(() => createDetector({ baseline: path }))
    expect(error.message).toContain('`baseline`')
    expect(error.message).toContain(path)
  })

  test('a missing file is an empty baseline (it is written on update), as before', () => {
    expect(() => createDetector({ baseline: join(dir, 'missing', 'baseline.json') })).not.toThrow()
  })

  test('a FIFO: createDetector returns at once with a TypeError, never blocks', () => {
    const fifo = join(dir, 'a-fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url))
    const script = `
      import { createDetector } from ${JSON.stringify(index)}
      try { createDetector({ baseline: ${JSON.stringify(fifo)} }); console.log('no error') }
      catch (error) { console.log(error.constructor.name + ': ' + error.message) }
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(child.signal, 'the child was killed: createDetector blocked on the FIFO').toBeNull()
    expect(child.stdout).toContain('TypeError: ')
    expect(child.stdout).toContain('`baseline`')
    expect(child.stdout).toContain(fifo)
  })
})

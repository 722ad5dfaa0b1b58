// Reporters that fail in every way (sync throw, rejected promise, non-Error throw or rejection,
// a never-settling promise, a thenable whose then() throws) never take the process down, never
// keep later reporters from running, and each is said once on stderr. Run in a child process:
// an unhandled rejection there ends that process the way it would end an application.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const main = fileURLToPath(new URL('../fixtures/reporter-faults/main.ts', import.meta.url))

test('failing reporters of every kind: the process lives, later reporters run, each failure said once', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', main], { encoding: 'utf8', timeout: 30_000 })
  expect(child.stderr).not.toMatch(/Unhandled|unhandled/)
  expect(child.status, child.stderr).toBe(0)
  expect(child.stdout).toContain('survived first,second,third')
  for (const said of ['Error: async reporter failed', 'object reporter rejected', 'a plain string rejection', 'Error: sync reporter failed', 'an object thrown', 'then() threw']) {
    expect(child.stderr.split(said).length - 1, `${said} in:\n${child.stderr}`).toBe(1)
  }
  expect(child.stderr).toMatch(/reporter neverSettles .*never settled/)
  expect(child.stderr.match(/neverSettles/g)).toHaveLength(1)
})

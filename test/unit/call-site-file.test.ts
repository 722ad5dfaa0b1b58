// Call-site file names: a frame the host formats as an anonymous async frame
// (`at async file:///…/app.mjs:7:3`, no function name, no parentheses) names a file relative to
// the working directory, not `async file:///…`.
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { parseFrameLine, resolveSite } from '../../src/callsite/resolve-site.js'

const original = Error.prepareStackTrace
afterEach(() => {
  Error.prepareStackTrace = original
})

// A frame of an .mjs file without a source map, as V8 hands it to a stack formatter.
function frameOf(url: string, line: number, column: number): NodeJS.CallSite {
  return {
    getFileName: () => url,
    getLineNumber: () => line,
    getColumnNumber: () => column,
    getFunctionName: () => null,
  } as unknown as NodeJS.CallSite
}

describe('call-site file names', () => {
  test.each([
    ['    at async file:///srv/app.mjs:7:3', 'file:///srv/app.mjs'],
    ['    at async loadPets (file:///srv/app.mjs:7:3)', 'file:///srv/app.mjs'],
    ['    at file:///srv/app.mjs:7:3', 'file:///srv/app.mjs'],
    ['    at async /srv/app.mjs:7:3', '/srv/app.mjs'],
  ])('%s', (text, file) => {
    expect(parseFrameLine(text)).toEqual({ file, line: 7, column: 3 })
  })

  test('an anonymous async frame formatted by the host resolves to a path relative to the cwd', () => {
    const url = pathToFileURL(join(process.cwd(), 'corpus-app', 'app.mjs')).href
    Error.prepareStackTrace = () => `Error: n1guard call site\n    at async ${url}:12:5`
    const frame = frameOf(url, 11, 1)
    const site = resolveSite({ key: `${url}:12:5:async-test`, frame, frames: [frame], frameKeys: [`${url}:12:5:async-test`] })
    expect(site).toEqual({ file: 'corpus-app/app.mjs', line: 12, column: 5 })
  })
})

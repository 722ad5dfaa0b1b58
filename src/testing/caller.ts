// Failures of the test helpers point at the user's code: the stack is the caller's, taken when
// the helper was entered (later, after the awaits, only n1guard's own frames would be left), and
// the header names the test or the function rather than n1guard's internal scope.
import { isAbsolute, relative, resolve } from 'node:path'
import { printable } from '../core/printable.js'
import { testOrFunctionName } from '../core/test-name.js'
import type { CallSite } from '../core/types.js'

/** The stack frames below `entry` (the caller's), captured now. @internal */
export function callerFrames(entry: Function): string {
  const holder: { stack?: string } = {}
  Error.captureStackTrace(holder, entry)
  const stack = holder.stack ?? ''
  const nl = stack.indexOf('\n')
  return nl < 0 ? '' : stack.slice(nl + 1)
}

/** Gives `error` a stack of its header and `frames`, so a runner's code frame shows the user's line. @internal */
export function atFrames<E extends Error>(error: E, frames: string): E {
  const stack = frames === '' ? `${error.name}: ${error.message}` : `${error.name}: ${error.message}\n${frames}`
  Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false })
  return error
}

/** A stack frame line for a call site (its file made absolute, as runners expect). @internal */
export function frameOf(site: CallSite): string {
  const file = isAbsolute(site.file) || site.file.startsWith('file:') ? site.file : resolve(site.file)
  return `    at ${site.function ?? '<anonymous>'} (${file}:${site.line}:${site.column})`
}

const FRAME = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/

/** What a failure header calls the helper's scope: the test, else the function's name, else where it was called. @internal */
export function scopeLabel(fn: Function, frames: string): string {
  const named = testOrFunctionName(fn)
  if (named !== undefined) return printable(named)
  const first = frames.split('\n').find((l) => l.trim().startsWith('at '))
  const m = first === undefined ? null : FRAME.exec(first.trim())
  if (m === null) return 'the function under test'
  const file = m[1]!.replace(/^file:\/\//, '')
  return printable(`the function called at ${isAbsolute(file) ? relative(process.cwd(), file) : file}:${m[2]}`)
}

/**
 * Runs a helper's own checks with the caller's frames on the errors they throw. `fn`'s errors
 * never go through it (they keep their own stack). @internal
 */
export function own<T>(frames: string, check: () => T): T {
  try {
    return check()
  } catch (error) {
    throw error instanceof Error ? atFrames(error, frames) : error
  }
}

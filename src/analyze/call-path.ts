/**
 * The frames of a call path key (see `AnalyzedQuery.siteKey`), innermost first.
 *
 * @example
 * pathFrames('repo.ts:3:9|~routes.ts:12') // ['repo.ts:3:9', '~routes.ts:12']
 */
export function pathFrames(key: string): string[] {
  return key.split('|')
}

/**
 * True when two call paths are one path seen at two moments, so their queries belong together.
 * The first run of a loop is sent synchronously: the stack holds every caller, each at the line
 * that called. The runs after an `await` hold the resumed function, then only the callers that
 * await it (V8 async frames, marked `~`), each at the line that awaits, which is another line when
 * the promise was kept and awaited later (`Promise.all`). So two paths with the same innermost
 * frame are one when they agree up to where one of them ends, or up to a frame where exactly one
 * of them is an awaiting frame. Two different synchronous callers (a helper called from two lines)
 * or two different awaiting callers (from two loops) stay apart.
 *
 * @example
 * samePath(['repo.ts:3:9', 'routes.ts:12', 'test.ts:5'], ['repo.ts:3:9', 'routes.ts:12', '~test.ts:9']) // true
 * samePath(['repo.ts:3:9', 'routes.ts:12'], ['repo.ts:3:9', 'routes.ts:13']) // false
 */
export function samePath(a: readonly string[], b: readonly string[]): boolean {
  if (a[0] !== b[0]) return false
  const n = Math.min(a.length, b.length)
  for (let i = 1; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x === y) continue
    return x.startsWith('~') !== y.startsWith('~')
  }
  return true
}

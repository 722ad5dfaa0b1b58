// One 'exit' listener for the whole process, however many detectors ask for end-of-process work
// (writing a baseline, naming stale ignore rules): a listener per detector would trip Node's
// MaxListeners warning in test suites that create hundreds of them.

const tasks = new Set<{ readonly owner: WeakRef<object>; readonly run: () => void }>()
let installed = false

/**
 * Runs `task` once when the process exits, as long as `owner` is still alive then.
 *
 * @example
 * whenProcessEnds(core, () => core.writeBaseline())
 */
export function whenProcessEnds(owner: object, task: () => void): void {
  tasks.add({ owner: new WeakRef(owner), run: task })
  if (installed) return
  installed = true
  process.once('exit', () => {
    for (const t of tasks) {
      if (t.owner.deref() === undefined) continue
      try {
        t.run()
      } catch {
        // exiting: nothing more to do
      }
    }
  })
}

import type { Detector } from './detector-types.js'
import { processState } from './process-state.js'

// Every detector made in this process, held weakly: test helpers that are not handed a detector
// (`expect(fn).toHaveNoNPlusOne()`) watch all of them. Shared by every copy (see process-state.ts).
const refs = processState.detectors as Set<WeakRef<Detector>>

/** @internal */
export function registerDetector(detector: Detector): void {
  refs.add(new WeakRef(detector))
}

/**
 * The detectors created in this process that are still alive and enabled, oldest first.
 *
 * @example
 * liveDetectors().length // 1 in a typical app
 */
export function liveDetectors(): Detector[] {
  const out: Detector[] = []
  for (const ref of refs) {
    const d = ref.deref()
    if (d === undefined) refs.delete(ref)
    else if (d.options.enabled) out.push(d)
  }
  return out
}

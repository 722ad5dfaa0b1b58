import type { Detector } from '../core/detector.js'
import { describeValue } from '../core/options.js'

/**
 * Throws a `TypeError` naming the value when `detector` is not a detector; `what` names the
 * integration in the message.
 *
 * @example
 * checkDetector('useN1guard', detector)
 */
export function checkDetector(what: string, detector: unknown): asserts detector is Detector {
  if (detector === null || typeof detector !== 'object' || typeof (detector as Partial<Detector>).startScope !== 'function') {
    throw new TypeError(`n1guard: ${what} needs a detector from createDetector(), got ${describeValue(detector)}`)
  }
}

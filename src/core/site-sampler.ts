import { captureSite, type DepthHint, type RawSite } from '../callsite/capture-site.js'

// Repeats from one stable call site are sampled at doubling intervals up to this gap: a loop of
// 1,000 takes 12 stacks, of 10,000 takes 47 (each costs 30–150 µs on a server).
const MAX_SAMPLE_GAP = 256

/** What the sampler decided for one statement: the captured frame (if a stack was taken) and its site key. */
export interface SampledSite {
  readonly site: RawSite | undefined
  readonly siteKey: string | undefined
}

/**
 * Issue-time bookkeeping of one shape in one scope: how often it was issued, where from. It also
 * carries the decision for the statement just sampled (`site`, `siteKey`), read at once by the
 * caller, so a sampled repeat allocates nothing.
 */
class ShapeSample implements SampledSite {
  site: RawSite | undefined = undefined
  siteKey: string | undefined = undefined
  /** The call site the repeats come from, once two captures in a row agree. */
  stableKey: string | undefined = undefined
  /** The key of the last capture. */
  lastKey: string | undefined = undefined
  /** Issue count at which the stable site is checked again. */
  nextSample = 0
  gap = 2
  constructor(readonly fingerprint: string) {}
}

/**
 * The sampling state of one scope, by shape. A scope that runs one shape (most requests run a
 * handful) never makes the Map.
 */
export class SiteSamples {
  private first: ShapeSample | undefined
  private more: Map<string, ShapeSample> | undefined

  of(fingerprint: string): ShapeSample {
    const first = this.first
    if (first === undefined) return (this.first = new ShapeSample(fingerprint))
    if (first.fingerprint === fingerprint) return first
    const more = (this.more ??= new Map())
    let entry = more.get(fingerprint)
    if (entry === undefined) {
      entry = new ShapeSample(fingerprint)
      more.set(fingerprint, entry)
    }
    return entry
  }
}


// The decision for a shape's first run, which keeps no state: valid until the next call.
const FIRST: { site: RawSite | undefined; siteKey: string | undefined } = { site: undefined, siteKey: undefined }

/**
 * Decides which statements pay for a stack (about 5–10 µs each). A shape's first run in a scope
 * takes none unless the scope is exact (tests, warm-up, one scope in 1024); repeats are captured
 * until two captures in a row agree on a call site, then sampled at doubling intervals; a
 * different site goes back to capturing every repeat. See docs/how-it-works.md.
 *
 * The returned decision is valid until the next call for the same shape.
 *
 * @example
 * const { site, siteKey } = sampleSite(scope, info.id, scope.aggregate.issued(info.id), scope.kind.exact, entry, hint)
 */
export function sampleSite(
  owner: { samples: SiteSamples | undefined },
  fingerprint: string,
  issued: number,
  exact: boolean,
  entry: Function,
  hint: DepthHint,
): SampledSite {
  if (issued === 1) {
    // No state for a shape until it repeats: most shapes run once per scope.
    const site = exact ? captureSite(entry, hint) : undefined
    FIRST.site = site
    FIRST.siteKey = site?.key
    return FIRST
  }
  const state = (owner.samples ??= new SiteSamples()).of(fingerprint)
  let site: RawSite | undefined
  let siteKey: string | undefined
  if (exact || state.stableKey === undefined || issued >= state.nextSample) {
    site = captureSite(entry, hint)
    siteKey = site?.key
    if (siteKey !== undefined) learn(state, siteKey, issued)
  } else {
    siteKey = state.stableKey
  }
  state.site = site
  state.siteKey = siteKey
  return state
}

// Two captures in a row from one site make it stable; the stable site is checked again after
// 2, 4, 8 ... 256 repeats, and a different site goes back to capturing every repeat.
function learn(state: ShapeSample, key: string, issued: number): void {
  if (key === state.stableKey) {
    state.gap = Math.min(state.gap * 2, MAX_SAMPLE_GAP)
    state.nextSample = issued + state.gap
  } else if (key === state.lastKey) {
    state.stableKey = key
    state.gap = 2
    state.nextSample = issued + 2
  } else {
    state.stableKey = undefined
  }
  state.lastKey = key
}

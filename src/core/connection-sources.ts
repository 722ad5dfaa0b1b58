// Pools the pg adapter instrumented for a detector, held weakly: n1guard/panel opens a client of
// its own from one (its `Client` and `options`) to run EXPLAIN when the user passed no pool.

const pools = new WeakMap<object, WeakRef<object>[]>()

/** Called once per pool by `instrumentPool`. @internal */
export function rememberPool(detector: object, pool: object): void {
  let list = pools.get(detector)
  if (list === undefined) pools.set(detector, (list = []))
  list.push(new WeakRef(pool))
}

/** The live pools instrumented for `detector`, oldest first. @internal */
export function poolsOf(detector: object): object[] {
  const list = pools.get(detector)
  if (list === undefined) return []
  const live: object[] = []
  for (let i = list.length - 1; i >= 0; i--) {
    const pool = list[i]!.deref()
    if (pool === undefined) list.splice(i, 1)
    else live.unshift(pool)
  }
  return live
}

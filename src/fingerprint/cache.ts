// Bounded memo for the hot path: two generations of Map. Lookups hit the young generation
// first; a hit in the old one is promoted. When the young generation is full it becomes the old
// one and the previous old one is dropped whole, so every operation is O(1) and memory is
// bounded without per-entry LRU bookkeeping.

/**
 * A fixed-capacity cache with O(1) get and set. Holds at most `capacity` entries; recently used
 * entries survive, the least recently used half is dropped when the cache turns over.
 *
 * @example
 * const cache = new GenerationalCache<number>(4)
 * cache.set('a', 1)
 * cache.get('a') // 1
 */
export class GenerationalCache<V> {
  readonly #generation: number
  #young = new Map<string, V>()
  #old = new Map<string, V>()

  /** @param capacity maximum number of entries (at least 2); @default 2048 */
  constructor(capacity = 2048) {
    this.#generation = Math.max(1, Math.floor(capacity / 2))
  }

  /** The value stored for `key`, or undefined. */
  get(key: string): V | undefined {
    const young = this.#young.get(key)
    if (young !== undefined) return young
    const old = this.#old.get(key)
    if (old !== undefined) {
      this.#old.delete(key)
      this.set(key, old)
    }
    return old
  }

  /** Stores `value` under `key`, turning the generations over when the young one is full. */
  set(key: string, value: V): void {
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young
      this.#young = new Map()
    }
    this.#young.set(key, value)
  }

  /** Number of entries held (never more than the capacity). */
  get size(): number {
    return this.#young.size + this.#old.size
  }

  /** Drops every entry. */
  clear(): void {
    this.#young = new Map()
    this.#old = new Map()
  }
}

// Typed-array buffers shared by the tokenizer and the normaliser: code-unit buffers with a Buffer
// view (for native copies in and out), growth by doubling, and reuse from call to call.

import { Buffer } from 'node:buffer'

// Every pass reads characters from a Uint16Array copy of the text rather than with
// String#charCodeAt, which dispatches on the string's representation (flat, cons, sliced, …) at
// every call: the array reads are two to three times faster, and Buffer#write copies the code
// units natively (about 0.15 ns a character, against 3 for a charCodeAt loop on a fresh string).
// For very short text the loop is cheaper than the call.
const NATIVE_COPY_MIN = 32
// Buffer#write 'utf16le' gives little-endian bytes, which read back right only on such a host.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * A Uint16Array of code units and a Buffer over the same memory.
 *
 * @example
 * const b = codeBuffer(16)
 * copyCodes('hi', b.codes, b.bytes)
 */
export interface CodeBuffer {
  readonly codes: Uint16Array
  readonly bytes: Buffer
}

/**
 * A zeroed code-unit buffer of `capacity` code units.
 *
 * @example
 * codeBuffer(8).codes.length // 8
 */
export function codeBuffer(capacity: number): CodeBuffer {
  const memory = new ArrayBuffer(2 * capacity)
  return { codes: new Uint16Array(memory), bytes: Buffer.from(memory) }
}

/**
 * Copies the code units of `sql` to the start of `codes`, where `bytes` views the same memory.
 *
 * @example
 * const b = codeBuffer(4)
 * copyCodes('ab', b.codes, b.bytes) // b.codes: [97, 98, 0, 0]
 */
export function copyCodes(sql: string, codes: Uint16Array, bytes: Buffer): void {
  const n = sql.length
  if (n >= NATIVE_COPY_MIN && LITTLE_ENDIAN) {
    bytes.write(sql, 0, 'utf16le')
    return
  }
  for (let i = 0; i < n; i++) codes[i] = sql.charCodeAt(i)
}

/**
 * The string of the code units `codes[0, length)`, where `bytes` views the same memory (the
 * inverse of {@link copyCodes}). Buffer#toString gives a flat string, one byte a character when
 * they all fit.
 *
 * @example
 * decodeCodes(t.codes, Buffer.from(t.codes.buffer), t.sql.length) === t.sql // true
 */
export function decodeCodes(codes: Uint16Array, bytes: Buffer, length: number): string {
  if (LITTLE_ENDIAN) return bytes.toString('utf16le', 0, 2 * length)
  let text = ''
  for (let i = 0; i < length; i += 4096) text += String.fromCharCode(...codes.subarray(i, Math.min(length, i + 4096)))
  return text
}

type Growable = Uint8Array | Uint16Array | Int32Array

/**
 * A copy of `array` with room for `capacity` elements (the first `array.length` kept).
 *
 * @example
 * grown(new Uint8Array([1, 2]), 4) // Uint8Array [1, 2, 0, 0]
 */
export function grown<T extends Growable>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity)
  bigger.set(array)
  return bigger
}

/**
 * One object's buffers reused from call to call, as typed arrays cost about a microsecond to
 * allocate, more than a short statement takes to process. A job above `limit` gets buffers of
 * its own, sized once rather than grown by doubling, and held only weakly afterwards: a run of
 * huge statements reuses them (allocating and first touching megabytes costs about as much as
 * reading them), yet they never outlive a garbage collection. A shared one that a job grew past
 * its usual size is replaced, so a huge statement's buffers do not stay for the life of the process.
 *
 * @example
 * const pool = new Reuse({ limit: 4096, shared: () => new Worker(4096), create: (n) => new Worker(n), fits: (w, n) => w.size >= n, outgrown: (w) => w.size > 4096 })
 * const w = pool.acquire(sql.length)
 * try { w.run() } finally { pool.release(w) }
 */
export class Reuse<T> {
  #shared: T
  #large: WeakRef<T & object> | undefined
  readonly #limit: number
  readonly #create: (size: number) => T & object
  readonly #fits: (buffers: T, size: number) => boolean
  readonly #outgrown: (buffers: T) => boolean
  readonly #createShared: () => T

  constructor(spec: {
    /** Jobs up to this size use the shared buffers. */
    readonly limit: number
    /** New shared buffers, sized for the usual job. */
    readonly shared: () => T
    /** New buffers of a huge job's own, for a job of this size. */
    readonly create: (size: number) => T & object
    /** Whether buffers kept from an earlier huge job serve one of this size. */
    readonly fits: (buffers: T, size: number) => boolean
    /** Whether the shared buffers grew too large to keep. */
    readonly outgrown: (buffers: T) => boolean
  }) {
    this.#limit = spec.limit
    this.#create = spec.create
    this.#fits = spec.fits
    this.#outgrown = spec.outgrown
    this.#createShared = spec.shared
    this.#shared = spec.shared()
  }

  /** Buffers for a job of `size`: the shared ones, or a huge job's own. */
  acquire(size: number): T {
    if (size <= this.#limit) return this.#shared
    const kept = this.#large?.deref()
    if (kept !== undefined && this.#fits(kept, size)) return kept
    const fresh = this.#create(size)
    this.#large = new WeakRef(fresh)
    return fresh
  }

  /** Called when the job is done with `buffers`. */
  release(buffers: T): void {
    if (buffers === this.#shared && this.#outgrown(buffers)) this.#shared = this.#createShared()
  }
}

// Non-cryptographic string hashing on 32-bit integer arithmetic (Math.imul), so ids are the
// same in every process and every version of Node: no dependence on V8's string hash or on
// crypto. Two structurally different 32-bit hashes (murmur3-style and FNV-1a) with their own
// seeds give the 64 bits of an id. Text is fed as ranges of UTF-16 code units (the tokenizer's
// copy of the input) so callers need not slice.

import { CH } from './char-codes.js'

// Character codes as module constants, which V8 folds into the compiled code.
const { CASE_BIT, UPPER_A, UPPER_Z } = CH

const MURMUR_C1 = 0xcc9e2d51
const MURMUR_C2 = 0x1b873593
const FNV_PRIME = 0x01000193
// Added to a part's length so a length never collides with a UTF-16 code unit.
const LENGTH_MARK = 0x10000

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function murmurStep(h: number, k: number): number {
  k = Math.imul(k, MURMUR_C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, MURMUR_C2)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function toCodes(s: string): Uint16Array {
  const codes = new Uint16Array(s.length)
  for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i)
  return codes
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

// The one copy of `s` in V8's string table. A fingerprint is compared with others on every
// statement (a scope's shapes are found by it): two internalized strings compare by pointer, where
// two strings built by concatenation compared character by character through their parts.
function interned(s: string): string {
  const holder: Record<string, true> = { [s]: true }
  for (const key in holder) return key
  return s
}

function hex8(n: number): string {
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!
}

/**
 * A 64-bit hash of a sequence of strings, rendered as 16 lowercase hex characters. Each part is
 * hashed with its length first, so `['ab', 'c']` and `['a', 'bc']` differ.
 *
 * @example
 * const h = new Hash64()
 * h.add('select')
 * h.add('?')
 * h.digest() // '…16 hex characters…'
 */
export class Hash64 {
  #h1 = 0x9747b28c | 0
  #h2 = (0x811c9dc5 ^ 0x5bd1e995) | 0
  #parts = 0

  /**
   * Adds the code units `codes[from, to)` as one part; with `fold`, as if its ASCII letters were
   * lower case (what `lowerIdent` would return), without building that string.
   */
  addCodes(codes: Uint16Array, from: number, to: number, fold: boolean): void {
    const len = to - from
    let h1 = murmurStep(this.#h1, len + LENGTH_MARK)
    let h2 = Math.imul(this.#h2 ^ (len + LENGTH_MARK), FNV_PRIME)
    for (let i = from; i < to; i++) {
      let c = codes[i]!
      if (fold && c >= UPPER_A && c <= UPPER_Z) c += CASE_BIT
      h1 = murmurStep(h1, c)
      h2 = Math.imul(h2 ^ c, FNV_PRIME)
    }
    this.#h1 = h1
    this.#h2 = h2
    this.#parts++
  }

  /** Adds one part. */
  add(s: string): void {
    this.addCodes(toCodes(s), 0, s.length, false)
  }

  /** 16 lowercase hex characters (one string per value in the process: compared by pointer). */
  digest(): string {
    const n = this.#parts
    return interned(hex8(fmix32(this.#h1 ^ n)) + hex8(fmix32(this.#h2 ^ Math.imul(n, 0x27d4eb2d))))
  }
}

/**
 * A running 32-bit hash over strings (each with its length), for the literal-value key.
 *
 * @example
 * const h = new Hash32()
 * h.add("'a'")
 * h.add('42')
 * h.digest() // a 32-bit unsigned integer
 */
export class Hash32 {
  #h: number
  #parts = 0

  /** @param seed starting state; @default 0x2f0e1eb5 */
  constructor(seed = 0x2f0e1eb5) {
    this.#h = seed | 0
  }

  /** Adds the code units `codes[from, to)` as one part. */
  addCodes(codes: Uint16Array, from: number, to: number): void {
    let h = murmurStep(this.#h, to - from + LENGTH_MARK)
    for (let i = from; i < to; i++) h = murmurStep(h, codes[i]!)
    this.#h = h
    this.#parts++
  }

  /** Adds one string. */
  add(s: string): void {
    this.addCodes(toCodes(s), 0, s.length)
  }

  /** The hash of everything added so far (unsigned). */
  digest(): number {
    return fmix32(this.#h ^ this.#parts)
  }
}

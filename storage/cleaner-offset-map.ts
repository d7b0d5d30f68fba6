// The log cleaner's key → latest offset map (Kafka's SkimpyOffsetMap): a fixed number of
// slots, each a 16-byte digest of a key and the offset of its newest record seen, with
// open addressing. Memory is bounded by log.cleaner.dedupe.buffer.size whatever the keys'
// sizes; two keys with the same digest count as one key, the risk Kafka accepts with MD5.
// Owned by one shard's cleaner; not thread-safe, no I/O.
//
// The digest is MurmurHash3 x86_128 with a random seed per map, computed in JS over the
// key's bytes where they lie, instead of MD5 through node:crypto: a createHash/hash call
// costs about a microsecond of fixed overhead plus a Buffer per key, which was a third of
// the cleaner's time (bench/cleaner-throughput.ts). Both are 128-bit digests; neither
// resists a producer crafting colliding keys (MD5 collisions are cheap to make), and the
// random seed makes MurmurHash3's at least depend on a value no producer sees.
// Digests and offsets sit in typed arrays (4 int32 words, then one float64 per slot):
// Buffer.readDoubleBE and Buffer.compare per probe were the next costs.

import { randomInt } from 'node:crypto'

const HASH_WORDS = 4
/** Hash bytes plus the offset (a float64: offsets stay below 2^53). */
export const OFFSET_MAP_SLOT_SIZE = HASH_WORDS * 4 + 8

const C1 = 0x239b961b
const C2 = 0xab0e9789
const C3 = 0x38b34ae5
const C4 = 0xa1e38b93

// The last digest computed (module scope: no allocation per key).
let h1 = 0
let h2 = 0
let h3 = 0
let h4 = 0

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

/** MurmurHash3 x86_128 of `b[start, end)` into h1..h4. */
export function murmur3x86128(b: Uint8Array, start: number, end: number, seed: number): void {
  const len = end - start
  let a = seed | 0
  let c = a
  let d = a
  let e = a
  const blocksEnd = start + (len & ~15)
  let i = start
  for (; i < blocksEnd; i += 16) {
    let k1 = word(b, i)
    let k2 = word(b, i + 4)
    let k3 = word(b, i + 8)
    let k4 = word(b, i + 12)
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2)
    a ^= k1
    a = (Math.imul(rotl(a, 19) + c, 5) + 0x561ccd1b) | 0
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3)
    c ^= k2
    c = (Math.imul(rotl(c, 17) + d, 5) + 0x0bcaa747) | 0
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4)
    d ^= k3
    d = (Math.imul(rotl(d, 15) + e, 5) + 0x96cd1c35) | 0
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1)
    e ^= k4
    e = (Math.imul(rotl(e, 13) + a, 5) + 0x32ac3b17) | 0
  }
  const tail = len & 15
  if (tail > 0) {
    let k1 = 0
    let k2 = 0
    let k3 = 0
    let k4 = 0
    for (let j = tail - 1; j >= 0; j--) {
      const byte = b[i + j]!
      if (j >= 12) k4 |= byte << ((j - 12) * 8)
      else if (j >= 8) k3 |= byte << ((j - 8) * 8)
      else if (j >= 4) k2 |= byte << ((j - 4) * 8)
      else k1 |= byte << (j * 8)
    }
    if (tail > 12) e ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1)
    if (tail > 8) d ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4)
    if (tail > 4) c ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3)
    a ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2)
  }
  a ^= len
  c ^= len
  d ^= len
  e ^= len
  a = (a + c + d + e) | 0
  c = (c + a) | 0
  d = (d + a) | 0
  e = (e + a) | 0
  a = fmix(a)
  c = fmix(c)
  d = fmix(d)
  e = fmix(e)
  a = (a + c + d + e) | 0
  c = (c + a) | 0
  d = (d + a) | 0
  e = (e + a) | 0
  h1 = a
  h2 = c
  h3 = d
  h4 = e
}

/** The digest murmur3x86128 left, in the reference implementation's byte order (tests). */
export function lastDigest(): Buffer {
  const out = Buffer.alloc(16)
  out.writeInt32LE(h1, 0)
  out.writeInt32LE(h2, 4)
  out.writeInt32LE(h3, 8)
  out.writeInt32LE(h4, 12)
  return out
}

export class SkimpyOffsetMap {
  readonly slots: number
  private readonly digests: Int32Array
  /** offset + 1 per slot; zero marks an empty slot. */
  private readonly offsets: Float64Array
  private seed: number
  /** Distinct keys held. */
  size = 0
  /** The largest offset the map covers (Kafka's latestOffset), −1 when empty. */
  latestOffset = -1
  /** Probes beyond the first, for the cleaner's statistics. */
  collisions = 0

  constructor(memoryBytes: number) {
    this.slots = Math.max(1, Math.floor(memoryBytes / OFFSET_MAP_SLOT_SIZE))
    this.digests = new Int32Array(this.slots * HASH_WORDS)
    this.offsets = new Float64Array(this.slots)
    this.seed = randomInt(0x7fffffff)
  }

  clear(): void {
    this.offsets.fill(0)
    this.size = 0
    this.latestOffset = -1
    this.collisions = 0
    this.seed = randomInt(0x7fffffff)
  }

  /** Share of the slots in use. */
  get utilization(): number {
    return this.size / this.slots
  }

  /** Records `offset` as the newest of the key in `key[start, end)` (the whole of `key` by default). */
  put(key: Uint8Array, offset: number, start = 0, end = key.length): void {
    murmur3x86128(key, start, end, this.seed)
    const slot = this.find()
    if (this.offsets[slot] === 0) {
      if (this.size >= this.slots) throw new Error('offset map is full')
      const at = slot * HASH_WORDS
      this.digests[at] = h1
      this.digests[at + 1] = h2
      this.digests[at + 2] = h3
      this.digests[at + 3] = h4
      this.size++
    }
    this.offsets[slot] = offset + 1
    if (offset > this.latestOffset) this.latestOffset = offset
  }

  /** The newest offset recorded for the key in `key[start, end)`, or −1. */
  get(key: Uint8Array, start = 0, end = key.length): number {
    murmur3x86128(key, start, end, this.seed)
    return this.offsets[this.find()]! - 1
  }

  updateLatestOffset(offset: number): void {
    if (offset > this.latestOffset) this.latestOffset = offset
  }

  // The slot holding the digest in h1..h4, or the empty slot where it would go: the
  // first probe is the digest's first word, then linear probing (the digest is uniform).
  private find(): number {
    const { digests, offsets, slots } = this
    let slot = (h1 >>> 0) % slots
    for (let attempt = 0; attempt < slots; attempt++) {
      const at = slot * HASH_WORDS
      if (offsets[slot] === 0 || (digests[at] === h1 && digests[at + 1] === h2 && digests[at + 2] === h3 && digests[at + 3] === h4)) return slot
      if (attempt === 0) this.collisions++
      slot = slot + 1 === slots ? 0 : slot + 1
    }
    return slot
  }
}

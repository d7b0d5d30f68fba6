// A segment's sparse time index, Kafka's `.timeindex` format: 12-byte big-endian entries
// (timestamp int64, offset − baseOffset int32). Timestamps strictly increase, offsets
// never decrease. An entry (T, O) says: the largest timestamp among batches up to the one
// ending at offset O is T, first reached in that batch. Entries are added at the offset
// index's cadence when the largest timestamp grew; the segment's largest timestamp is
// the last entry's combined with the batches after the last offset-index entry.
// Held in memory as typed arrays; entries are appended with positional writes.

import type { FileIO } from './file-io.ts'
import { IndexFile } from './index-file.ts'
import { readInt64, writeInt64 } from '../protocol/records/record-batch.ts'

export const TIME_INDEX_ENTRY_SIZE = 12
const INITIAL_CAPACITY = 8
const scratch = Buffer.alloc(TIME_INDEX_ENTRY_SIZE)

export class TimeIndex {
  readonly baseOffset: number
  readonly file: IndexFile
  entries = 0
  maxEntries: number
  private timestamps: Float64Array
  private relOffsets: Int32Array
  private deferWrites = false
  loaded: boolean

  private constructor(io: FileIO, path: string, baseOffset: number, maxEntries: number) {
    this.baseOffset = baseOffset
    this.file = new IndexFile(io, path)
    this.maxEntries = maxEntries
    this.timestamps = new Float64Array(INITIAL_CAPACITY)
    this.relOffsets = new Int32Array(INITIAL_CAPACITY)
    this.loaded = true
  }

  static create(io: FileIO, path: string, baseOffset: number, maxEntries: number): TimeIndex {
    const index = new TimeIndex(io, path, baseOffset, maxEntries)
    index.file.rewrite(Buffer.alloc(0))
    return index
  }

  static load(io: FileIO, path: string, baseOffset: number, maxEntries: number): TimeIndex {
    const index = new TimeIndex(io, path, baseOffset, maxEntries)
    const data = index.file.readAll()
    if (data === null || data.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      index.loaded = false
      return index
    }
    const n = data.length / TIME_INDEX_ENTRY_SIZE
    index.grow(n)
    for (let i = 0; i < n; i++) {
      index.timestamps[i] = readInt64(data, i * TIME_INDEX_ENTRY_SIZE)
      index.relOffsets[i] = data.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8)
    }
    index.entries = n
    return index
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  /** Timestamp of the last entry, or −1 when empty. */
  get lastTimestamp(): number {
    return this.entries === 0 ? -1 : this.timestamps[this.entries - 1]!
  }

  /** Offset of the last entry, or baseOffset when empty. */
  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.relOffsets[this.entries - 1]!
  }

  /** Timestamps strictly increasing, offsets non-decreasing and below `nextOffset`. */
  isValid(nextOffset: number): boolean {
    if (!this.loaded) return false
    let prevTs = -Infinity
    let prevRel = 0
    for (let i = 0; i < this.entries; i++) {
      const ts = this.timestamps[i]!
      const rel = this.relOffsets[i]!
      if (ts <= prevTs || rel < prevRel || this.baseOffset + rel >= nextOffset) return false
      prevTs = ts
      prevRel = rel
    }
    return true
  }

  /** Adds (timestamp, offset) if the timestamp is larger than the last entry's; `force` ignores a full index. */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (timestamp < 0) return
    if (this.entries > 0 && (timestamp <= this.timestamps[this.entries - 1]! || offset < this.lastOffset)) return
    if (this.isFull && !force) return
    const rel = offset - this.baseOffset
    if (rel < 0 || rel > 0x7fffffff) return
    if (this.entries === this.timestamps.length) this.grow(this.entries * 2)
    this.timestamps[this.entries] = timestamp
    this.relOffsets[this.entries] = rel
    if (!this.deferWrites) {
      writeInt64(scratch, 0, timestamp)
      scratch.writeInt32BE(rel, 8)
      this.file.write(scratch, this.entries * TIME_INDEX_ENTRY_SIZE)
    }
    this.entries++
  }

  /** Offset to start searching for `timestamp`: the entry with the largest timestamp ≤ it, else baseOffset. */
  lookup(timestamp: number): number {
    let lo = 0
    let hi = this.entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestamps[mid]! <= timestamp) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.relOffsets[found]!
  }

  beginRebuild(): void {
    this.entries = 0
    this.deferWrites = true
    this.loaded = true
  }

  commitRebuild(): void {
    const buf = Buffer.allocUnsafe(this.entries * TIME_INDEX_ENTRY_SIZE)
    for (let i = 0; i < this.entries; i++) {
      writeInt64(buf, i * TIME_INDEX_ENTRY_SIZE, this.timestamps[i]!)
      buf.writeInt32BE(this.relOffsets[i]!, i * TIME_INDEX_ENTRY_SIZE + 8)
    }
    this.file.rewrite(buf)
    this.deferWrites = false
  }

  private grow(capacity: number): void {
    const cap = Math.max(capacity, INITIAL_CAPACITY)
    if (cap <= this.timestamps.length) return
    const ts = new Float64Array(cap)
    ts.set(this.timestamps.subarray(0, this.entries))
    const rel = new Int32Array(cap)
    rel.set(this.relOffsets.subarray(0, this.entries))
    this.timestamps = ts
    this.relOffsets = rel
  }
}

// A segment's sparse offset index, Kafka's `.index` format: 8-byte big-endian entries
// (offset − baseOffset as int32, byte position of a batch in the .log as int32), with
// offsets and positions strictly increasing. As in Kafka's LogSegment, an entry maps the
// LAST offset of a batch to the position where that batch starts, and is added once more
// than index.interval.bytes of log were appended since the previous one.
// Held in memory as two typed arrays (Node has no mmap); entries are appended to the
// file with positional writes. A file that fails the sanity checks is rebuilt from the log.

import type { FileIO } from './file-io.ts'
import { IndexFile } from './index-file.ts'

export const OFFSET_INDEX_ENTRY_SIZE = 8
const INITIAL_CAPACITY = 8
const scratch = Buffer.alloc(OFFSET_INDEX_ENTRY_SIZE)

export class OffsetIndex {
  readonly baseOffset: number
  readonly file: IndexFile
  entries = 0
  maxEntries: number
  private relOffsets: Int32Array
  private positions: Int32Array
  private deferWrites = false
  /** False when the file could not be loaded as entries (missing or not a whole number of entries). */
  loaded: boolean

  private constructor(io: FileIO, path: string, baseOffset: number, maxEntries: number) {
    this.baseOffset = baseOffset
    this.file = new IndexFile(io, path)
    this.maxEntries = maxEntries
    this.relOffsets = new Int32Array(INITIAL_CAPACITY)
    this.positions = new Int32Array(INITIAL_CAPACITY)
    this.loaded = true
  }

  /** An empty index whose file is (re)written from scratch. */
  static create(io: FileIO, path: string, baseOffset: number, maxEntries: number): OffsetIndex {
    const index = new OffsetIndex(io, path, baseOffset, maxEntries)
    index.file.rewrite(Buffer.alloc(0))
    return index
  }

  /** Loads the file's entries; check `loaded` and `isValid()` before trusting them. */
  static load(io: FileIO, path: string, baseOffset: number, maxEntries: number): OffsetIndex {
    const index = new OffsetIndex(io, path, baseOffset, maxEntries)
    const data = index.file.readAll()
    if (data === null || data.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      index.loaded = false
      return index
    }
    const n = data.length / OFFSET_INDEX_ENTRY_SIZE
    index.grow(n)
    for (let i = 0; i < n; i++) {
      index.relOffsets[i] = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE)
      index.positions[i] = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4)
    }
    index.entries = n
    return index
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  /** Offset of the last entry, or baseOffset when empty. */
  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.relOffsets[this.entries - 1]!
  }

  /** Position of the last entry, or 0 when empty. */
  get lastPosition(): number {
    return this.entries === 0 ? 0 : this.positions[this.entries - 1]!
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.relOffsets[i]!
  }

  positionAt(i: number): number {
    return this.positions[i]!
  }

  /** Entries strictly increasing and inside a log of `logSize` bytes. */
  isValid(logSize: number): boolean {
    if (!this.loaded) return false
    let prevOffset = -1
    let prevPosition = -1
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relOffsets[i]!
      const pos = this.positions[i]!
      if (rel <= prevOffset || pos <= prevPosition || pos >= logSize) return false
      prevOffset = rel
      prevPosition = pos
    }
    return true
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset
    if (this.entries > 0 && (rel <= this.relOffsets[this.entries - 1]! || position <= this.positions[this.entries - 1]!)) {
      throw new Error(`offset index ${this.file.path}: entry (${offset}, ${position}) is not after (${this.lastOffset}, ${this.lastPosition})`)
    }
    if (rel < 0 || rel > 0x7fffffff) throw new Error(`offset index ${this.file.path}: offset ${offset} does not fit relative to ${this.baseOffset}`)
    if (this.entries === this.relOffsets.length) this.grow(this.entries * 2)
    this.relOffsets[this.entries] = rel
    this.positions[this.entries] = position
    if (!this.deferWrites) {
      scratch.writeInt32BE(rel, 0)
      scratch.writeInt32BE(position, 4)
      this.file.write(scratch, this.entries * OFFSET_INDEX_ENTRY_SIZE)
    }
    this.entries++
  }

  /** Position to start a forward scan for `offset`: the entry with the largest offset ≤ it, else 0. */
  lookup(offset: number): number {
    const rel = offset - this.baseOffset
    let lo = 0
    let hi = this.entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.relOffsets[mid]! <= rel) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? 0 : this.positions[found]!
  }

  /** Empties the index in memory; entries appended until `commitRebuild()` are written in one go. */
  beginRebuild(): void {
    this.entries = 0
    this.deferWrites = true
    this.loaded = true
  }

  commitRebuild(): void {
    const buf = Buffer.allocUnsafe(this.entries * OFFSET_INDEX_ENTRY_SIZE)
    for (let i = 0; i < this.entries; i++) {
      buf.writeInt32BE(this.relOffsets[i]!, i * OFFSET_INDEX_ENTRY_SIZE)
      buf.writeInt32BE(this.positions[i]!, i * OFFSET_INDEX_ENTRY_SIZE + 4)
    }
    this.file.rewrite(buf)
    this.deferWrites = false
  }

  private grow(capacity: number): void {
    const cap = Math.max(capacity, INITIAL_CAPACITY)
    if (cap <= this.relOffsets.length) return
    const rel = new Int32Array(cap)
    rel.set(this.relOffsets.subarray(0, this.entries))
    const pos = new Int32Array(cap)
    pos.set(this.positions.subarray(0, this.entries))
    this.relOffsets = rel
    this.positions = pos
  }
}

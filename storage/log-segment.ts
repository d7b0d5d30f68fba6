// One log segment: `<baseOffset, 20 digits>.log` holding whole magic-2 batches back to
// back, plus its `.index` and `.timeindex` (Kafka's names and formats). Owns the
// invariants tying them together: the .log holds only whole, CRC-valid batches with
// increasing offsets (enforced by recover()); every index entry points at a batch start
// inside the .log; nextOffset is one past the last batch's last offset.
// Single writer, synchronous I/O.

import {
  BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK, CURRENT_MAGIC, Compression, LOG_OVERHEAD,
  batchAttributes, batchBaseOffset, batchLastOffsetDelta, batchMagic, batchMaxTimestamp, isCrcValid,
} from '../protocol/records/record-batch.ts'
import { decodeRecords, scanRecordTimestamps } from '../protocol/records/record-decoder.ts'
import { isNotFound, type FileHandle, type FileIO } from './file-io.ts'
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.ts'
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.ts'
import { TXN_INDEX_SUFFIX, TxnIndex } from './txn-index.ts'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
const SEGMENT_NAME = /^(\d{20})\.log$/
const MAX_RELATIVE_OFFSET = 0x7fffffff

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix
}

/** The base offset named by a `.log` file name, or null for any other file. */
export function parseSegmentFileName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name)
  return m === null ? null : Number(m[1])
}

export interface SegmentSettings {
  indexIntervalBytes: number
  segmentIndexBytes: number
}

export interface OffsetAndTimestamp {
  offset: number
  timestamp: number
}

// Walks batch headers through a shared read-ahead buffer, so a scan over many small
// batches costs one read per 16 KiB rather than one per batch. Shared by all segments of
// the thread (storage is synchronous); `busy` catches an accidental nested scan.
class HeaderCursor {
  buf = Buffer.allocUnsafe(16 * 1024)
  private bufStart = 0
  private bufEnd = 0
  private io: FileIO | null = null
  private handle: FileHandle = -1
  private end = 0
  pos = 0
  /** Offset of the current header inside `buf`. */
  at = 0
  busy = false

  begin(io: FileIO, handle: FileHandle, pos: number, end: number): this {
    if (this.busy) throw new Error('nested batch header scan')
    this.busy = true
    this.io = io
    this.handle = handle
    this.pos = pos
    this.end = end
    this.bufStart = 0
    this.bufEnd = 0
    return this
  }

  finish(): void {
    this.busy = false
    this.io = null
  }

  /** Makes the header at `pos` readable at `buf[at]`; false when fewer than a header's bytes remain. */
  load(): boolean {
    if (this.pos + BATCH_HEADER_SIZE > this.end) return false
    if (this.pos < this.bufStart || this.pos + BATCH_HEADER_SIZE > this.bufEnd) {
      const n = Math.min(this.buf.length, this.end - this.pos)
      const got = this.io!.read(this.handle, this.buf, 0, n, this.pos)
      this.bufStart = this.pos
      this.bufEnd = this.pos + got
      if (got < BATCH_HEADER_SIZE) return false
    }
    this.at = this.pos - this.bufStart
    // A control batch's record (COMMIT or ABORT) is read too: it is a few bytes past the header.
    if ((batchAttributes(this.buf, this.at) & CONTROL_FLAG_MASK) !== 0) {
      const size = Math.min(this.size, this.end - this.pos)
      if (this.pos + size > this.bufEnd && size <= this.buf.length) {
        const got = this.io!.read(this.handle, this.buf, 0, Math.min(this.buf.length, this.end - this.pos), this.pos)
        this.bufStart = this.pos
        this.bufEnd = this.pos + got
        this.at = 0
      }
    }
    return true
  }

  get size(): number {
    return this.buf.readInt32BE(this.at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
  }

  get baseOffset(): number {
    return batchBaseOffset(this.buf, this.at)
  }

  get lastOffset(): number {
    return batchBaseOffset(this.buf, this.at) + batchLastOffsetDelta(this.buf, this.at)
  }

  get maxTimestamp(): number {
    return batchMaxTimestamp(this.buf, this.at)
  }
}

const cursor = new HeaderCursor()

const RECOVERY_CHUNK = 1024 * 1024

export class LogSegment {
  readonly baseOffset: number
  readonly logPath: string
  private readonly io: FileIO
  private readonly handle: FileHandle
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  /** Aborted transactions whose ABORT marker is in this segment (`.txnindex`, written only when there is one). */
  readonly txnIndex: TxnIndex
  /** Bytes in the .log. */
  size = 0
  /** One past the last offset held; baseOffset when empty. */
  nextOffset: number
  /** Largest batch maxTimestamp seen, −1 if none. */
  maxTimestamp = -1
  /** Last offset of the first batch that reached maxTimestamp. */
  offsetOfMaxTimestamp: number
  /** When this segment started taking data, for segment.ms (wall clock of the first append, or its first batch's timestamp after a restart). */
  rollBaseTime: number
  /** Bytes that recovery cut from the end of the .log when this segment was opened. */
  truncatedBytes = 0
  /** recover() ran on this segment (so it must be fsynced before its offsets count as durable). */
  recovered = false
  indexIntervalBytes: number
  private bytesSinceLastIndexEntry = 0
  private dirty = false
  private active = true
  private closed = false

  private constructor(io: FileIO, dir: string, baseOffset: number, settings: SegmentSettings, handle: FileHandle, offsetIndex: OffsetIndex, timeIndex: TimeIndex, now: number, fileSuffix = '') {
    this.io = io
    this.baseOffset = baseOffset
    this.logPath = `${dir}/${segmentFileName(baseOffset, LOG_SUFFIX)}${fileSuffix}`
    this.handle = handle
    this.offsetIndex = offsetIndex
    this.timeIndex = timeIndex
    this.txnIndex = new TxnIndex(io, `${dir}/${segmentFileName(baseOffset, TXN_INDEX_SUFFIX)}${fileSuffix}`)
    this.nextOffset = baseOffset
    this.offsetOfMaxTimestamp = baseOffset
    this.rollBaseTime = now
    this.indexIntervalBytes = settings.indexIntervalBytes
  }

  /**
   * A new, empty segment; stale files of the same name are emptied. `fileSuffix` follows
   * every file name: the log cleaner writes `.cleaned` segments (with an empty
   * `.txnindex`, so a swap always replaces the old one) before swapping them in.
   */
  static create(io: FileIO, dir: string, baseOffset: number, settings: SegmentSettings, now: number, fileSuffix = ''): LogSegment {
    const handle = io.open(`${dir}/${segmentFileName(baseOffset, LOG_SUFFIX)}${fileSuffix}`, 'rw')
    let offsetIndex: OffsetIndex | null = null
    try {
      io.truncate(handle, 0)
      offsetIndex = OffsetIndex.create(io, `${dir}/${segmentFileName(baseOffset, INDEX_SUFFIX)}${fileSuffix}`, baseOffset, maxEntries(settings, OFFSET_INDEX_ENTRY_SIZE))
      const timeIndex = TimeIndex.create(io, `${dir}/${segmentFileName(baseOffset, TIME_INDEX_SUFFIX)}${fileSuffix}`, baseOffset, maxEntries(settings, TIME_INDEX_ENTRY_SIZE))
      const segment = new LogSegment(io, dir, baseOffset, settings, handle, offsetIndex, timeIndex, now, fileSuffix)
      segment.dirty = true
      if (fileSuffix !== '') segment.txnIndex.file.rewrite(Buffer.alloc(0))
      else if (io.exists(segment.txnIndex.file.path)) segment.txnIndex.file.delete()
      return segment
    } catch (err) {
      offsetIndex?.file.releaseQuietly()
      io.close(handle)
      throw err
    }
  }

  /**
   * Opens an existing segment. With `recover`, every batch is checked (header, CRC) and the
   * .log is cut at the first bad or partial one, indexes rebuilt (see `truncatedBytes`).
   * Without it, the .log is trusted, but indexes that are missing or fail their sanity
   * checks, or a tail that does not end on a batch boundary, still trigger that recovery.
   */
  static open(io: FileIO, dir: string, baseOffset: number, settings: SegmentSettings, now: number, recover: boolean): LogSegment {
    const handle = io.open(`${dir}/${segmentFileName(baseOffset, LOG_SUFFIX)}`, 'rw')
    let segment: LogSegment | null = null
    try {
      const offsetIndex = OffsetIndex.load(io, `${dir}/${segmentFileName(baseOffset, INDEX_SUFFIX)}`, baseOffset, maxEntries(settings, OFFSET_INDEX_ENTRY_SIZE))
      const timeIndex = TimeIndex.load(io, `${dir}/${segmentFileName(baseOffset, TIME_INDEX_SUFFIX)}`, baseOffset, maxEntries(settings, TIME_INDEX_ENTRY_SIZE))
      segment = new LogSegment(io, dir, baseOffset, settings, handle, offsetIndex, timeIndex, now)
      segment.size = io.size(handle)
      segment.txnIndex.load()
      if (recover || !segment.loadFromIndexes()) segment.truncatedBytes = segment.recover()
      segment.txnIndex.truncateTo(segment.nextOffset)
      segment.rollBaseTime = segment.firstBatchTimestamp(now)
      return segment
    } catch (err) {
      // Close exactly once: a reused descriptor number must never be closed by mistake.
      if (segment !== null) segment.abandon()
      else io.close(handle)
      throw err
    }
  }

  get isActive(): boolean {
    return this.active
  }

  get isIndexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull
  }

  get isDirty(): boolean {
    return this.dirty || this.offsetIndex.file.isDirty || this.timeIndex.file.isDirty
  }

  /** The segment's largest timestamp for retention.ms; falls back to rollBaseTime when no batch has one. */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.rollBaseTime
  }

  applySettings(settings: SegmentSettings): void {
    this.indexIntervalBytes = settings.indexIntervalBytes
    this.offsetIndex.maxEntries = maxEntries(settings, OFFSET_INDEX_ENTRY_SIZE)
    this.timeIndex.maxEntries = maxEntries(settings, TIME_INDEX_ENTRY_SIZE)
  }

  /**
   * Appends whole batches already carrying their final offsets `firstOffset..lastOffset`,
   * in one positional write. `maxTimestamp` is their largest maxTimestamp and
   * `offsetOfMaxTimestamp` the last offset of the batch holding it.
   */
  append(records: Buffer, firstOffset: number, lastOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number, now: number): void {
    if (lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET || firstOffset < this.nextOffset) {
      throw new Error(`segment ${this.logPath}: cannot append offsets ${firstOffset}..${lastOffset} after ${this.nextOffset - 1}`)
    }
    const position = this.size
    this.io.write(this.handle, records, position)
    if (position === 0) this.rollBaseTime = now
    this.size = position + records.length
    this.dirty = true
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp
      this.offsetOfMaxTimestamp = offsetOfMaxTimestamp
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position)
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += records.length
    this.nextOffset = lastOffset + 1
  }

  /** Position of the batch holding `offset` (or of the first batch after it), −1 if the segment holds nothing at or after it. */
  findPosition(offset: number): number {
    if (offset >= this.nextOffset) return -1
    const c = cursor.begin(this.io, this.handle, this.offsetIndex.lookup(offset), this.size)
    try {
      while (c.load()) {
        const size = checkedSize(c, this.logPath)
        if (c.lastOffset >= offset) return c.pos
        c.pos += size
      }
      return -1
    } finally {
      c.finish()
    }
  }

  /** Calls `visit` with each batch header (in a shared buffer, at `at`) from the batch holding `fromOffset` to the end; returns how many. */
  forEachBatchHeader(fromOffset: number, visit: (buf: Buffer, at: number) => void): number {
    const start = this.findPosition(fromOffset)
    if (start < 0) return 0
    const c = cursor.begin(this.io, this.handle, start, this.size)
    let n = 0
    try {
      while (c.load()) {
        const size = checkedSize(c, this.logPath)
        visit(c.buf, c.at)
        n++
        c.pos += size
      }
    } finally {
      c.finish()
    }
    return n
  }

  /** Copies up to `length` bytes of the .log from `position` into `target`; returns the bytes copied. */
  readInto(position: number, target: Buffer, targetOffset: number, length: number): number {
    const n = Math.min(length, this.size - position)
    if (n <= 0) return 0
    return this.io.read(this.handle, target, targetOffset, n, position)
  }

  /** Up to `maxBytes` raw bytes of the .log from `startPosition` (not cut at a batch boundary). */
  read(startPosition: number, maxBytes: number): Buffer {
    const n = Math.max(0, Math.min(maxBytes, this.size - startPosition))
    const buf = Buffer.allocUnsafe(n)
    return buf.subarray(0, this.readInto(startPosition, buf, 0, n))
  }

  /** The whole batch starting at `position`. */
  readBatchAt(position: number): Buffer {
    const head = Buffer.allocUnsafe(LOG_OVERHEAD)
    if (this.readInto(position, head, 0, LOG_OVERHEAD) < LOG_OVERHEAD) throw new Error(`segment ${this.logPath}: no batch at position ${position}`)
    return this.read(position, head.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD)
  }

  /**
   * The first record at or after `startingOffset` whose timestamp is ≥ `timestamp`, found
   * through the time index then a forward scan, decoding the candidate batch (whatever
   * its codec) for the exact record.
   */
  findOffsetByTimestamp(timestamp: number, startingOffset: number): OffsetAndTimestamp | null {
    if (this.maxTimestamp < timestamp) return null
    let pos = this.offsetIndex.lookup(Math.max(this.timeIndex.lookup(timestamp), startingOffset))
    for (;;) {
      // Find the next candidate batch, then decode it outside the shared cursor.
      let candidate = -1
      let candidateSize = 0
      const c = cursor.begin(this.io, this.handle, pos, this.size)
      try {
        while (c.load()) {
          const size = checkedSize(c, this.logPath)
          if (c.lastOffset >= startingOffset && c.maxTimestamp >= timestamp) {
            candidate = c.pos
            candidateSize = size
            break
          }
          c.pos += size
        }
      } finally {
        c.finish()
      }
      if (candidate < 0) return null
      const found = this.findInBatch(candidate, (offset, ts) => offset >= startingOffset && ts >= timestamp)
      if (found !== null) return found
      pos = candidate + candidateSize
    }
  }

  /** The first record carrying the segment's largest timestamp, or null when no batch has a timestamp. */
  findMaxTimestampRecord(): OffsetAndTimestamp | null {
    if (this.maxTimestamp < 0) return null
    const pos = this.findPosition(this.offsetOfMaxTimestamp)
    if (pos < 0) return { offset: this.offsetOfMaxTimestamp, timestamp: this.maxTimestamp }
    const max = this.maxTimestamp
    return this.findInBatch(pos, (_offset, ts) => ts === max) ?? { offset: this.offsetOfMaxTimestamp, timestamp: max }
  }

  private findInBatch(position: number, match: (offset: number, timestamp: number) => boolean): OffsetAndTimestamp | null {
    const batch = this.readBatchAt(position)
    const codec = batchAttributes(batch, 0) & COMPRESSION_CODEC_MASK
    if (codec === Compression.NONE) {
      let result: OffsetAndTimestamp | null = null
      scanRecordTimestamps(batch, 0, (offset, ts) => {
        if (!match(offset, ts)) return false
        result = { offset, timestamp: ts }
        return true
      })
      return result
    }
    for (const r of decodeRecords(batch, 0)) if (match(r.offset, r.timestamp)) return { offset: r.offset, timestamp: r.timestamp }
    return null
  }

  /**
   * Checks every batch from position 0 (header sanity, offsets increasing and within the
   * segment's int32 range, CRC-32C), cuts the .log at the first bad or partial batch and
   * rebuilds both indexes. Returns the bytes cut. Batches larger than `maxBatchBytes`
   * count as corrupt; the default trusts any size the file can hold, because a topic's
   * max.message.bytes may have been lowered after larger batches were written.
   */
  recover(maxBatchBytes = Infinity): number {
    this.recovered = true
    const fileSize = this.io.size(this.handle)
    this.offsetIndex.beginRebuild()
    this.timeIndex.beginRebuild()
    let maxTimestamp = -1
    let offsetOfMaxTimestamp = this.baseOffset
    let bytesSinceIndex = 0
    let expectedOffset = this.baseOffset
    let pos = 0
    let buf = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(fileSize, BATCH_HEADER_SIZE)))
    let bufStart = 0
    let bufEnd = 0
    const fill = (from: number, need: number): void => {
      if (need > buf.length) buf = Buffer.allocUnsafe(need)
      const n = Math.min(buf.length, fileSize - from)
      bufStart = from
      bufEnd = from + this.io.read(this.handle, buf, 0, n, from)
    }
    while (pos + BATCH_HEADER_SIZE <= fileSize) {
      if (pos < bufStart || pos + BATCH_HEADER_SIZE > bufEnd) fill(pos, BATCH_HEADER_SIZE)
      if (pos + BATCH_HEADER_SIZE > bufEnd) break
      let at = pos - bufStart
      const size = buf.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
      if (size < BATCH_HEADER_SIZE || size > maxBatchBytes || pos + size > fileSize) break
      if (batchMagic(buf, at) !== CURRENT_MAGIC) break
      const base = batchBaseOffset(buf, at)
      const delta = batchLastOffsetDelta(buf, at)
      const last = base + delta
      if (base < expectedOffset || delta < 0 || last - this.baseOffset > MAX_RELATIVE_OFFSET) break
      if (pos + size > bufEnd) {
        fill(pos, size)
        if (pos + size > bufEnd) break
        at = 0
      }
      if (!isCrcValid(buf, at)) break
      const batchMax = batchMaxTimestamp(buf, at)
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax
        offsetOfMaxTimestamp = last
      }
      if (bytesSinceIndex > this.indexIntervalBytes) {
        this.offsetIndex.append(last, pos)
        this.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp, true)
        bytesSinceIndex = 0
      }
      bytesSinceIndex += size
      pos += size
      expectedOffset = last + 1
    }
    const truncated = fileSize - pos
    if (truncated > 0) this.io.truncate(this.handle, pos)
    this.offsetIndex.commitRebuild()
    this.timeIndex.commitRebuild()
    this.size = pos
    this.nextOffset = expectedOffset
    this.maxTimestamp = maxTimestamp
    this.offsetOfMaxTimestamp = offsetOfMaxTimestamp
    this.bytesSinceLastIndexEntry = bytesSinceIndex
    this.dirty = true
    return truncated
  }

  /** Trusts the .log: validates the loaded indexes, then scans headers after the last index entry for nextOffset and the largest timestamp. False when recovery is needed. */
  private loadFromIndexes(): boolean {
    if (!this.offsetIndex.isValid(this.size) || !this.timeIndex.loaded) return false
    const from = this.offsetIndex.lastPosition
    let expected = this.offsetIndex.entries === 0 ? this.baseOffset : -1
    let maxTimestamp = this.timeIndex.lastTimestamp
    let offsetOfMax = this.timeIndex.lastOffset
    let pos = from
    let sinceIndexEntry = 0
    const c = cursor.begin(this.io, this.handle, from, this.size)
    try {
      while (c.load()) {
        const size = c.size
        if (size < BATCH_HEADER_SIZE || pos + size > this.size || batchMagic(c.buf, c.at) !== CURRENT_MAGIC) return false
        // An index written by append() would have an entry here: it is incomplete (or
        // index.interval.bytes changed), so rebuild it rather than scan long tails forever.
        if (sinceIndexEntry > this.indexIntervalBytes) return false
        sinceIndexEntry += size
        if (expected < 0) {
          // The batch at the last index entry must be the one that entry names.
          if (c.lastOffset !== this.offsetIndex.lastOffset) return false
        } else if (c.baseOffset < expected) {
          return false
        }
        if (c.maxTimestamp > maxTimestamp) {
          maxTimestamp = c.maxTimestamp
          offsetOfMax = c.lastOffset
        }
        expected = c.lastOffset + 1
        pos += size
        c.pos = pos
      }
    } finally {
      c.finish()
    }
    if (pos !== this.size) return false
    const nextOffset = expected < 0 ? this.baseOffset : expected
    if (!this.timeIndex.isValid(nextOffset)) return false
    this.nextOffset = nextOffset
    this.maxTimestamp = maxTimestamp
    this.offsetOfMaxTimestamp = maxTimestamp >= 0 ? offsetOfMax : this.baseOffset
    this.bytesSinceLastIndexEntry = sinceIndexEntry
    return true
  }

  private firstBatchTimestamp(now: number): number {
    if (this.size < BATCH_HEADER_SIZE) return now
    const head = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
    if (this.readInto(0, head, 0, BATCH_HEADER_SIZE) < BATCH_HEADER_SIZE) return now
    const ts = batchMaxTimestamp(head, 0)
    return ts >= 0 ? Math.min(ts, now) : now
  }

  /**
   * Called when a newer segment takes over. Unlike Kafka, no final time-index entry is
   * written: the segment may already lie below the recovery point, and an unsynced write
   * to its index could then be torn by a crash without recovery ever looking at it. The
   * largest timestamp is recomputed on load from the last entries plus a short header scan.
   */
  onBecomeInactive(): void {
    this.active = false
  }

  /** fsyncs the .log alone if it changed: its appended batches are durable, the indexes (rebuilt by recovery) are not. */
  syncLog(): void {
    if (this.dirty) {
      this.io.datasync(this.handle)
      this.dirty = false
    }
  }

  /**
   * Lists the files written since the last flush (or hand-off) and forgets that they
   * were, for a caller that fsyncs them by path on another thread; an inactive segment
   * then lets go of its index descriptors, as flush() does.
   */
  handOffDirty(out: string[]): void {
    if (this.dirty) {
      out.push(this.logPath)
      this.dirty = false
    }
    if (this.offsetIndex.file.takeDirty()) out.push(this.offsetIndex.file.path)
    if (this.timeIndex.file.takeDirty()) out.push(this.timeIndex.file.path)
    if (this.txnIndex.file.takeDirty()) out.push(this.txnIndex.file.path)
    if (!this.active) {
      this.offsetIndex.file.release()
      this.timeIndex.file.release()
      this.txnIndex.file.release()
    }
  }

  /** fsyncs the .log and both indexes if anything changed; an inactive segment then lets go of its index descriptors. */
  flush(): void {
    if (this.dirty) {
      this.io.datasync(this.handle)
      this.dirty = false
    }
    this.offsetIndex.file.flush()
    this.timeIndex.file.flush()
    this.txnIndex.file.flush()
    if (!this.active) {
      this.offsetIndex.file.release()
      this.timeIndex.file.release()
      this.txnIndex.file.release()
    }
  }

  /** Flushes and closes every descriptor. */
  close(): void {
    if (this.closed) return
    this.onBecomeInactive()
    this.flush()
    this.closed = true
    this.io.close(this.handle)
  }

  /** Closes every descriptor without flushing (deletion, error paths). */
  abandon(): void {
    if (this.closed) return
    this.closed = true
    this.offsetIndex.file.releaseQuietly()
    this.timeIndex.file.releaseQuietly()
    this.txnIndex.file.releaseQuietly()
    try {
      this.io.close(this.handle)
    } catch {
      // Nothing is written through a descriptor we are dropping, so a failed close loses nothing.
    }
  }

  /** Closes without flushing and removes the three files. */
  delete(): void {
    this.abandon()
    unlinkIfExists(this.io, this.logPath)
    this.offsetIndex.file.delete()
    this.timeIndex.file.delete()
    this.txnIndex.file.delete()
  }
}

function checkedSize(c: HeaderCursor, path: string): number {
  const size = c.size
  if (size < BATCH_HEADER_SIZE) throw new Error(`segment ${path}: corrupt batch header at position ${c.pos}`)
  return size
}

function maxEntries(settings: SegmentSettings, entrySize: number): number {
  return Math.max(1, Math.floor(settings.segmentIndexBytes / entrySize))
}

function unlinkIfExists(io: FileIO, path: string): void {
  try {
    io.unlink(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

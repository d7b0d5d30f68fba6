// The log cleaner of one shard (Kafka's LogCleaner, LogCleanerManager, LogToClean and
// Cleaner): compacts the logs whose cleanup.policy has `compact`, keeping the newest
// record of each key. Runs on the shard thread that owns the logs, between the shard's
// other tasks, so it never races an append, a retention pass or a DeleteRecords on the
// same log (one writer per partition): a clean is split into steps of at most
// `stepBytes` of source (1 MiB: a few ms), each resuming where the last one stopped,
// while mapping the dirty section and while writing a group's cleaned segment, so the
// partitions sharing the shard keep being served however large the segments are. Each
// step checks that the segments it works on are still the log's before touching them.
//
// Rules, as Kafka's:
// - the dirty section runs from the cleaner checkpoint (firstDirtyOffset) to the first
//   uncleanable offset: the active segment, the last stable offset, and the first segment
//   whose largest timestamp is within min.compaction.lag.ms; a log is cleaned when its
//   dirty share of bytes passes min.cleanable.dirty.ratio, or when a record is older than
//   max.compaction.lag.ms (then the filthiest overdue log goes first);
// - the key → offset map is built over the dirty section (bounded by the dedupe buffer:
//   when it fills, the clean stops there and the next one continues);
// - every segment from the log start up to the map's end is rewritten, in groups of
//   consecutive segments that fit segment.bytes (groupSegmentsBySize), keeping a record
//   when its offset is the newest for its key (or past the map); offsets are kept;
// - a batch keeps its header (producer id, epoch, base sequence, base and last offset);
//   a batch left without records is dropped, unless it is its producer's last (kept empty
//   for producer state) or the last batch of a group (kept empty so every cleaned
//   segment ends where its source did: recovery reads a gap between segments as lost
//   data). Records of aborted transactions go; a marker goes once its transaction has
//   no records left and, for COMMIT/ABORT markers kept, after delete.retention.ms;
// - tombstones (null values) and markers of emptied transactions stay for
//   delete.retention.ms counted from the clean that first saw them (KIP-534: the batch
//   gets the delete-horizon flag and its base timestamp becomes that horizon);
// - retained records of a compressed batch are written back in the batch's codec.

import {
  ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK, Compression, DELETE_HORIZON_FLAG_MASK, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORDS_OFFSET, RECORD_COUNT_OFFSET, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_FLAG_MASK,
  batchBaseOffset, batchLastOffsetDelta, batchMaxTimestamp, readInt64, updateBatchCrc, writeInt64,
} from '../protocol/records/record-batch.ts'
import { compress, decompress } from '../protocol/records/compression.ts'
import { ControlType, controlTypeOf } from '../protocol/records/control-record.ts'
import { readVarint, sizeOfVarint, writeVarint, type VarintRead } from '../protocol/records/varint.ts'
import { SkimpyOffsetMap } from './cleaner-offset-map.ts'
import { CLEANED_SUFFIX, deleteCleanedFiles, swapCleanedSegment, type SwapStep } from './cleaner-swap.ts'
import type { LogConfig } from './log-config.ts'
import { LogSegment } from './log-segment.ts'
import type { PartitionLog } from './partition-log.ts'
import type { AbortedTxn } from './txn-index.ts'

export interface CleanerSettings {
  /** log.cleaner.dedupe.buffer.size for this shard: the offset map's memory. */
  dedupeBufferSize: number
  /** log.cleaner.io.buffer.load.factor: how full the map may get. */
  loadFactor: number
  /**
   * Source bytes one step may visit before it yields the shard: its appends wait while a
   * step runs, so a step must stay short (a few ms) whatever the segment size.
   */
  stepBytes: number
}

export const defaultCleanerSettings: Readonly<CleanerSettings> = Object.freeze({
  dedupeBufferSize: 128 * 1024 * 1024,
  loadFactor: 0.9,
  stepBytes: 1024 * 1024,
})

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy.includes('compact')
}

/** Kafka's LogToClean: where a log's dirty section lies and how dirty it is. */
export interface LogToClean {
  firstDirtyOffset: number
  firstUncleanableOffset: number
  cleanBytes: number
  cleanableBytes: number
  cleanableRatio: number
  /** A record is older than max.compaction.lag.ms: clean regardless of the ratio. */
  needCompactionNow: boolean
  /** How long past max.compaction.lag.ms the oldest dirty record is (ms). */
  compactionDelayMs: number
}

/** Kafka's LogCleanerManager.cleanableOffsets, calculateCleanableBytes and maxCompactionDelay. */
export function logToClean(log: PartitionLog, now: number): LogToClean {
  const config = log.config
  const segments = log.segmentList
  const active = segments[segments.length - 1]!
  let firstDirty = log.firstDirtyOffset
  if (firstDirty < log.logStartOffset || firstDirty > log.logEndOffset) firstDirty = log.logStartOffset
  let uncleanable = Math.min(log.lastStableOffset, active.baseOffset)
  const minLag = Math.max(config.minCompactionLagMs, 0)
  if (minLag > 0) {
    for (const s of segments) {
      if (s === active || s.nextOffset <= firstDirty) continue
      if (s.largestTimestamp > now - minLag) {
        uncleanable = Math.min(uncleanable, s.baseOffset)
        break
      }
    }
  }
  uncleanable = Math.max(firstDirty, uncleanable)
  // Bytes are counted in whole segments: those below the first dirty one are clean.
  let firstUncleanableSegmentBase = active.baseOffset
  for (const s of segments) {
    if (s !== active && s.nextOffset > uncleanable) {
      firstUncleanableSegmentBase = s.baseOffset
      break
    }
  }
  let cleanBytes = 0
  let cleanableBytes = 0
  let earliestDirty = Infinity
  for (const s of segments) {
    if (s === active) break
    if (s.nextOffset <= firstDirty) cleanBytes += s.size
    else if (s.baseOffset < firstUncleanableSegmentBase) cleanableBytes += s.size
    if (s.nextOffset > firstDirty) {
      // Kafka reads the first batch's timestamp; rollBaseTime is that (or the storage clock at the segment's first append).
      const first = s.rollBaseTime
      if (first > 0 && first < earliestDirty) earliestDirty = first
    }
  }
  const cleanUntil = now - Math.max(config.maxCompactionLagMs, 0)
  const compactionDelayMs = earliestDirty < cleanUntil ? cleanUntil - earliestDirty : 0
  const total = cleanBytes + cleanableBytes
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: uncleanable,
    cleanBytes,
    cleanableBytes,
    cleanableRatio: total === 0 ? 0 : cleanableBytes / total,
    needCompactionNow: compactionDelayMs > 0,
    compactionDelayMs,
  }
}

/** Whether `ltc` should be cleaned now (Kafka's grabFilthiestCompactedLog filter). */
export function shouldClean(log: PartitionLog, ltc: LogToClean): boolean {
  if (ltc.cleanableBytes === 0 || ltc.firstUncleanableOffset <= ltc.firstDirtyOffset) return false
  return ltc.needCompactionNow || ltc.cleanableRatio > log.config.minCleanableDirtyRatio
}

export interface CleanerStats {
  bytesRead: number
  bytesWritten: number
  recordsRead: number
  recordsRetained: number
}

/** What a finished clean tells the log manager: the log's new first dirty offset (for the checkpoint). */
export interface CleanedLog {
  log: PartitionLog
  firstDirtyOffset: number
}

export interface StepResult extends CleanerStats {
  /** A clean is under way: more steps are needed. */
  busy: boolean
  /** Set when a clean finished in this step. */
  cleaned: CleanedLog | null
  /** Set when a clean was abandoned (its log changed or closed under it). */
  abandoned: PartitionLog | null
}

interface Session {
  log: PartitionLog
  /** While the offset map is being built (over several steps); null once it is. */
  mapping: MapBuild | null
  /** The map's end: records at or past it are kept whatever their key. */
  endOffset: number
  upperBound: number
  groups: LogSegment[][]
  next: number
  txn: CleanedTransactionMetadata
  /** The group being cleaned, when a step stopped inside it. */
  current: GroupClean | null
}

/** Where building the offset map stopped: the next step resumes there. */
interface MapBuild {
  start: number
  end: number
  maxKeys: number
  txn: CleanedTransactionMetadata
  dirty: LogSegment[]
  index: number
  /** Byte position in dirty[index]; −1: from the dirty start's index entry. */
  position: number
  done: boolean
}

/** A group's cleaned segment being written; its sources are read from (index, position). */
interface GroupClean {
  cleaned: LogSegment
  filter: FilterContext
  index: number
  position: number
}

/** Source bytes a step may still visit. */
interface Budget {
  left: number
}

/**
 * One shard's cleaner. `step(logs, now)` does a bounded amount of work: maps the dirty
 * section of the filthiest log, or cleans the next group of segments of the clean under
 * way. Tests may pass `afterSwapStep` to crash between the steps of a swap.
 */
export class LogCleaner {
  readonly settings: CleanerSettings
  private map: SkimpyOffsetMap | null = null
  private session: Session | null = null
  afterSwapStep: ((step: SwapStep) => void) | undefined = undefined
  /** Called with each cleaned segment's files written and synced, before the swap starts (crash tests). */
  beforeSwap: (() => void) | undefined = undefined

  constructor(settings: Partial<CleanerSettings> = {}) {
    this.settings = { ...defaultCleanerSettings, ...settings }
  }

  get busy(): boolean {
    return this.session !== null
  }

  /** Forgets the clean under way (its log is being closed, deleted or lost). */
  abandon(log?: PartitionLog): void {
    if (this.session === null || (log !== undefined && this.session.log !== log)) return
    this.abandonCurrent(this.session)
    this.session = null
  }

  /** Picks the log to clean among `logs`, as Kafka does: overdue ones first, then the dirtiest ratio. */
  pick(logs: Iterable<PartitionLog>, now: number): { log: PartitionLog; ltc: LogToClean } | null {
    let best: { log: PartitionLog; ltc: LogToClean } | null = null
    for (const log of logs) {
      if (!isCompacted(log.config) || !log.isWritable) continue
      const ltc = logToClean(log, now)
      if (!shouldClean(log, ltc)) continue
      if (best === null || compareFilth(ltc, best.ltc) > 0) best = { log, ltc }
    }
    return best
  }

  /** One bounded unit of cleaning work over the shard's `logs`. */
  step(logs: Iterable<PartitionLog>, now: number): StepResult {
    const stats: StepResult = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, busy: false, cleaned: null, abandoned: null }
    const budget: Budget = { left: this.settings.stepBytes }
    if (this.session === null) {
      const picked = this.pick(logs, now)
      if (picked === null) return stats
      this.begin(picked.log, picked.ltc)
    }
    this.advance(now, stats, budget)
    stats.busy = this.session !== null
    return stats
  }

  /** Cleans `log` to the end in one go (tests, bench): the steps of one clean back to back. */
  cleanNow(log: PartitionLog, now: number): StepResult {
    const total: StepResult = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, busy: false, cleaned: null, abandoned: null }
    const ltc = logToClean(log, now)
    if (ltc.firstUncleanableOffset <= ltc.firstDirtyOffset) return total
    this.abandon()
    this.begin(log, ltc)
    while (this.session !== null) this.advance(now, total, { left: this.settings.stepBytes })
    return total
  }

  private offsetMap(want: number): SkimpyOffsetMap {
    // Sized to what the dirty section can hold (at most one key per offset), within the dedupe buffer.
    const bytes = Math.min(this.settings.dedupeBufferSize, Math.max(1024, Math.ceil(want / this.settings.loadFactor) * 24 + 24))
    if (this.map === null || this.map.slots * 24 < bytes || this.map.slots * 24 > bytes * 4) this.map = new SkimpyOffsetMap(bytes)
    else this.map.clear()
    return this.map
  }

  private begin(log: PartitionLog, ltc: LogToClean): void {
    const map = this.offsetMap(ltc.firstUncleanableOffset - ltc.firstDirtyOffset)
    const start = ltc.firstDirtyOffset
    const end = ltc.firstUncleanableOffset
    const txn = new CleanedTransactionMetadata()
    txn.addAbortedTransactions(log.abortedTxns(start, end))
    const segments = log.segmentList
    const dirty = segments.filter((s, i) => i < segments.length - 1 && s.nextOffset > start && s.baseOffset < end)
    this.session = {
      log,
      mapping: { start, end, maxKeys: Math.floor(map.slots * this.settings.loadFactor), txn, dirty, index: 0, position: -1, done: false },
      endOffset: -1,
      upperBound: end,
      groups: [],
      next: 0,
      txn: new CleanedTransactionMetadata(),
      current: null,
    }
  }

  private advance(now: number, stats: StepResult, budget: Budget): void {
    const session = this.session!
    if (session.mapping !== null) {
      this.mapStep(session, session.mapping, stats, budget)
      if (this.session === null || session.mapping !== null || budget.left <= 0) return
    }
    this.cleanGroups(now, stats, budget)
  }

  /** Forgets the clean under way because its log changed under it (retention, DeleteRecords, a close). */
  private drop(stats: StepResult): void {
    const session = this.session!
    this.abandonCurrent(session)
    this.session = null
    stats.abandoned = session.log
  }

  private abandonCurrent(session: Session): void {
    const current = session.current
    if (current === null) return
    session.current = null
    session.txn.cleanedIndex = null
    current.cleaned.abandon()
    deleteCleanedFiles(session.log.fileIO, session.log.dir, current.cleaned.baseOffset)
  }

  private mapStep(session: Session, m: MapBuild, stats: StepResult, budget: Budget): void {
    const { log } = session
    const segments = log.segmentList
    if (!log.isWritable || m.dirty.slice(m.index).some((s) => !segments.includes(s))) return this.drop(stats)
    try {
      buildOffsetMap(m, this.map!, stats, budget)
    } catch (err) {
      this.session = null
      throw log.failedClean(err)
    }
    if (!m.done) return
    session.mapping = null
    const map = this.map!
    if (map.latestOffset < 0) {
      // Nothing to map (the dirty section holds no keyed records): it is clean as it is.
      log.firstDirtyOffset = m.end
      this.session = null
      return
    }
    session.endOffset = map.latestOffset + 1
    const toClean = segments.slice(0, segments.length - 1).filter((s) => s.baseOffset < session.endOffset)
    const config = log.config
    session.groups = groupSegmentsBySize(toClean, config.segmentBytes, config.segmentIndexBytes, m.end)
  }

  private cleanGroups(now: number, stats: StepResult, budget: Budget): void {
    const session = this.session!
    const { log } = session
    while (session.next < session.groups.length && budget.left > 0) {
      const group = session.groups[session.next]!
      const segments = log.segmentList
      const at = log.isWritable ? segments.indexOf(group[0]!) : -1
      if (at < 0 || group.some((s, i) => segments[at + i] !== s) || at + group.length >= segments.length) {
        // Retention, DeleteRecords or a close changed the log since the map was built: start over next time.
        return this.drop(stats)
      }
      try {
        if (!this.cleanSegments(session, group, now, stats, budget)) return
      } catch (err) {
        this.abandonCurrent(session)
        this.session = null
        throw log.failedClean(err)
      }
      session.next++
    }
    if (session.next >= session.groups.length) {
      log.firstDirtyOffset = session.endOffset
      stats.cleaned = { log, firstDirtyOffset: session.endOffset }
      this.session = null
    }
  }

  /**
   * Writes the group's cleaned segment as far as the budget goes; once every source is
   * read, swaps it in and returns true. The partial `.cleaned` files between steps are
   * never part of the log: a crash leaves them to recovery, which deletes them.
   */
  private cleanSegments(session: Session, group: LogSegment[], now: number, stats: CleanerStats, budget: Budget): boolean {
    const { log } = session
    const io = log.fileIO
    const dir = log.dir
    const base = group[0]!.baseOffset
    const config = log.config
    if (session.current === null) {
      const cleaned = LogSegment.create(io, dir, base, { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes }, now, CLEANED_SUFFIX)
      const lastRecords = log.producers.lastRecords()
      const filter: FilterContext = { map: this.map!, mapEnd: session.endOffset, now, deleteRetentionMs: config.deleteRetentionMs, lastRecords, txn: session.txn, out: cleaned, stats }
      session.current = { cleaned, filter, index: 0, position: 0 }
    }
    const current = session.current
    current.filter.stats = stats
    session.txn.cleanedIndex = current.cleaned
    while (current.index < group.length) {
      const segment = group[current.index]!
      if (current.position === 0) {
        const next = group[current.index + 1]
        const upper = next === undefined ? segment.nextOffset : next.baseOffset
        session.txn.addAbortedTransactions(log.abortedTxns(segment.baseOffset, upper))
      }
      const resumeAt = cleanInto(segment, current.filter, current.index === group.length - 1, current.position, budget)
      if (resumeAt >= 0) {
        current.position = resumeAt
        return false
      }
      current.index++
      current.position = 0
    }
    session.txn.cleanedIndex = null
    session.current = null
    const cleaned = current.cleaned
    try {
      cleaned.onBecomeInactive()
      cleaned.close()
    } catch (err) {
      cleaned.abandon()
      deleteCleanedFiles(io, dir, base)
      throw err
    }
    this.beforeSwap?.()
    swapCleanedSegment(io, dir, base, group.map((s) => s.baseOffset), this.afterSwapStep)
    for (const s of group) s.abandon()
    const settings = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes }
    const fresh = LogSegment.open(io, dir, base, settings, now, false)
    fresh.onBecomeInactive()
    log.replaceSegments(group, fresh)
    return true
  }
}

function compareFilth(a: LogToClean, b: LogToClean): number {
  if (a.needCompactionNow !== b.needCompactionNow) return a.needCompactionNow ? 1 : -1
  if (a.needCompactionNow && a.compactionDelayMs !== b.compactionDelayMs) return a.compactionDelayMs - b.compactionDelayMs
  return a.cleanableRatio - b.cleanableRatio
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments merged while their bytes fit
 * `maxSize`, their indexes `maxIndexSize`, and their offsets one int32 range.
 */
export function groupSegmentsBySize(segments: readonly LogSegment[], maxSize: number, maxIndexSize: number, firstUncleanableOffset: number): LogSegment[][] {
  const groups: LogSegment[][] = []
  let i = 0
  while (i < segments.length) {
    const first = segments[i]!
    const group = [first]
    let logSize = first.size
    let indexSize = first.offsetIndex.entries * 8
    let timeIndexSize = first.timeIndex.entries * 12
    i++
    while (i < segments.length) {
      const s = segments[i]!
      const lastOffset = i + 1 < segments.length ? segments[i + 1]!.baseOffset - 1 : firstUncleanableOffset - 1
      if (logSize + s.size > maxSize || indexSize + s.offsetIndex.entries * 8 > maxIndexSize || timeIndexSize + s.timeIndex.entries * 12 > maxIndexSize) break
      if (s.size > 0 && lastOffset - first.baseOffset > 0x7fffffff) break
      group.push(s)
      logSize += s.size
      indexSize += s.offsetIndex.entries * 8
      timeIndexSize += s.timeIndex.entries * 12
      i++
    }
    groups.push(group)
  }
  return groups
}

// ---- reading batches ----

const IO_CHUNK = 1024 * 1024

/**
 * Calls `visit` with every whole batch of `segment` from `position`, through one
 * read-ahead buffer. Returns the position of the batch whose visit returned true (it
 * stopped there), or −1 once the segment is read to its end.
 */
function forEachBatch(segment: LogSegment, position: number, stats: CleanerStats, visit: (buf: Buffer, at: number, size: number) => boolean | void): number {
  let buf = Buffer.allocUnsafe(Math.min(IO_CHUNK, Math.max(BATCH_HEADER_SIZE, segment.size - position)))
  let pos = position
  while (pos + BATCH_HEADER_SIZE <= segment.size) {
    const n = segment.readInto(pos, buf, 0, Math.min(buf.length, segment.size - pos))
    stats.bytesRead += n
    let at = 0
    while (at + LOG_OVERHEAD <= n) {
      const size = buf.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
      if (size < BATCH_HEADER_SIZE) throw new Error(`corrupt batch at position ${pos + at} of ${segment.logPath}`)
      if (at + size > n) break
      if (visit(buf, at, size) === true) return pos + at
      at += size
    }
    if (at === 0) {
      // One batch larger than the buffer: grow to it.
      const size = buf.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
      if (pos + size > segment.size) throw new Error(`batch at position ${pos} runs past the end of ${segment.logPath}`)
      buf = Buffer.allocUnsafe(size)
      continue
    }
    pos += at
  }
  return -1
}

function isControl(buf: Buffer, at: number): boolean {
  return (buf.readInt16BE(at + ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0
}

function isTransactional(buf: Buffer, at: number): boolean {
  return (buf.readInt16BE(at + ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0
}

function producerIdOf(buf: Buffer, at: number): number {
  return readInt64(buf, at + PRODUCER_ID_OFFSET)
}

function lastOffsetOf(buf: Buffer, at: number): number {
  return batchBaseOffset(buf, at) + batchLastOffsetDelta(buf, at)
}

/** One record's place inside a (decompressed) batch body. */
interface RecordSpan {
  start: number
  end: number
  /** Where the timestamp delta starts (after the length and the attributes byte). */
  tsAt: number
  /** Where the offset delta starts. */
  offsetDeltaAt: number
  timestampDelta: number
  offsetDelta: number
  keyStart: number
  keyLength: number
  hasValue: boolean
}

const v: VarintRead = { value: 0, next: 0 }

function scanRecords(body: Buffer, count: number, visit: (r: RecordSpan) => void): void {
  let p = 0
  for (let i = 0; i < count; i++) {
    const length = readVarint(body, p, body.length, v).value
    const start = p
    const recordEnd = v.next + length
    if (length < 0 || recordEnd > body.length) throw new RangeError(`record ${i} runs past the end of its batch`)
    const tsAt = v.next + 1
    const timestampDelta = readVarint(body, tsAt, recordEnd, v).value
    const offsetDeltaAt = v.next
    const offsetDelta = readVarint(body, offsetDeltaAt, recordEnd, v).value
    const keyLength = readVarint(body, v.next, recordEnd, v).value
    const keyStart = v.next
    const valueLength = readVarint(body, keyStart + Math.max(keyLength, 0), recordEnd, v).value
    visit({ start, end: recordEnd, tsAt, offsetDeltaAt, timestampDelta, offsetDelta, keyStart, keyLength, hasValue: valueLength >= 0 })
    p = recordEnd
  }
}

function bodyOf(buf: Buffer, at: number, size: number): Buffer {
  const codec = buf.readInt16BE(at + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK
  return decompress(codec, buf.subarray(at + RECORDS_OFFSET, at + size))
}

// ---- building the map ----

/**
 * Kafka's buildOffsetMap: keys of the committed records in [start, end), until the map
 * holds `maxKeys`, resumed where the last step stopped and stopped when `budget` is spent.
 */
function buildOffsetMap(m: MapBuild, map: SkimpyOffsetMap, stats: CleanerStats, budget: Budget): void {
  const { start, end, txn } = m
  while (m.index < m.dirty.length) {
    const segment = m.dirty[m.index]!
    const nextStart = m.index + 1 < m.dirty.length ? m.dirty[m.index + 1]!.baseOffset : end
    let full = false
    let spent = false
    const from = m.position < 0 ? segment.offsetIndex.lookup(start) : m.position
    const stoppedAt = forEachBatch(segment, from, stats, (buf, at, size) => {
      if (budget.left <= 0) {
        spent = true
        return true
      }
      budget.left -= size
      const base = batchBaseOffset(buf, at)
      if (base >= end) return true
      const last = lastOffsetOf(buf, at)
      if (isControl(buf, at)) {
        txn.onControlBatchRead(buf, at)
      } else if (!txn.onBatchRead(buf, at)) {
        const count = buf.readInt32BE(at + RECORD_COUNT_OFFSET)
        const body = bodyOf(buf, at, size)
        let stop = false
        scanRecords(body, count, (r) => {
          if (stop) return
          stats.recordsRead++
          const offset = base + r.offsetDelta
          if (r.keyLength < 0 || offset < start) return
          if (map.size >= m.maxKeys && map.get(body, r.keyStart, r.keyStart + r.keyLength) < 0) {
            stop = true
            return
          }
          map.put(body, offset, r.keyStart, r.keyStart + r.keyLength)
        })
        if (stop) {
          full = true
          return true
        }
      }
      if (last >= start) map.updateLatestOffset(last)
    })
    if (spent) {
      m.position = stoppedAt
      return
    }
    if (full) break
    // Offsets missing at the segment's end (an earlier clean) are covered too.
    map.updateLatestOffset(nextStart - 1)
    m.index++
    m.position = -1
  }
  m.done = true
}

// ---- cleaning ----

interface FilterContext {
  map: SkimpyOffsetMap
  mapEnd: number
  now: number
  deleteRetentionMs: number
  lastRecords: Map<number, { lastDataOffset: number; epoch: number }>
  txn: CleanedTransactionMetadata
  out: LogSegment
  stats: CleanerStats
}

/**
 * Kafka's cleanInto + MemoryRecords.filterTo for one source segment, from `position`
 * until `budget` is spent: returns where to resume, or −1 once the segment is done.
 */
function cleanInto(segment: LogSegment, f: FilterContext, lastOfGroup: boolean, position: number, budget: Budget): number {
  const { stats } = f
  const segmentNext = segment.nextOffset
  let spent = false
  const stoppedAt = forEachBatch(segment, position, stats, (buf, at, size) => {
    if (budget.left <= 0) {
      spent = true
      return true
    }
    budget.left -= size
    filterBatch(buf, at, size)
  })
  return spent ? stoppedAt : -1

  function filterBatch(buf: Buffer, at: number, size: number): void {
    const baseOffset = batchBaseOffset(buf, at)
    const lastOffset = lastOffsetOf(buf, at)
    const attributes = buf.readInt16BE(at + ATTRIBUTES_OFFSET)
    const control = (attributes & CONTROL_FLAG_MASK) !== 0
    const producerId = producerIdOf(buf, at)
    const hasHorizon = (attributes & DELETE_HORIZON_FLAG_MASK) !== 0
    const horizon = hasHorizon ? readInt64(buf, at + BASE_TIMESTAMP_OFFSET) : -1
    // Control batches and aborted transactions (checkBatchRetention).
    const canDiscard = control ? f.txn.onControlBatchRead(buf, at) : f.txn.onBatchRead(buf, at)
    const discardRecords = control ? canDiscard && hasHorizon && horizon <= f.now : canDiscard
    const last = f.lastRecords.get(producerId)
    const lastOfProducer = producerId >= 0 && last !== undefined && (last.lastDataOffset >= 0 ? lastOffset === last.lastDataOffset : control && buf.readInt16BE(at + PRODUCER_EPOCH_OFFSET) === last.epoch)
    const keepEmpty = lastOfProducer || (lastOfGroup && lastOffset + 1 === segmentNext)
    if (discardRecords && !keepEmpty) return
    const containsMarkerForEmptyTxn = canDiscard && control

    const count = buf.readInt32BE(at + RECORD_COUNT_OFFSET)
    const codec = attributes & COMPRESSION_CODEC_MASK
    const body = count === 0 ? Buffer.alloc(0) : bodyOf(buf, at, size)
    const kept: RecordSpan[] = []
    let containsTombstones = false
    let allKept = true
    scanRecords(body, count, (r) => {
      stats.recordsRead++
      let retain: boolean
      if (discardRecords) retain = false
      else if (control) retain = true
      else retain = shouldRetainRecord(f, body, r, baseOffset + r.offsetDelta, hasHorizon, horizon)
      if (!retain) {
        allKept = false
        return
      }
      kept.push(r)
      if (!r.hasValue) containsTombstones = true
    })
    stats.recordsRetained += kept.length
    if (kept.length === 0) {
      if (!keepEmpty) return
      append(f, emptyBatch(buf, at), baseOffset, lastOffset, batchMaxTimestamp(buf, at))
      return
    }
    const needHorizon = (containsTombstones || containsMarkerForEmptyTxn) && !hasHorizon
    if (allKept && !needHorizon) {
      const copy = Buffer.from(buf.subarray(at, at + size))
      append(f, copy, baseOffset, lastOffset, batchMaxTimestamp(buf, at))
      return
    }
    const rebuilt = rebuildBatch(buf, at, body, kept, codec, needHorizon ? f.now + f.deleteRetentionMs : horizon)
    append(f, rebuilt, baseOffset, lastOffset, batchMaxTimestamp(rebuilt, 0))
  }
}

function shouldRetainRecord(f: FilterContext, body: Buffer, r: RecordSpan, offset: number, hasHorizon: boolean, horizon: number): boolean {
  if (offset >= f.mapEnd) return true
  if (r.keyLength < 0) return false // Kafka counts a keyless record in a compacted log as invalid and drops it
  const found = f.map.get(body, r.keyStart, r.keyStart + r.keyLength)
  if (offset < found) return false
  return r.hasValue || !hasHorizon || f.now < horizon
}

function append(f: FilterContext, batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
  f.out.append(batch, baseOffset, lastOffset, maxTimestamp, lastOffset, f.now)
  f.stats.bytesWritten += batch.length
}

/** Kafka's DefaultRecordBatch.writeEmptyHeader: the batch's offsets and producer fields, no records, uncompressed. */
function emptyBatch(buf: Buffer, at: number): Buffer {
  const out = Buffer.from(buf.subarray(at, at + BATCH_HEADER_SIZE))
  const attributes = buf.readInt16BE(at + ATTRIBUTES_OFFSET)
  out.writeInt32BE(BATCH_HEADER_SIZE - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  out.writeInt16BE(attributes & ~COMPRESSION_CODEC_MASK & ~DELETE_HORIZON_FLAG_MASK, ATTRIBUTES_OFFSET)
  const maxTimestamp = batchMaxTimestamp(buf, at)
  writeInt64(out, BASE_TIMESTAMP_OFFSET, maxTimestamp)
  writeInt64(out, MAX_TIMESTAMP_OFFSET, maxTimestamp)
  out.writeInt32BE(0, RECORD_COUNT_OFFSET)
  updateBatchCrc(out, 0)
  return out
}

/**
 * The batch at `at` with only the `kept` records, in the same codec, keeping its base
 * and last offsets and producer fields. With a delete horizon (≥ 0) the base timestamp
 * becomes the horizon and the records' timestamp deltas are rewritten against it.
 */
function rebuildBatch(buf: Buffer, at: number, body: Buffer, kept: RecordSpan[], codec: number, horizon: number): Buffer {
  const attributes = buf.readInt16BE(at + ATTRIBUTES_OFFSET)
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0
  const oldBase = readInt64(buf, at + BASE_TIMESTAMP_OFFSET)
  const newBase = horizon >= 0 ? horizon : oldBase
  const parts: Buffer[] = []
  let maxTimestamp = -1
  for (const r of kept) {
    const timestamp = oldBase + r.timestampDelta
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    if (newBase === oldBase) {
      parts.push(body.subarray(r.start, r.end))
      continue
    }
    // length | attributes | timestampDelta | rest: only the delta (and so the length) change.
    const delta = timestamp - newBase
    const rest = body.subarray(r.offsetDeltaAt, r.end)
    const inner = 1 + sizeOfVarint(delta) + rest.length
    const rec = Buffer.allocUnsafe(sizeOfVarint(inner) + inner)
    let p = writeVarint(rec, 0, inner)
    rec[p++] = body[r.tsAt - 1]!
    p = writeVarint(rec, p, delta)
    rest.copy(rec, p)
    parts.push(rec)
  }
  const records = Buffer.concat(parts)
  const payload = codec === Compression.NONE ? records : compress(codec, records)
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length)
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE)
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  out.writeInt16BE(horizon >= 0 ? attributes | DELETE_HORIZON_FLAG_MASK : attributes, ATTRIBUTES_OFFSET)
  writeInt64(out, BASE_TIMESTAMP_OFFSET, newBase)
  if (!logAppendTime) writeInt64(out, MAX_TIMESTAMP_OFFSET, maxTimestamp)
  out.writeInt32BE(kept.length, RECORD_COUNT_OFFSET)
  // The last offset delta and base sequence stay: the producer's last sequence must survive.
  out.writeInt32BE(buf.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET), LAST_OFFSET_DELTA_OFFSET)
  out.writeInt32BE(buf.readInt32BE(at + BASE_SEQUENCE_OFFSET), BASE_SEQUENCE_OFFSET)
  payload.copy(out, BATCH_HEADER_SIZE)
  updateBatchCrc(out, 0)
  return out
}

// ---- transactions (Kafka's CleanedTransactionMetadata) ----

class CleanedTransactionMetadata {
  private readonly ongoingCommitted = new Set<number>()
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; lastObservedBatchOffset: number }>()
  private pending: AbortedTxn[] = []
  private readonly seen = new Set<number>()
  /** The cleaned segment whose .txnindex gets the aborted transactions whose markers stay. */
  cleanedIndex: LogSegment | null = null

  addAbortedTransactions(txns: AbortedTxn[]): void {
    let added = false
    for (const t of txns) {
      if (this.seen.has(t.lastOffset)) continue
      this.seen.add(t.lastOffset)
      this.pending.push(t)
      added = true
    }
    if (added) this.pending.sort((a, b) => a.firstOffset - b.firstOffset)
  }

  private consumeUpTo(offset: number): void {
    let i = 0
    while (i < this.pending.length && this.pending[i]!.firstOffset <= offset) {
      const t = this.pending[i]!
      if (!this.ongoingAborted.has(t.producerId)) this.ongoingAborted.set(t.producerId, { txn: t, lastObservedBatchOffset: -1 })
      i++
    }
    if (i > 0) this.pending = this.pending.slice(i)
  }

  /** Whether the control batch at `at` may be discarded. */
  onControlBatchRead(buf: Buffer, at: number): boolean {
    this.consumeUpTo(lastOffsetOf(buf, at))
    if (buf.readInt32BE(at + RECORD_COUNT_OFFSET) === 0) return true // already emptied by an earlier clean
    const producerId = producerIdOf(buf, at)
    const type = controlTypeOf(buf, at)
    if (type === ControlType.ABORT) {
      const aborted = this.ongoingAborted.get(producerId)
      this.ongoingAborted.delete(producerId)
      if (aborted !== undefined && aborted.lastObservedBatchOffset >= 0) {
        // Its records are still in the log: the marker and its index entry stay.
        this.cleanedIndex?.txnIndex.append(aborted.txn)
        return false
      }
      return true
    }
    if (type === ControlType.COMMIT) return !this.ongoingCommitted.delete(producerId)
    return false
  }

  /** Whether the data batch at `at` belongs to an aborted transaction. */
  onBatchRead(buf: Buffer, at: number): boolean {
    this.consumeUpTo(lastOffsetOf(buf, at))
    if (!isTransactional(buf, at)) return false
    const producerId = producerIdOf(buf, at)
    const aborted = this.ongoingAborted.get(producerId)
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = lastOffsetOf(buf, at)
      return true
    }
    this.ongoingCommitted.add(producerId)
    return false
  }
}

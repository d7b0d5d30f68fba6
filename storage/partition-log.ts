// The log of one partition: the directory `<dataDir>/<topic>-<partition>/` and every
// segment in it, oldest first, the last one active. Owns the partition's offsets:
// logStartOffset ≤ every readable offset < logEndOffset; offsets are contiguous from the
// first segment's base (a recovered log is a prefix of what was written); recoveryPoint
// is the offset below which everything has been fsynced. Single writer, synchronous I/O.

import { ErrorCode } from '../protocol/error-codes.ts'
import {
  BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, LOG_OVERHEAD, batchBaseOffset, batchLastOffsetDelta, batchMaxTimestamp,
  setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch,
} from '../protocol/records/record-batch.ts'
import { isNotFound, type FileIO } from './file-io.ts'
import type { LogConfig } from './log-config.ts'
import {
  INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX, parseSegmentFileName, segmentFileName,
  type OffsetAndTimestamp, type SegmentSettings,
} from './log-segment.ts'
import { StorageError } from './storage-error.ts'
import { ProducerStateManager, producerBatchAt, type CompletedTxn, type ProducerBatch } from './producer-state.ts'
import { buildEndTxnMarkerBatch } from '../protocol/records/record-batch-builder.ts'
import { SNAPSHOT_SUFFIX } from './log-file-names.ts'
import { TXN_INDEX_SUFFIX, type AbortedTxn } from './txn-index.ts'
import { recoverCleanerSwaps } from './cleaner-swap.ts'

export { StorageError } from './storage-error.ts'
export type { OffsetAndTimestamp } from './log-segment.ts'

/** ListOffsets special timestamps. */
export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  EARLIEST_LOCAL: -4,
  LATEST_TIERED: -5,
} as const

export interface OpenLogOptions {
  /** The data dir had a clean-shutdown marker: trust the segments. */
  clean: boolean
  /** From recovery-point-offset-checkpoint; segments holding offsets at or above it are recovered when not clean. */
  recoveryPoint: number
  /** From log-start-offset-checkpoint, if any. */
  logStartOffset?: number
  now: number
  /** producer.id.expiration.ms: producers idle longer are dropped while loading. */
  producerIdExpirationMs?: number
  /** From cleaner-offset-checkpoint: the first offset the log cleaner has not cleaned. */
  cleanerCheckpoint?: number
}

export interface AppendResult {
  baseOffset: number
  lastOffset: number
  /** The broker time written into the batch under LogAppendTime, else −1. */
  logAppendTime: number
  logStartOffset: number
  /** A retried idempotent batch already in the log: nothing was written, the offsets are the first write's. */
  duplicate: boolean
}

export interface ReadOptions {
  /** Return the first batch whole even if it alone exceeds maxBytes. */
  minOneBatch: boolean
  /** Stop before the first batch whose base offset is at or past this (e.g. a last stable offset). */
  maxOffset?: number
}

/**
 * Where a read places its bytes: `buf` from `pos` on. A fetch passes its response buffer,
 * so segment bytes go from the file straight to where they are sent from.
 */
export interface ReadSink {
  buf: Buffer
  pos: number
  /** Makes room for `bytes` after `pos` (keeping what is before `pos`) and returns the buffer, which may be a new one. */
  reserve(bytes: number): Buffer
}

/** A sink of its own: each read gets a fresh buffer of the size it needs. */
class FreshSink implements ReadSink {
  buf: Buffer = EMPTY
  pos = 0
  reserve(bytes: number): Buffer {
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes)
    return this.buf
  }
}

export interface ReadResult {
  /** Whole batches, back to back; empty when nothing is available. */
  records: Buffer
  highWatermark: number
  logStartOffset: number
  logEndOffset: number
}

/** What opening the log had to repair, for the caller to log. */
export interface RecoveryReport {
  recoveredSegments: number
  truncatedBytes: number
  deletedSegments: number
  /** Batch headers replayed to rebuild producer state after the latest usable snapshot. */
  replayedBatches: number
}

export { SNAPSHOT_SUFFIX }
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/
// Snapshots kept besides those at segment bases: enough that one still lies below the log
// end when a crash lost the unsynced tail that the newest ones describe.
const SNAPSHOTS_TO_KEEP = 3

const EMPTY = Buffer.alloc(0)
const NEXT_READ_HINTS = 16
const MAX_RELATIVE_OFFSET = 0x7fffffff

function settingsOf(config: LogConfig): SegmentSettings {
  return { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export class PartitionLog {
  readonly dir: string
  private readonly io: FileIO
  private _config: LogConfig
  private readonly segments: LogSegment[]
  /** rememberNextRead: offset → where its batch starts. */
  private readonly nextReads = new Map<number, { segment: LogSegment; position: number }>()
  logStartOffset: number
  recoveryPoint: number
  readonly recoveryReport: RecoveryReport
  private dirNeedsSync = false
  private offline: string | null = null
  private offlineAt = 0
  private closed = false
  /** Per-producer sequence state (idempotence); rebuilt on open from the latest snapshot and the log after it. */
  readonly producers: ProducerStateManager
  /** Offset of the newest producer snapshot on disk, −1 when none. */
  private snapshotOffset = -1
  /** A snapshot written at a roll and not yet fsynced: the next flush syncs it with the segments. */
  private unsyncedSnapshot: string | null = null
  /** The log cleaner's first dirty offset (cleaner-offset-checkpoint); −1 until known: the log start. */
  firstDirtyOffset = -1

  private constructor(io: FileIO, dir: string, config: LogConfig, segments: LogSegment[], logStartOffset: number, report: RecoveryReport) {
    this.io = io
    this.dir = dir
    this._config = config
    this.segments = segments
    this.logStartOffset = logStartOffset
    this.recoveryPoint = 0
    this.recoveryReport = report
    this.producers = new ProducerStateManager(dir.slice(dir.lastIndexOf('/') + 1))
  }

  /**
   * Opens (creating if needed) the partition directory. Unclean: every segment holding
   * offsets ≥ recoveryPoint is recovered (CRC scan, torn tail cut, indexes rebuilt), and
   * the segments after the first cut or gap are deleted; the result is fsynced so the
   * recovery point can move to the log end. Clean: segments are trusted, but missing or
   * invalid indexes are still rebuilt.
   */
  static open(io: FileIO, dir: string, config: LogConfig, options: OpenLogOptions): PartitionLog {
    const existed = io.exists(dir)
    if (!existed) {
      io.mkdirp(dir)
      io.fsyncDir(parentDir(dir))
    }
    // A clean interrupted by a crash leaves either the old segments or the cleaned one, never both.
    if (existed) recoverCleanerSwaps(io, dir)
    const names = io.readdir(dir)
    const bases: number[] = []
    const present = new Set(names)
    for (const name of names) {
      const base = parseSegmentFileName(name)
      if (base !== null) bases.push(base)
    }
    bases.sort((a, b) => a - b)
    // Index files whose .log is gone are leftovers of an interrupted delete.
    for (const name of names) {
      for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
        if (name.endsWith(suffix) && /^\d{20}\./.test(name) && !present.has(name.slice(0, 20) + LOG_SUFFIX)) unlinkQuietly(io, `${dir}/${name}`)
      }
    }

    const settings = settingsOf(config)
    const report: RecoveryReport = { recoveredSegments: 0, truncatedBytes: 0, deletedSegments: 0, replayedBatches: 0 }
    const segments: LogSegment[] = []
    let firstToRecover = options.clean ? Infinity : 0
    if (!options.clean) {
      for (let i = 0; i < bases.length; i++) if (bases[i]! <= options.recoveryPoint) firstToRecover = i
    }
    try {
      for (let i = 0; i < bases.length; i++) {
        const recover = i >= firstToRecover
        const segment = LogSegment.open(io, dir, bases[i]!, settings, options.now, recover)
        segments.push(segment)
        if (recover) report.recoveredSegments++
        report.truncatedBytes += segment.truncatedBytes
        const next = bases[i + 1]
        if (next !== undefined && (segment.truncatedBytes > 0 || segment.nextOffset !== next)) {
          // Anything after a cut or a hole was written after data that is now gone.
          for (let j = i + 1; j < bases.length; j++) {
            deleteSegmentFiles(io, dir, bases[j]!)
            report.deletedSegments++
          }
          break
        }
      }
      let logStartOffset = Math.max(options.logStartOffset ?? 0, segments[0]?.baseOffset ?? 0)
      const logEnd = segments.length === 0 ? logStartOffset : segments[segments.length - 1]!.nextOffset
      if (logStartOffset > logEnd) {
        // Everything below the checkpointed log start is deleted anyway: start afresh there.
        for (const s of segments) {
          s.delete()
          report.deletedSegments++
        }
        segments.length = 0
      }
      if (segments.length === 0) segments.push(LogSegment.create(io, dir, logStartOffset, settings, options.now))
      logStartOffset = Math.max(logStartOffset, segments[0]!.baseOffset)
      for (let i = 0; i < segments.length - 1; i++) segments[i]!.onBecomeInactive()

      const log = new PartitionLog(io, dir, config, segments, logStartOffset, report)
      if (options.cleanerCheckpoint !== undefined) log.firstDirtyOffset = options.cleanerCheckpoint
      log.loadProducerState(names, options.now, options.producerIdExpirationMs)
      if (report.deletedSegments > 0 || !existed) log.dirNeedsSync = true
      if (segments.some((s) => s.recovered) || report.deletedSegments > 0) {
        // Recovered bytes may still sit only in the page cache after a kill: make them durable before claiming them.
        log.flush()
      } else {
        log.recoveryPoint = log.logEndOffset
      }
      return log
    } catch (err) {
      for (const s of segments) closeQuietly(s)
      throw asStorageError(`opening ${dir}`, err)
    }
  }

  get config(): LogConfig {
    return this._config
  }

  /**
   * Rebuilds producer state (Kafka's LogLoader/rebuildProducerState): snapshots above the
   * log end describe data a crash took away and are deleted; the newest readable one at
   * or below it is loaded; the batch headers after it are replayed. Without a snapshot the
   * whole log is replayed, so a lost or corrupt snapshot costs time, never correctness.
   */
  private loadProducerState(names: string[], now: number, expirationMs: number | undefined): void {
    const logEnd = this.logEndOffset
    const snapshots: number[] = []
    for (const name of names) {
      const m = SNAPSHOT_NAME.exec(name)
      if (m === null) continue
      const offset = Number(m[1])
      if (offset > logEnd) unlinkQuietly(this.io, `${this.dir}/${name}`)
      else snapshots.push(offset)
    }
    snapshots.sort((a, b) => b - a)
    // A recovered segment's .txnindex may have missed writes the crash lost: it is emptied
    // and rebuilt by the replay, which then starts from a snapshot at or below the first
    // recovered segment (Kafka's LogLoader does the same per segment).
    let limit = logEnd
    for (const segment of this.segments) {
      if (!segment.recovered) continue
      segment.txnIndex.truncateTo(segment.baseOffset)
      limit = Math.min(limit, segment.baseOffset)
    }
    let from = this.logStartOffset
    for (const offset of snapshots) {
      if (offset > limit) continue
      const path = `${this.dir}/${segmentFileName(offset, SNAPSHOT_SUFFIX)}`
      try {
        this.producers.loadSnapshot(this.io.readFile(path), path)
      } catch {
        unlinkQuietly(this.io, path)
        continue
      }
      this.snapshotOffset = offset
      from = Math.max(offset, this.logStartOffset)
      break
    }
    if (this.snapshotOffset < 0) this.producers.clear()
    for (let i = this.floorSegment(from); from < logEnd && i < this.segments.length; i++) {
      const segment = this.segments[i]!
      this.recoveryReport.replayedBatches += segment.forEachBatchHeader(from, (buf, at) => {
        const done = this.producers.replayHeader(buf, at)
        if (done?.isAborted === true) this.indexAborted(segment, done)
      })
    }
    // As Kafka's load: producers already past producer.id.expiration.ms are not brought back.
    if (expirationMs !== undefined) this.producers.expire(now, expirationMs)
  }

  /**
   * Writes `<logEnd>.snapshot` (fresh temp file, rename) and prunes old snapshots. It is
   * not fsynced here: a roll's snapshot is synced by the next flush with the segments,
   * and the clean-close one not at all. A snapshot is a cache of what the log holds; one
   * torn or emptied by a crash fails its length or CRC check and a replay of the log
   * replaces it. That keeps a shutdown with thousands of partitions from paying two
   * fsyncs each.
   */
  private takeProducerSnapshot(): void {
    const offset = this.logEndOffset
    if (offset === this.snapshotOffset) return
    const path = `${this.dir}/${segmentFileName(offset, SNAPSHOT_SUFFIX)}`
    const tmp = `${path}.tmp`
    unlinkQuietly(this.io, tmp)
    const handle = this.io.open(tmp, 'rw')
    try {
      this.io.write(handle, this.producers.encodeSnapshot(), 0)
    } finally {
      this.io.close(handle)
    }
    this.io.rename(tmp, path)
    this.snapshotOffset = offset
    this.unsyncedSnapshot = path
    this.pruneSnapshots()
  }

  private syncSnapshot(): void {
    const path = this.unsyncedSnapshot
    if (path === null) return
    this.unsyncedSnapshot = null
    let handle
    try {
      handle = this.io.open(path, 'r')
    } catch (err) {
      if (isNotFound(err)) return // pruned since
      throw err
    }
    try {
      this.io.datasync(handle)
    } finally {
      this.io.close(handle)
    }
  }

  /** Deletes snapshots below the first segment, and all but the newest few of the rest that sit at no segment base. */
  private pruneSnapshots(): void {
    const bases = new Set(this.segments.map((s) => s.baseOffset))
    const first = this.segments[0]!.baseOffset
    const offsets: number[] = []
    for (const name of this.io.readdir(this.dir)) {
      const m = SNAPSHOT_NAME.exec(name)
      if (m !== null) offsets.push(Number(m[1]))
    }
    offsets.sort((a, b) => b - a)
    let kept = 0
    for (const offset of offsets) {
      const keep = offset >= first && (kept++ < SNAPSHOTS_TO_KEEP || bases.has(offset))
      if (!keep) unlinkQuietly(this.io, `${this.dir}/${segmentFileName(offset, SNAPSHOT_SUFFIX)}`)
    }
  }

  /** Forgets producers idle past `expirationMs` (producer.id.expiration.ms); returns how many. */
  expireProducers(now: number, expirationMs: number): number {
    return this.producers.expire(now, expirationMs)
  }

  /** Applies a new topic config (AlterConfigs); cheap enough to call on every operation. */
  set config(config: LogConfig) {
    if (config === this._config) return
    this._config = config
    this.active.applySettings(settingsOf(config))
  }

  get logEndOffset(): number {
    return this.active.nextOffset
  }

  /** Single node: everything appended is committed. */
  get highWatermark(): number {
    return this.active.nextOffset
  }

  /** Bytes held in all segments. */
  get size(): number {
    let total = 0
    for (const s of this.segments) total += s.size
    return total
  }

  get segmentCount(): number {
    return this.segments.length
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset)
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }

  /** For the log cleaner (same thread): the segments, oldest first, the last one active. */
  get segmentList(): readonly LogSegment[] {
    return this.segments
  }

  /** For the log cleaner: the file layer of this log. */
  get fileIO(): FileIO {
    return this.io
  }

  /** Neither offline nor closed. */
  get isWritable(): boolean {
    return this.offline === null && !this.closed
  }

  /**
   * The log cleaner's swap (Kafka's replaceSegments), after cleaner-swap.ts has put the
   * files in place: `fresh` takes the place of `old`, consecutive non-active segments.
   */
  replaceSegments(old: readonly LogSegment[], fresh: LogSegment): void {
    const at = this.segments.indexOf(old[0]!)
    if (at < 0 || at + old.length >= this.segments.length) throw new Error(`replaceSegments: segments of ${this.dir} changed`)
    this.segments.splice(at, old.length, fresh)
    this.dirNeedsSync = true
  }

  /** Wraps a cleaner failure the way every other failed write is: the log goes offline. */
  failedClean(err: unknown): StorageError {
    return this.goOffline('log cleaning', err)
  }

  /**
   * Appends validated records (normally exactly one batch): assigns offsets by patching
   * each baseOffset in place (partitionLeaderEpoch = 0), applies LogAppendTime when the
   * topic asks for it, rolls first if needed, then writes them in one positional write.
   */
  append(records: Buffer, now: number, fromCoordinator = false): AppendResult {
    this.ensureWritable()
    const baseOffset = this.active.nextOffset
    const logAppendTime = this._config.messageTimestampType === 'LogAppendTime' ? now : -1
    if (records.length === 0) throw new StorageError(ErrorCode.INVALID_RECORD, 'nothing to append')

    // Producer checks come first and see every batch before anything is written, so a
    // rejected or duplicate batch leaves the log untouched (Kafka's analyzeAndValidateProducerState).
    let producerBatches: Array<{ pos: number; batch: ProducerBatch }> | null = null
    for (let pos = 0, offset = baseOffset; pos + BATCH_HEADER_SIZE <= records.length; ) {
      const b = producerBatchAt(records, pos)
      if (b !== null && !b.isControl) {
        const check = this.producers.check(b, offset, fromCoordinator)
        if (check.kind === 'error') throw new StorageError(check.error, check.message)
        if (check.kind === 'duplicate') {
          const m = check.batch
          return { baseOffset: m.firstOffset, lastOffset: m.lastOffset, logAppendTime: logAppendTime >= 0 ? m.timestamp : -1, logStartOffset: this.logStartOffset, duplicate: true }
        }
        ;(producerBatches ??= []).push({ pos, batch: b })
      }
      offset += batchLastOffsetDelta(records, pos) + 1
      pos += records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    }

    let offset = baseOffset
    let maxTimestamp = -1
    let offsetOfMaxTimestamp = baseOffset
    let pos = 0
    while (pos < records.length) {
      const size = pos + LOG_OVERHEAD <= records.length ? records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD : 0
      if (size < BATCH_HEADER_SIZE || pos + size > records.length) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `malformed batch at byte ${pos} of an append to ${this.dir}`)
      const lastOffset = offset + batchLastOffsetDelta(records, pos)
      setBaseOffset(records, pos, offset)
      setPartitionLeaderEpoch(records, pos, 0)
      if (logAppendTime >= 0) setLogAppendTime(records, pos, logAppendTime)
      const batchMax = logAppendTime >= 0 ? logAppendTime : batchMaxTimestamp(records, pos)
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax
        offsetOfMaxTimestamp = lastOffset
      }
      offset = lastOffset + 1
      pos += size
    }
    const lastOffset = offset - 1
    try {
      this.maybeRoll(records.length, lastOffset, now)
      this.active.append(records, baseOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp, now)
    } catch (err) {
      throw this.goOffline('append', err)
    }
    if (producerBatches !== null) {
      for (const { pos, batch } of producerBatches) {
        const first = batchBaseOffset(records, pos)
        this.producers.update(batch, first, first + batchLastOffsetDelta(records, pos), logAppendTime >= 0 ? logAppendTime : batchMaxTimestamp(records, pos))
      }
    }
    return { baseOffset, lastOffset, logAppendTime, logStartOffset: this.logStartOffset, duplicate: false }
  }

  /**
   * Writes a COMMIT or ABORT marker for a producer's transaction (from the transaction
   * coordinator, never from a client), ends the transaction in the producer state, and
   * indexes it when aborted. Returns the marker's offset.
   */
  appendMarker(producerId: number, epoch: number, coordinatorEpoch: number, commit: boolean, now: number): number {
    this.ensureWritable()
    const refused = this.producers.checkMarker(producerId, epoch, coordinatorEpoch)
    if (refused !== null) throw new StorageError(refused.error, refused.message)
    const offset = this.active.nextOffset
    const marker = buildEndTxnMarkerBatch({ producerId, producerEpoch: epoch, commit, coordinatorEpoch, timestamp: now, baseOffset: offset })
    try {
      this.maybeRoll(marker.length, offset, now)
      this.active.append(marker, offset, offset, now, offset, now)
    } catch (err) {
      throw this.goOffline('append', err)
    }
    const done = this.producers.completeTxn(producerId, epoch, coordinatorEpoch, offset, !commit, now)
    if (done.isAborted) this.indexAborted(this.active, done)
    return offset
  }

  private indexAborted(segment: LogSegment, done: CompletedTxn): void {
    const unstable = this.producers.firstUnstableOffset()
    segment.txnIndex.append({ producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: unstable < 0 ? done.lastOffset + 1 : unstable })
  }

  /** Kafka's last stable offset: below the first offset of any open transaction, else the high watermark. */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset()
    // Kafka's first unstable offset never falls below the log start (DeleteRecords may pass an open transaction).
    return unstable < 0 ? this.highWatermark : Math.min(Math.max(unstable, this.logStartOffset), this.highWatermark)
  }

  /** Aborted transactions overlapping [fetchOffset, upperBound): what a read_committed fetch must tell its client. */
  abortedTxns(fetchOffset: number, upperBound: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    for (let i = this.floorSegment(fetchOffset); i < this.segments.length; i++) {
      for (const t of this.segments[i]!.txnIndex.entries) if (t.lastOffset >= fetchOffset && t.firstOffset < upperBound) out.push(t)
    }
    return out
  }

  private maybeRoll(size: number, lastOffset: number, now: number): void {
    const active = this.active
    if (active.size === 0) return
    const config = this._config
    // As Kafka's LogConfig.maxSegmentMs: a compacted log rolls by max.compaction.lag.ms too, or its newest records would never become cleanable.
    const rollMs = config.cleanupPolicy.includes('compact') ? Math.min(config.segmentMs, config.maxCompactionLagMs) : config.segmentMs
    if (
      active.size + size > config.segmentBytes ||
      now - active.rollBaseTime > rollMs ||
      lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET ||
      active.isIndexFull
    ) {
      this.roll(now)
    }
  }

  /** Starts a new active segment at the log end. */
  roll(now: number): void {
    const active = this.active
    if (active.size === 0) return
    active.onBecomeInactive()
    this.segments.push(LogSegment.create(this.io, this.dir, active.nextOffset, settingsOf(this._config), now))
    this.dirNeedsSync = true
    // As Kafka does at every roll: recovery then replays at most the active segment.
    this.takeProducerSnapshot()
  }

  /**
   * Whole batches from the one holding `fetchOffset` (a fetch from the middle of a batch
   * gets that batch), up to `maxBytes`, across segments. With `minOneBatch` a first batch
   * larger than maxBytes is returned whole. `fetchOffset` = log end gives no records;
   * outside [logStartOffset, logEndOffset] throws OFFSET_OUT_OF_RANGE.
   */
  read(fetchOffset: number, maxBytes: number, options: ReadOptions): ReadResult {
    const sink = new FreshSink()
    const n = this.readInto(fetchOffset, maxBytes, options, sink)
    return this.result(n === 0 ? EMPTY : sink.buf.subarray(0, n))
  }

  /**
   * `read`, placing the batches at `sink.pos` (which it leaves unchanged) instead of in a
   * buffer of their own; returns how many bytes they take. Bytes past that may have been
   * overwritten up to the limit.
   */
  readInto(fetchOffset: number, maxBytes: number, options: ReadOptions, sink: ReadSink): number {
    if (this.closed) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`)
    const logEnd = this.logEndOffset
    if (fetchOffset < this.logStartOffset || fetchOffset > logEnd) {
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fetchOffset} is outside [${this.logStartOffset}, ${logEnd}] of ${this.dir}`)
    }
    const limit = options.maxOffset === undefined ? logEnd : Math.min(logEnd, options.maxOffset)
    if (fetchOffset >= limit) return 0
    try {
      return this.readBatches(fetchOffset, Math.max(0, maxBytes), options.minOneBatch, limit, sink)
    } catch (err) {
      throw asStorageError(`read from ${this.dir}`, err)
    }
  }

  private result(records: Buffer): ReadResult {
    const logEnd = this.logEndOffset
    return { records, highWatermark: logEnd, logStartOffset: this.logStartOffset, logEndOffset: logEnd }
  }

  private readBatches(fetchOffset: number, maxBytes: number, minOneBatch: boolean, limit: number, sink: ReadSink): number {
    let i = this.floorSegment(fetchOffset)
    const hint = this.nextReads.get(fetchOffset)
    // A batch, once written, never moves within its segment object (the cleaner and
    // recovery make new ones), so a remembered position stays right while its segment is
    // still the one holding the offset and has the batch.
    let position = hint !== undefined && hint.segment === this.segments[i] && hint.position < hint.segment.size ? hint.position : this.segments[i]!.findPosition(fetchOffset)
    while (position < 0) {
      i++
      if (i >= this.segments.length) return 0
      position = this.segments[i]!.size > 0 ? 0 : -1
    }
    let available = this.segments[i]!.size - position
    for (let j = i + 1; j < this.segments.length; j++) available += this.segments[j]!.size
    const want = Math.min(available, maxBytes)

    const at = sink.pos
    let buf = sink.reserve(Math.max(want, LOG_OVERHEAD))
    let filled = 0
    for (let j = i, from = position; j < this.segments.length && filled < want; j++, from = 0) {
      filled += this.segments[j]!.readInto(from, buf, at + filled, want - filled)
    }
    let end = 0
    let next = -1
    while (end + LOG_OVERHEAD <= filled) {
      const size = buf.readInt32BE(at + end + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
      if (end + size > filled || batchBaseOffset(buf, at + end) >= limit) break
      next = batchBaseOffset(buf, at + end) + batchLastOffsetDelta(buf, at + end) + 1
      end += size
    }
    if (end > 0) {
      this.rememberNextRead(next, i, position + end)
      return end
    }
    if (!minOneBatch) return 0
    // KIP-74: the first batch whole, however large. A batch never spans segments.
    const segment = this.segments[i]!
    if (filled < LOG_OVERHEAD && segment.readInto(position, buf, at, LOG_OVERHEAD) < LOG_OVERHEAD) {
      throw new Error(`segment ${segment.logPath}: no batch at position ${position}`)
    }
    if (batchBaseOffset(buf, at) >= limit) return 0
    const size = buf.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    buf = sink.reserve(size)
    const n = segment.readInto(position, buf, at, size)
    if (n === size) this.rememberNextRead(batchBaseOffset(buf, at) + batchLastOffsetDelta(buf, at) + 1, i, position + size)
    return n
  }

  /**
   * Where the batch after a read starts: the consumer's next fetch asks for it, and
   * finding it again would take an index lookup plus a header scan (a 16 KiB read).
   * `position` counts from the start of segment `i` and may run into later segments.
   */
  private rememberNextRead(offset: number, i: number, position: number): void {
    while (i < this.segments.length - 1 && position >= this.segments[i]!.size) {
      position -= this.segments[i]!.size
      i++
    }
    // A few consumers at once keep their own entries; a full map starts over.
    if (this.nextReads.size >= NEXT_READ_HINTS) this.nextReads.clear()
    this.nextReads.set(offset, { segment: this.segments[i]!, position })
  }

  /** Index of the segment with the largest base offset ≤ `offset` (0 if none). */
  floorSegment(offset: number): number {
    let lo = 0
    let hi = this.segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  /**
   * ListOffsets for one partition: −2 (and −4) earliest, −1 latest (timestamp −1 for both),
   * −3 the record with the largest timestamp, t ≥ 0 the first record with timestamp ≥ t.
   * null when there is no such record (Kafka then answers offset −1, timestamp −1).
   */
  listOffsets(timestamp: number, committed = false): OffsetAndTimestamp | null {
    const found = this.findOffsets(timestamp, committed)
    // read_committed: nothing at or past the last stable offset is visible (Kafka's lastFetchableOffset).
    if (committed && found !== null && (timestamp >= 0 || timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP) && found.offset >= this.lastStableOffset) return null
    return found
  }

  private findOffsets(timestamp: number, committed: boolean): OffsetAndTimestamp | null {
    if (timestamp === ListOffsetsTimestamp.EARLIEST || timestamp === ListOffsetsTimestamp.EARLIEST_LOCAL) {
      return { offset: this.logStartOffset, timestamp: -1 }
    }
    if (timestamp === ListOffsetsTimestamp.LATEST) return { offset: committed ? this.lastStableOffset : this.logEndOffset, timestamp: -1 }
    try {
      if (timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP) {
        let best: LogSegment | null = null
        for (const s of this.segments) if (best === null || s.maxTimestamp > best.maxTimestamp) best = s
        return best === null || best.maxTimestamp < 0 ? null : best.findMaxTimestampRecord()
      }
      if (timestamp < 0) return null
      for (const s of this.segments) {
        if (s.nextOffset <= this.logStartOffset || s.maxTimestamp < timestamp) continue
        const found = s.findOffsetByTimestamp(timestamp, this.logStartOffset)
        if (found !== null) return found
      }
      return null
    } catch (err) {
      throw asStorageError(`listOffsets in ${this.dir}`, err)
    }
  }

  /**
   * ListOffsets v0 (Kafka's legacyFetchOffsetsBefore): the start offset of each segment
   * (not below the log start) and the log end, each with a time (a segment's largest
   * timestamp, the log end's `now`); for LATEST the newest `maxNumOffsets` of them, for
   * EARLIEST the first, else those whose time is at or before `timestamp`; newest first.
   */
  legacyOffsetsBefore(timestamp: number, maxNumOffsets: number, now: number): number[] {
    const points: Array<{ offset: number; time: number }> = this.segments.map((s) => ({ offset: Math.max(s.baseOffset, this.logStartOffset), time: s.maxTimestamp >= 0 ? s.maxTimestamp : s.rollBaseTime }))
    if (this.active.size > 0) points.push({ offset: this.logEndOffset, time: now })
    let start: number
    if (timestamp === ListOffsetsTimestamp.LATEST) start = points.length - 1
    else if (timestamp === ListOffsetsTimestamp.EARLIEST) start = 0
    else {
      start = points.length - 1
      while (start >= 0 && points[start]!.time > timestamp) start--
    }
    const out: number[] = []
    for (let i = start; i >= 0 && out.length < maxNumOffsets; i--) out.push(points[i]!.offset)
    return out
  }

  /** fsyncs every changed segment (and the directory after segment creation or removal); the recovery point becomes the log end. */
  flush(): void {
    if (this.offline !== null) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, this.offline)
    if (this.closed) return
    const logEnd = this.logEndOffset
    try {
      for (const s of this.segments) if (s.isDirty || !s.isActive) s.flush()
      this.syncSnapshot()
      if (this.dirNeedsSync) {
        this.io.fsyncDir(this.dir)
        this.dirNeedsSync = false
      }
    } catch (err) {
      throw this.goOffline('flush', err)
    }
    this.recoveryPoint = logEnd
  }

  /**
   * The interval-fsync path that keeps fdatasync off this thread: returns the files (and
   * the directory, after a segment was created or removed) written since the last flush
   * or hand-off, and the offset that becomes a valid recovery point once another thread
   * has fsynced them all. Writes are positional and immediate, so syncing by path is
   * enough; this log's own recoveryPoint moves only with flush().
   */
  handOffFlush(): { files: string[]; dir: string | null; recoveryPoint: number } {
    if (this.offline !== null) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, this.offline)
    const files: string[] = []
    const recoveryPoint = this.logEndOffset
    if (this.closed) return { files, dir: null, recoveryPoint }
    for (const s of this.segments) if (s.isDirty || !s.isActive) s.handOffDirty(files)
    if (this.unsyncedSnapshot !== null) {
      files.push(this.unsyncedSnapshot)
      this.unsyncedSnapshot = null
    }
    const dir = this.dirNeedsSync ? this.dir : null
    this.dirNeedsSync = false
    return { files, dir, recoveryPoint }
  }

  /**
   * Makes every appended batch durable (fdatasync of each changed .log, and of the
   * directory after a segment was created or removed) without syncing the indexes or
   * moving the recovery point: what acknowledging a produce under --fsync always needs.
   * Indexes are derived data; a crash rescans from the last recovery point and rebuilds
   * them, so they are synced only by flush(), which also moves the recovery point.
   */
  syncData(): void {
    if (this.offline !== null) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, this.offline)
    if (this.closed) return
    try {
      for (const s of this.segments) s.syncLog()
      if (this.dirNeedsSync) {
        this.io.fsyncDir(this.dir)
        this.dirNeedsSync = false
      }
    } catch (err) {
      throw this.goOffline('flush', err)
    }
  }

  /**
   * Deletes whole segments, oldest first and never the active one: those entirely below
   * logStartOffset, then (if cleanup.policy has delete) those whose largest timestamp is
   * more than retention.ms old, then as many as needed to bring the log within
   * retention.bytes. Returns how many were deleted (0 for an offline or closed log).
   */
  applyRetention(now: number): number {
    // Retention runs over every log of a shard; an offline or closed one simply has nothing to do.
    if (this.offline !== null || this.closed) return 0
    let deleted = 0
    const config = this._config
    try {
      while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStartOffset) deleted += this.deleteOldest()
      if (config.cleanupPolicy.includes('delete')) {
        if (config.retentionMs >= 0) {
          while (this.segments.length > 1 && now - this.segments[0]!.largestTimestamp > config.retentionMs) deleted += this.deleteOldest()
        }
        if (config.retentionBytes >= 0) {
          let excess = this.size - config.retentionBytes
          while (this.segments.length > 1 && excess - this.segments[0]!.size >= 0) {
            excess -= this.segments[0]!.size
            deleted += this.deleteOldest()
          }
        }
      }
    } catch (err) {
      throw this.goOffline('retention', err)
    }
    return deleted
  }

  private deleteOldest(): number {
    const segment = this.segments.shift()!
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset)
    segment.delete()
    // As Kafka: the segment's snapshot goes with it, but producer state stays until the
    // producer expires, so a producer whose records were deleted continues in sequence.
    unlinkQuietly(this.io, `${this.dir}/${segmentFileName(segment.baseOffset, SNAPSHOT_SUFFIX)}`)
    this.dirNeedsSync = true
    return 1
  }

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (−1 = the high watermark) and drops
   * segments wholly below it. Returns the new logStartOffset (Kafka's low watermark).
   */
  deleteRecordsBefore(offset: number): number {
    this.ensureWritable()
    const target = offset === -1 ? this.highWatermark : offset
    if (target < 0 || target > this.highWatermark) {
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}: outside [0, ${this.highWatermark}] of ${this.dir}`)
    }
    if (target > this.logStartOffset) {
      this.logStartOffset = target
      try {
        while (this.segments.length > 1 && this.segments[1]!.baseOffset <= target) this.deleteOldest()
      } catch (err) {
        throw this.goOffline('deleteRecords', err)
      }
    }
    return this.logStartOffset
  }

  /** Flushes and closes every segment. The log is unusable afterwards. */
  close(): void {
    if (this.closed) return
    let failure: unknown = null
    if (this.offline === null) {
      try {
        // The clean-shutdown snapshot spares the next open a replay; without room for it
        // (a full disk) the next open replays instead, so its failure is not the log's.
        try {
          this.takeProducerSnapshot()
        } catch {
          unlinkQuietly(this.io, `${this.dir}/${segmentFileName(this.logEndOffset, SNAPSHOT_SUFFIX)}.tmp`)
        }
        for (const s of this.segments) s.close()
        if (this.dirNeedsSync) this.io.fsyncDir(this.dir)
        this.recoveryPoint = this.logEndOffset
      } catch (err) {
        failure = err
      }
    }
    if (failure !== null || this.offline !== null) for (const s of this.segments) closeQuietly(s)
    this.closed = true
    if (failure !== null) throw asStorageError(`close of ${this.dir}`, failure)
  }

  /** Closes without flushing and removes the partition directory. */
  delete(): void {
    this.abandon()
    this.io.rmrf(this.dir)
  }

  /**
   * A topic deletion's first step, which needs no free space: closes without flushing,
   * renames the directory to `tombstone`, then removes the files in it. The empty
   * directory stays until the topic catalogue no longer lists the topic, so a crash
   * in between finishes the deletion at the next start instead of reviving the topic.
   */
  moveToTombstone(tombstone: string): void {
    this.abandon()
    this.io.rename(this.dir, tombstone)
    this.io.fsyncDir(parentDir(tombstone))
    for (const name of this.io.readdir(tombstone)) unlinkQuietly(this.io, `${tombstone}/${name}`)
  }

  /** Closes every file without flushing (the log is unusable afterwards). */
  abandon(): void {
    for (const s of this.segments) closeQuietly(s)
    this.closed = true
  }

  /** When the log went offline (ms since epoch), or null while it is writable. */
  get offlineSince(): number | null {
    return this.offline === null ? null : this.offlineAt
  }

  private ensureWritable(): void {
    if (this.offline !== null) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, this.offline)
    if (this.closed) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`)
  }

  // After a failed write or fsync the file contents are unknown (a failed fsync may have
  // dropped dirty pages), so the log refuses further writes, as Kafka takes a log dir offline.
  private goOffline(what: string, err: unknown): StorageError {
    if (err instanceof StorageError) return err
    this.offline = `log ${this.dir} is offline after a failed ${what}: ${describe(err)}`
    this.offlineAt = Date.now()
    return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, this.offline)
  }
}

function asStorageError(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed: ${describe(err)}`)
}

function parentDir(dir: string): string {
  const i = dir.replace(/\/+$/, '').lastIndexOf('/')
  return i <= 0 ? '/' : dir.slice(0, i)
}

function unlinkQuietly(io: FileIO, path: string): void {
  try {
    io.unlink(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

function deleteSegmentFiles(io: FileIO, dir: string, baseOffset: number): void {
  for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) unlinkQuietly(io, `${dir}/${segmentFileName(baseOffset, suffix)}`)
}

function closeQuietly(segment: LogSegment): void {
  try {
    segment.abandon()
  } catch {
    // Closing on an error path: the original failure is what matters.
  }
}

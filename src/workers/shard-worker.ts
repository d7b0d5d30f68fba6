// A shard worker: the single writer of every partition hashed to it. It owns those
// partitions' PartitionLogs (segments, indexes) and runs their I/O synchronously, which
// inside a worker is far cheaper than async fs (no libuv pool hop per call).
// It runs one task at a time and a task's operations in their order; the main thread
// sends a shard its next task only when the previous one has finished (shard-pool.ts),
// so the order in which operations are submitted is the order in which they hit the log.

import { isMarkedAsUntransferable, workerData } from 'node:worker_threads'
import { join } from 'node:path'
import { Piscina } from 'piscina'
import { NodeFileIO, MemoryFileIO, type FileIO } from '../../storage/file-io.ts'
import { PartitionLog, StorageError, type ReadSink } from '../../storage/partition-log.ts'
import { validateBatchHeader, validateProducedRecords, validateRecordsBody, type ValidationResult } from '../../storage/log-validator.ts'
import { CompressionError, decompressAsync } from '../../protocol/records/compression.ts'
import { BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK, Compression, LOG_OVERHEAD, RECORDS_OFFSET, batchAttributes, batchBaseOffset, batchLastOffsetDelta } from '../../protocol/records/record-batch.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { partitionKey, parsePartitionKey } from '../topics/partition-key.ts'
import { deletedDirName, partitionDir } from '../../storage/log-file-names.ts'
import { LogCleaner } from '../../storage/log-cleaner.ts'

// How often an offline partition is reopened to see whether writes succeed again.
const REVIVE_MS = 100
import type {
  AbortedTransaction, AnyShardResult, Bounds, ReadResult, CleanResult, CleanedPartition, RetentionResultMoved, Failed, FlushResult, ExpireProducersResult, HandOffFlushResult, RetentionResult, RecoveryPoint, ShardInit, ShardOp, ShardTask, ShardTaskResult,
} from './shard-protocol.ts'

// A read whose Buffer has an ArrayBuffer of its own can be transferred to the main thread
// whole. Node's allocation pool (which on Node 24 serves sizes up to tens of KiB) is
// marked untransferable, so that mark decides, not the size.
function ownsItsMemory(b: Buffer): boolean {
  return b.length > 0 && b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && !isMarkedAsUntransferable(b.buffer)
}

// Fetch buffers: the grouped reads of one Fetch request go into one of these, which is
// transferred to the main thread and, once the response has been written to the socket,
// comes back with a later task. Steady fetching then reads into warm memory and hands
// no fresh ArrayBuffers to the main thread's garbage collector.
const MIN_READ_BUFFER = 64 << 10
// A larger buffer (a request with a huge budget) is used once and not kept, and what is
// kept is bounded: warm memory for a few consumers' responses, not a cache.
const MAX_KEPT_READ_BUFFER = 16 << 20
const MAX_KEPT_READ_BYTES = 32 << 20

class ReadBufferPool {
  private readonly spare: ArrayBuffer[] = []

  /**
   * The smallest spare of at least `preferred` bytes, else of at least `min`, else a new
   * one of `min` rounded up: a fresh ArrayBuffer counts in full against the heap's
   * external memory, so a small answer gets a small one when no spare is left.
   */
  take(min: number, preferred: number): ArrayBuffer {
    const best = this.bestFit(preferred) ?? this.bestFit(min)
    if (best !== null) {
      const b = this.spare[best]!
      this.spare[best] = this.spare[this.spare.length - 1]!
      this.spare.pop()
      return b
    }
    let size = MIN_READ_BUFFER
    while (size < min) size *= 2
    return new ArrayBuffer(size)
  }

  private bestFit(bytes: number): number | null {
    let best: number | null = null
    for (let i = 0; i < this.spare.length; i++) {
      const size = this.spare[i]!.byteLength
      if (size >= bytes && (best === null || size < this.spare[best]!.byteLength)) best = i
    }
    return best
  }

  keep(b: ArrayBuffer): void {
    if (b.byteLength === 0 || b.byteLength > MAX_KEPT_READ_BUFFER) return
    this.spare.push(b)
    let bytes = 0
    for (const s of this.spare) bytes += s.byteLength
    // Over the bound: the smallest go first, the larger ones fit more responses.
    while (bytes > MAX_KEPT_READ_BYTES) {
      let smallest = 0
      for (let i = 1; i < this.spare.length; i++) if (this.spare[i]!.byteLength < this.spare[smallest]!.byteLength) smallest = i
      bytes -= this.spare[smallest]!.byteLength
      this.spare[smallest] = this.spare[this.spare.length - 1]!
      this.spare.pop()
    }
  }
}

const NO_BUFFER = Buffer.alloc(0)

/** The response buffer of one Fetch request's reads on this shard: taken from the pool at the first byte, grown by copying what it holds. */
class FetchGroup implements ReadSink {
  buf: Buffer = NO_BUFFER
  pos = 0
  /** Bytes of the request's budget used by its reads so far (here). */
  used = 0
  /** Index of `buf` in the task result's `owned`, once a read returned something. */
  index = -1
  private readonly pool: ReadBufferPool
  readonly responseMaxBytes: number
  private readonly expected: number
  constructor(pool: ReadBufferPool, responseMaxBytes: number, expected: number) {
    this.pool = pool
    this.responseMaxBytes = responseMaxBytes
    this.expected = expected
  }

  reserve(bytes: number): Buffer {
    const need = this.pos + bytes
    if (need <= this.buf.length) return this.buf
    // Growing doubles, so a request larger than expected copies what it holds only a few times.
    const preferred = Math.max(need, this.expected, this.buf.length * 2)
    const bigger = Buffer.from(this.pool.take(this.buf === NO_BUFFER ? need : preferred, preferred))
    if (this.buf !== NO_BUFFER) {
      this.buf.copy(bigger, 0, 0, this.pos)
      this.pool.keep(this.buf.buffer as ArrayBuffer)
    }
    this.buf = bigger
    return bigger
  }
}

/**
 * Builds a shard's task runner. `io` is injectable so tests can run a shard in-process
 * on a fault-injecting in-memory filesystem.
 */
export function createShardRunner(init: ShardInit, io: FileIO = init.dataDir === null ? new MemoryFileIO() : new NodeFileIO()): (task: ShardTask) => unknown {
  const root = init.dataDir ?? '/memory'
  const logs = new Map<string, PartitionLog>()
  // fdatasync durations since the last task result, which carries them to the metrics:
  // no message of their own, and nothing at all for a task that synced nothing.
  let flushMs: number[] = []
  if (io instanceof NodeFileIO) io.onDatasync = (ms) => flushMs.push(ms)
  const lastRevive = new WeakMap<PartitionLog, number>()
  // The shard's log cleaner: its steps run as tasks of this shard, so a clean never overlaps an append to the same log.
  const cleaner = new LogCleaner(init.cleanerDedupeBufferSize === undefined ? {} : { dedupeBufferSize: init.cleanerDedupeBufferSize })
  const readBuffers = new ReadBufferPool()

  // Only 'open' creates a log: every partition is opened when its topic is created or the
  // broker starts, so a missing log on any other op means the topic was deleted meanwhile
  // (a long poll that outlived its topic, say) and must not bring its directory back.
  function openLog(op: Extract<ShardOp, { op: 'open' }>, now: number): PartitionLog {
    const key = partitionKey(op.topic, op.partition)
    let log = logs.get(key)
    if (log === undefined) {
      log = PartitionLog.open(io, partitionDir(root, op.topic, op.partition), op.config, { clean: op.clean, recoveryPoint: op.recoveryPoint, logStartOffset: op.logStartOffset, now, producerIdExpirationMs: init.producerIdExpirationMs, cleanerCheckpoint: op.cleanerCheckpoint })
      logs.set(key, log)
    } else {
      log.config = op.config
    }
    return log
  }

  // A log that went offline after a failed write (a full disk, say) is tried again, at
  // most every REVIVE_MS, by reopening it with recovery: the torn tail of the failed write
  // is cut, indexes and producer state are rebuilt. Until that succeeds the old object
  // keeps serving reads and refusing writes.
  function revive(op: { topic: string; partition: number }, log: PartitionLog, now: number): PartitionLog {
    const since = log.offlineSince
    // A real-time back-off (the log stamps offlineSince with the wall clock), whatever
    // clock gives the task its `now`.
    const wall = Date.now()
    if (since === null || wall - since < REVIVE_MS || wall - (lastRevive.get(log) ?? 0) < REVIVE_MS) return log
    lastRevive.set(log, wall)
    let fresh: PartitionLog
    try {
      // The log start moves inside a segment with DeleteRecords: the segments alone do not tell it.
      fresh = PartitionLog.open(io, log.dir, log.config, { clean: false, recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset, now, producerIdExpirationMs: init.producerIdExpirationMs })
    } catch {
      return log
    }
    fresh.firstDirtyOffset = log.firstDirtyOffset
    cleaner.abandon(log)
    log.abandon()
    logs.set(partitionKey(op.topic, op.partition), fresh)
    return fresh
  }

  function logFor(op: { topic: string; partition: number }): PartitionLog {
    const log = logs.get(partitionKey(op.topic, op.partition))
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${op.topic}-${op.partition} is not hosted by this shard`)
    return log
  }

  // The aborted transactions a read_committed client needs for the records it got: those
  // overlapping [fetchOffset, end of the last batch returned].
  function abortedIn(log: PartitionLog, fetchOffset: number, records: Buffer): AbortedTransaction[] {
    if (records.length === 0) return []
    let pos = 0
    let last = fetchOffset
    while (pos + BATCH_HEADER_SIZE <= records.length) {
      last = batchBaseOffset(records, pos) + batchLastOffsetDelta(records, pos)
      pos += records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    }
    return log.abortedTxns(fetchOffset, last + 1).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
  }

  function bounds(log: PartitionLog): Bounds {
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset }
  }

  function failure(err: unknown): Failed {
    if (err instanceof StorageError) return { ok: false, error: err.code, message: err.message }
    return { ok: false, error: ErrorCode.UNKNOWN_SERVER_ERROR, message: err instanceof Error ? err.message : String(err) }
  }

  function recoveryPoints(): RecoveryPoint[] {
    const out: RecoveryPoint[] = []
    for (const [key, log] of logs) {
      out.push({ ...parsePartitionKey(key), recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset })
    }
    return out
  }

  // An offline log (failed write or fsync) must not stop the others from flushing; the
  // first failure is reported so shutdown does not claim a clean state.
  function flushAll(): FlushResult {
    const unflushed: string[] = []
    for (const [key, log] of logs) {
      try {
        log.flush()
      } catch (err) {
        const { topic, partition } = parsePartitionKey(key)
        unflushed.push(`${topic}-${partition} (${failure(err).message})`)
      }
    }
    return { ok: true, recoveryPoints: recoveryPoints(), unflushed }
  }

  // --fsync interval: list what needs syncing and let the main thread's background
  // flusher do the fdatasyncs, so this thread never blocks on the disk for a timer.
  function handOffAll(): HandOffFlushResult {
    const flushFiles: string[] = []
    const flushDirs: string[] = []
    const points: RecoveryPoint[] = []
    for (const [key, log] of logs) {
      try {
        const h = log.handOffFlush()
        flushFiles.push(...h.files)
        if (h.dir !== null) flushDirs.push(h.dir)
        points.push({ ...parsePartitionKey(key), recoveryPoint: h.recoveryPoint, logStartOffset: log.logStartOffset })
      } catch {
        // An offline log keeps its old recovery point; its failure was reported when it happened.
      }
    }
    return { ok: true, recoveryPoints: points, flushFiles, flushDirs }
  }

  // One log's failure must not keep retention from the others; the first is reported.
  function retention(now: number): RetentionResult {
    let deletedSegments = 0
    let failed: Failed | null = null
    const moved: RetentionResultMoved[] = []
    for (const [key, log] of logs) {
      try {
        const deleted = log.applyRetention(now)
        deletedSegments += deleted
        if (deleted > 0) moved.push({ ...parsePartitionKey(key), ...bounds(log) })
      } catch (err) {
        failed ??= failure(err)
      }
    }
    return failed ?? { ok: true, deletedSegments, moved }
  }

  function clean(now: number): CleanResult {
    const r = cleaner.step(logs.values(), now)
    const cleaned: CleanedPartition[] = []
    const moved: RetentionResultMoved[] = []
    if (r.cleaned !== null) {
      for (const [key, log] of logs) {
        if (log !== r.cleaned.log) continue
        cleaned.push({ ...parsePartitionKey(key), firstDirtyOffset: r.cleaned.firstDirtyOffset })
        // A clean may drop the first records: the log start of the cache follows.
        moved.push({ ...parsePartitionKey(key), ...bounds(log) })
      }
    }
    return { ok: true, busy: r.busy, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, cleaned, moved }
  }

  function expireProducers(now: number): ExpireProducersResult {
    let expiredProducers = 0
    for (const log of logs.values()) expiredProducers += log.expireProducers(now, init.producerIdExpirationMs)
    return { ok: true, expiredProducers }
  }

  // lz4 and snappy batches are decompressed on libuv's thread pool before the task's
  // operations run, all at once; the operations then run in order exactly as for other
  // batches. Measured in-process (64 batches of 16 KiB per task): lz4 11.5k -> 18.9k and
  // snappy 9.9k -> 19.3k batches/s; gzip and zstd went the other way through node:zlib's
  // async calls (12.5k -> 10.7k, 15.3k -> 11.1k), so those stay on this thread. A body
  // that failed to decompress is kept as its error.
  function decompressAhead(task: ShardTask, data: Buffer): Promise<Map<number, Buffer | CompressionError>> | null {
    let pending: Promise<unknown>[] | null = null
    const bodies = new Map<number, Buffer | CompressionError>()
    for (let i = 0; i < task.ops.length; i++) {
      const op = task.ops[i]!
      if (op.op !== 'append' || op.length < BATCH_HEADER_SIZE) continue
      const records = data.subarray(op.offset, op.offset + op.length)
      const codec = batchAttributes(records, 0) & COMPRESSION_CODEC_MASK
      if (codec !== Compression.LZ4 && codec !== Compression.SNAPPY) continue
      const log = logs.get(partitionKey(op.topic, op.partition))
      if (log === undefined || validateBatchHeader(records, log.config).error !== 0) continue
      ;(pending ??= []).push(decompressAsync(codec, records.subarray(RECORDS_OFFSET)).then(
        (body) => bodies.set(i, body),
        (err: unknown) => bodies.set(i, err instanceof CompressionError ? err : new CompressionError(String(err))),
      ))
    }
    return pending === null ? null : Promise.all(pending).then(() => bodies)
  }

  const VALID: ValidationResult = { error: 0 }

  // Validation may rebuild the batch in the topic's compression.type (`records` of the result).
  function validate(records: Buffer, log: PartitionLog, body: Buffer | CompressionError | undefined, now: number, topicPartition: string): ValidationResult {
    if (body === undefined) return validateProducedRecords(records, log.config, now, topicPartition)
    // decompressAhead only decompressed bodies whose header, CRC included, passed; the
    // bytes have not changed since, so the CRC is not computed a second time.
    const header = validateBatchHeader(records, log.config, true)
    if (header.error !== 0) return { error: header.error, message: header.message }
    if (body instanceof CompressionError) return { error: ErrorCode.CORRUPT_MESSAGE, message: body.message }
    return validateRecordsBody(records, body, log.config, now, topicPartition)
  }

  function runShardTask(task: ShardTask): unknown {
    const data = task.data === null ? null : Buffer.from(task.data)
    const ahead = data === null ? null : decompressAhead(task, data)
    return ahead === null ? runOps(task, data, null) : ahead.then((bodies) => runOps(task, data, bodies))
  }

  // Each group's expected size: its partitions' limits, capped by its budget.
  function fetchGroups(task: ShardTask): Map<number, FetchGroup> | null {
    let expected: Map<number, { bytes: number; budget: number }> | null = null
    for (const op of task.ops) {
      if (op.op !== 'read' || op.group === undefined) continue
      expected ??= new Map()
      const e = expected.get(op.group)
      if (e === undefined) expected.set(op.group, { bytes: Math.max(0, op.maxBytes), budget: op.responseMaxBytes ?? 0x7fffffff })
      else e.bytes += Math.max(0, op.maxBytes)
    }
    if (expected === null) return null
    const groups = new Map<number, FetchGroup>()
    for (const [id, e] of expected) groups.set(id, new FetchGroup(readBuffers, e.budget, Math.min(e.bytes, e.budget, MAX_KEPT_READ_BUFFER)))
    return groups
  }

  function runOps(task: ShardTask, data: Buffer | null, bodies: Map<number, Buffer | CompressionError> | null): unknown {
    const results: AnyShardResult[] = new Array(task.ops.length)
    const reads: Buffer[] = []
    const owned: ArrayBuffer[] = []
    let readBytes = 0
    const appended = new Set<PartitionLog>()
    if (task.readBuffers !== undefined) for (const b of task.readBuffers) readBuffers.keep(b)
    const groups = fetchGroups(task)

    for (let i = 0; i < task.ops.length; i++) {
      const op = task.ops[i]!
      try {
        switch (op.op) {
          case 'open': {
            const log = openLog(op, task.now)
            const r = log.recoveryReport
            const repaired = r.truncatedBytes > 0 || r.deletedSegments > 0
            results[i] = { ok: true, ...bounds(log), recovery: repaired ? { ...r } : null }
            break
          }
          case 'configure': {
            logFor(op).config = op.config
            results[i] = { ok: true }
            break
          }
          case 'append': {
            const current = logFor(op)
            const log = revive(op, current, task.now)
            const records = data!.subarray(op.offset, op.offset + op.length)
            // A coordinator's own batches (built by this broker) skip client validation, as
            // Kafka's AppendOrigin.COORDINATOR does: its transactional offsets carry no sequence.
            const invalid = op.coordinator === true ? VALID : validate(records, log, bodies?.get(i), task.now, `${op.topic}-${op.partition}`)
            if (invalid.error !== 0) {
              const failed: Failed = { ok: false, error: invalid.error, message: invalid.message ?? '' }
              if (invalid.recordErrors !== undefined) failed.recordErrors = invalid.recordErrors
              results[i] = failed
              break
            }
            const r = log.append(invalid.records ?? records, task.now, op.coordinator === true)
            if (!r.duplicate) appended.add(log)
            results[i] = log === current
              ? { ok: true, baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, duplicate: r.duplicate, ...bounds(log) }
              : { ok: true, baseOffset: r.baseOffset, logAppendTime: r.logAppendTime, duplicate: r.duplicate, ...bounds(log), revived: true }
            break
          }
          case 'read': {
            const log = logFor(op)
            const lso = op.committed === true ? log.lastStableOffset : undefined
            const group = op.group === undefined ? undefined : groups!.get(op.group)!
            if (group !== undefined) {
              // Kafka's readFromLog: what is left of the response budget bounds each read,
              // and only a read before any bytes were returned may exceed it (one batch).
              const limit = Math.max(0, Math.min(op.maxBytes, group.responseMaxBytes - group.used))
              const at = group.pos
              const n = log.readInto(op.fetchOffset, limit, lso === undefined ? { minOneBatch: group.used === 0 } : { minOneBatch: group.used === 0, maxOffset: lso }, group)
              group.pos += n
              group.used += n
              if (n > 0 && group.index < 0) {
                group.index = owned.length
                owned.push(NO_BUFFER.buffer as ArrayBuffer)
              }
              const read: ReadResult = n > 0
                ? { ok: true, recordsBuffer: group.index, recordsOffset: at, recordsLength: n, ...bounds(log) }
                : { ok: true, recordsOffset: 0, recordsLength: 0, ...bounds(log) }
              if (lso !== undefined) read.abortedTransactions = abortedIn(log, op.fetchOffset, group.buf.subarray(at, at + n))
              results[i] = read
              break
            }
            const r = log.read(op.fetchOffset, op.maxBytes, lso === undefined ? { minOneBatch: true } : { minOneBatch: true, maxOffset: lso })
            const aborted = lso === undefined ? undefined : abortedIn(log, op.fetchOffset, r.records)
            if (ownsItsMemory(r.records)) {
              // Handed to the main thread as is: no second copy of fetched data.
              results[i] = { ok: true, recordsBuffer: owned.length, recordsOffset: 0, recordsLength: r.records.length, ...bounds(log) }
              if (aborted !== undefined) results[i] = { ...results[i] as object, abortedTransactions: aborted } as AnyShardResult
              owned.push(r.records.buffer as ArrayBuffer)
              break
            }
            results[i] = aborted === undefined
              ? { ok: true, recordsOffset: readBytes, recordsLength: r.records.length, ...bounds(log) }
              : { ok: true, recordsOffset: readBytes, recordsLength: r.records.length, ...bounds(log), abortedTransactions: aborted }
            if (r.records.length > 0) {
              reads.push(r.records)
              readBytes += r.records.length
            }
            break
          }
          case 'listOffsets': {
            const log = logFor(op)
            const r = log.listOffsets(op.timestamp, op.committed === true)
            results[i] = { ok: true, offset: r?.offset ?? -1, timestamp: r?.timestamp ?? -1, ...bounds(log) }
            break
          }
          case 'legacyOffsets': {
            const log = logFor(op)
            results[i] = { ok: true, offsets: log.legacyOffsetsBefore(op.timestamp, op.maxNumOffsets, task.now), ...bounds(log) }
            break
          }
          case 'writeMarker': {
            const log = revive(op, logFor(op), task.now)
            const offset = log.appendMarker(op.producerId, op.producerEpoch, op.coordinatorEpoch, op.commit, task.now)
            appended.add(log)
            results[i] = { ok: true, offset, ...bounds(log) }
            break
          }
          case 'describeProducers': {
            results[i] = { ok: true, producers: logFor(op).producers.summaries() }
            break
          }
          case 'deleteRecords': {
            const log = revive(op, logFor(op), task.now)
            log.deleteRecordsBefore(op.offset)
            results[i] = { ok: true, ...bounds(log) }
            break
          }
          case 'logSizes': {
            const sizes = []
            for (const [key, log] of logs) sizes.push({ ...parsePartitionKey(key), size: log.size, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark })
            results[i] = { ok: true, logs: sizes }
            break
          }
          case 'delete': {
            const key = partitionKey(op.topic, op.partition)
            const log = logs.get(key)
            logs.delete(key)
            if (log !== undefined) cleaner.abandon(log)
            const tombstone = join(root, deletedDirName(op.topic, op.partition, op.topicId))
            if (log !== undefined) {
              log.moveToTombstone(tombstone)
            } else if (io.exists(partitionDir(root, op.topic, op.partition))) {
              io.rename(partitionDir(root, op.topic, op.partition), tombstone)
              io.rmrf(tombstone)
              io.mkdirp(tombstone)
            }
            results[i] = { ok: true }
            break
          }
          case 'purgeDeleted': {
            io.rmrf(join(root, deletedDirName(op.topic, op.partition, op.topicId)))
            results[i] = { ok: true }
            break
          }
          case 'retention': {
            results[i] = retention(task.now)
            break
          }
          case 'expireProducers': {
            results[i] = expireProducers(task.now)
            break
          }
          case 'clean': {
            results[i] = clean(task.now)
            break
          }
          case 'flush': {
            results[i] = flushAll()
            break
          }
          case 'handOffFlush': {
            results[i] = handOffAll()
            break
          }
          case 'powerLoss': {
            if (!(io instanceof MemoryFileIO)) throw new StorageError(ErrorCode.UNKNOWN_SERVER_ERROR, 'a simulated power loss needs memory storage')
            for (const log of logs.values()) log.abandon()
            logs.clear()
            cleaner.abandon()
            io.crash()
            results[i] = { ok: true }
            break
          }
          case 'close': {
            cleaner.abandon()
            results[i] = flushAll()
            for (const log of logs.values()) {
              try {
                log.close()
              } catch {
                // already reported by the flush above
              }
            }
            logs.clear()
            break
          }
        }
      } catch (err) {
        results[i] = failure(err)
      }
    }

    // Group commit: one fdatasync per touched log per task, before any acknowledgement
    // leaves. Only the .log data: under --fsync always the recovery point on disk moves only
    // at a clean shutdown, so after a crash recovery rescans and rebuilds the indexes anyway.
    if (init.fsync === 'always') {
      for (const log of appended) {
        try {
          log.syncData()
        } catch (err) {
          const f = failure(err)
          for (let i = 0; i < task.ops.length; i++) {
            const op = task.ops[i]!
            if ((op.op === 'append' || op.op === 'writeMarker') && results[i]!.ok && logs.get(partitionKey(op.topic, op.partition)) === log) results[i] = f
          }
        }
      }
    }

    let recyclable: number[] | undefined
    if (groups !== null) {
      for (const g of groups.values()) {
        if (g.index >= 0) {
          owned[g.index] = g.buf.buffer as ArrayBuffer
          ;(recyclable ??= []).push(g.index)
        } else if (g.buf !== NO_BUFFER) {
          readBuffers.keep(g.buf.buffer as ArrayBuffer)
        }
      }
    }

    let out: ArrayBuffer | null = null
    if (readBytes > 0) {
      out = new ArrayBuffer(readBytes)
      const view = new Uint8Array(out)
      let pos = 0
      for (const r of reads) {
        view.set(r, pos)
        pos += r.length
      }
    }
    // The produced bytes have been written (storage copies what it keeps): their buffer goes back for reuse.
    const spent = task.data
    const result: ShardTaskResult = { results, data: out }
    if (spent !== null) result.spent = spent
    if (owned.length > 0) result.owned = owned
    if (recyclable !== undefined) result.recyclable = recyclable
    if (flushMs.length > 0) {
      result.flushMs = flushMs
      flushMs = []
    }
    if (out === null && spent === null && owned.length === 0) return result
    const transfer: ArrayBuffer[] = [...owned]
    if (out !== null) transfer.push(out)
    if (spent !== null) transfer.push(spent)
    return Piscina.move({
      [Piscina.transferableSymbol]: transfer,
      [Piscina.valueSymbol]: result,
    } as never)
  }

  return runShardTask
}

// piscina calls the default export; each worker thread is one shard.
const runner = workerData === null ? null : createShardRunner(workerData as ShardInit)
export default function runShardTask(task: ShardTask): unknown {
  return runner!(task)
}

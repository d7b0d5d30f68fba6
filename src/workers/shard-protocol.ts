// The messages exchanged between the main thread and a shard worker. One task carries
// every operation queued for that shard while its previous task ran, so the ~100 µs cost
// of waking a worker is paid once per task, not once per partition or request.
// Produced batches travel in one packed ArrayBuffer (`data`) that is transferred, not
// cloned; fetched bytes come back the same way.
// Only src/partitions/replica-manager.ts builds these messages; handlers never see them.

import type { LogConfig } from '../../storage/log-config.ts'
import type { ProducerSummary } from '../../storage/producer-state.ts'
import type { RecoveryReport } from '../../storage/partition-log.ts'
import type { RecordError } from '../../storage/log-validator.ts'

export interface ShardInit {
  shardId: number
  dataDir: string | null // null: memory-only storage
  fsync: 'always' | 'interval' | 'never'
  /** producer.id.expiration.ms: idle producers are forgotten after this long. */
  producerIdExpirationMs: number
  /** log.cleaner.dedupe.buffer.size / shards: the log cleaner's key map memory on each shard. */
  cleanerDedupeBufferSize?: number
}

interface PartitionOp {
  topic: string
  partition: number
}

// A partition's config reaches the shard when it opens and when it changes, never with
// every operation.
export type ShardOp =
  /** `logStartOffset`: from log-start-offset-checkpoint (DeleteRecords moved it), if any. */
  | (PartitionOp & { op: 'open'; config: LogConfig; clean: boolean; recoveryPoint: number; logStartOffset?: number; cleanerCheckpoint?: number })
  | (PartitionOp & { op: 'configure'; config: LogConfig })
  /** `coordinator`: written by a coordinator (its transactional offset commits carry no sequence). */
  | (PartitionOp & { op: 'append'; offset: number; length: number; coordinator?: boolean })
  /**
   * `committed`: read_committed, bounded by the last stable offset and told the aborted transactions.
   * `group`: the reads of one Fetch request share its response budget (`responseMaxBytes`)
   * in the order they come, as Kafka's readFromLog: each gets at most what is left, and
   * only the first that returns anything may exceed it (one whole batch). They are placed
   * back to back in one buffer from the fetch pool (`ShardTask.readBuffers`).
   */
  | (PartitionOp & { op: 'read'; fetchOffset: number; maxBytes: number; committed?: boolean; group?: number; responseMaxBytes?: number })
  | (PartitionOp & { op: 'listOffsets'; timestamp: number; committed?: boolean })
  /** ListOffsets v0: segment start offsets before a time (Kafka's legacyFetchOffsetsBefore). */
  | (PartitionOp & { op: 'legacyOffsets'; timestamp: number; maxNumOffsets: number })
  /** A transaction coordinator's COMMIT or ABORT marker for one producer. */
  | (PartitionOp & { op: 'writeMarker'; producerId: number; producerEpoch: number; coordinatorEpoch: number; commit: boolean })
  | (PartitionOp & { op: 'describeProducers' })
  /** DeleteRecords: move the log start to `offset` (−1: the high watermark), dropping whole segments below it. */
  | (PartitionOp & { op: 'deleteRecords'; offset: number })
  /** DescribeLogDirs: every log's size on the shard. */
  | { op: 'logSizes' }
  | (PartitionOp & { op: 'delete'; topicId: string })
  | (PartitionOp & { op: 'purgeDeleted'; topicId: string })
  | { op: 'retention' }
  /** One bounded step of the shard's log cleaner (map a dirty section, or clean one group of segments). */
  | { op: 'clean' }
  | { op: 'expireProducers' }
  | { op: 'flush' }
  | { op: 'handOffFlush' }
  | { op: 'close' }
  /** Test hook, memory storage only: drop every log unflushed and lose unsynced bytes, as a power cut would. */
  | { op: 'powerLoss' }

export type ShardOpName = ShardOp['op']

export interface ShardTask {
  ops: ShardOp[]
  data: ArrayBuffer | null
  now: number
  /** Fetch buffers whose responses have been written, back for the shard to read into again. */
  readBuffers?: ArrayBuffer[]
}

export interface Failed {
  ok: false
  error: number
  message: string
  /** Appends rejected for some of their records (INVALID_TIMESTAMP, INVALID_RECORD): which ones and why. */
  recordErrors?: RecordError[]
}

/** Every successful partition-level result reports the log's bounds, so the main thread's cache stays current without asking. */
export interface Bounds {
  logStartOffset: number
  highWatermark: number
  /** Below the first offset of any open transaction, else the high watermark. */
  lastStableOffset: number
}

export interface AbortedTransaction {
  producerId: number
  firstOffset: number
}

export type { RecoveryReport }

export interface RecoveryPoint {
  topic: string
  partition: number
  recoveryPoint: number
  logStartOffset: number
}

export type OpenResult = Failed | (Bounds & { ok: true; recovery: RecoveryReport | null })
export type ConfigureResult = Failed | { ok: true }
export type AppendResult = Failed | (Bounds & {
  ok: true
  baseOffset: number
  logAppendTime: number
  duplicate: boolean
  /** The partition had gone offline (a failed write) and was reopened and recovered for this append. */
  revived?: true
})
export type ReadResult =
  | Failed
  | (Bounds & {
      ok: true
      /** Index into the task result's `owned` buffers; absent: the bytes sit in its `data`. */
      recordsBuffer?: number
      recordsOffset: number
      recordsLength: number
      /** read_committed reads: aborted transactions overlapping the records returned. */
      abortedTransactions?: AbortedTransaction[]
    })
export type ListOffsetsResult = Failed | (Bounds & { ok: true; offset: number; timestamp: number })
export type LegacyOffsetsResult = Failed | (Bounds & { ok: true; offsets: number[] })
export type WriteMarkerResult = Failed | (Bounds & { ok: true; offset: number })
export type DescribeProducersResult = Failed | { ok: true; producers: ProducerSummary[] }
/** The new log start offset (Kafka's low watermark) is the bounds' logStartOffset. */
export type DeleteRecordsResult = Failed | (Bounds & { ok: true })
export interface LogSize {
  topic: string
  partition: number
  /** Bytes in all segments. */
  size: number
  logEndOffset: number
  highWatermark: number
}
export type LogSizesResult = Failed | { ok: true; logs: LogSize[] }
export type DeleteResult = Failed | { ok: true }
export type PurgeDeletedResult = Failed | { ok: true }
/** A partition whose log start moved, with its new bounds (for the main thread's cache). */
export type RetentionResultMoved = Bounds & { topic: string; partition: number }
export type RetentionResult = Failed | { ok: true; deletedSegments: number; moved: RetentionResultMoved[] }
/** A compacted partition whose clean finished: its new first dirty offset (cleaner-offset-checkpoint). */
export interface CleanedPartition {
  topic: string
  partition: number
  firstDirtyOffset: number
}
export type CleanResult = Failed | { ok: true; busy: boolean; bytesRead: number; bytesWritten: number; cleaned: CleanedPartition[]; moved: RetentionResultMoved[] }
export type ExpireProducersResult = Failed | { ok: true; expiredProducers: number }
export type FlushResult = Failed | { ok: true; recoveryPoints: RecoveryPoint[]; /** Partitions that could not be flushed (offline, full disk): they need recovery at the next start. */ unflushed: string[] }
export type HandOffFlushResult = Failed | { ok: true; recoveryPoints: RecoveryPoint[]; flushFiles: string[]; flushDirs: string[] }

export interface ShardResults {
  open: OpenResult
  configure: ConfigureResult
  append: AppendResult
  read: ReadResult
  listOffsets: ListOffsetsResult
  writeMarker: WriteMarkerResult
  legacyOffsets: LegacyOffsetsResult
  describeProducers: DescribeProducersResult
  deleteRecords: DeleteRecordsResult
  logSizes: LogSizesResult
  delete: DeleteResult
  purgeDeleted: PurgeDeletedResult
  retention: RetentionResult
  clean: CleanResult
  expireProducers: ExpireProducersResult
  flush: FlushResult
  handOffFlush: HandOffFlushResult
  close: FlushResult
  powerLoss: Failed | { ok: true }
}

export type AnyShardResult = ShardResults[ShardOpName]

export interface ShardTaskResult {
  results: AnyShardResult[]
  data: ArrayBuffer | null
  /** The task's `data` buffer, handed back so the main thread can reuse it (fresh memory costs page faults and GC). */
  spent?: ArrayBuffer | null
  /** Large reads, each in the buffer storage read it into, transferred without a copy; and grouped reads' buffers. */
  owned?: ArrayBuffer[]
  /** Indexes into `owned` of fetch-pool buffers: to be handed back once their response is written. */
  recyclable?: number[]
  /** How long each fdatasync this task ran took, in ms (absent when it ran none). */
  flushMs?: number[]
}

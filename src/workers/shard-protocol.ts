// The messages exchanged between the main thread and a shard worker. One task carries
// every operation queued for that shard during one event-loop turn, so the ~100 µs cost
// of waking a worker is paid once per turn, not once per partition or request.
// Produced batches travel in one packed ArrayBuffer (`data`) that is transferred, not
// cloned; fetched bytes come back the same way.

import type { LogConfig } from '../../storage/log-config.ts'

export interface ShardInit {
  shardId: number
  dataDir: string | null // null: memory-only storage
  fsync: 'always' | 'interval' | 'never'
}

export interface PartitionRef {
  topic: string
  partition: number
  config: LogConfig
}

export type ShardOp =
  | (PartitionRef & { op: 'open'; clean: boolean; recoveryPoint: number })
  | (PartitionRef & { op: 'append'; offset: number; length: number })
  | (PartitionRef & { op: 'read'; fetchOffset: number; maxBytes: number; minOneBatch: boolean })
  | (PartitionRef & { op: 'listOffsets'; timestamp: number })
  | { op: 'delete'; topic: string; partition: number }
  | { op: 'retention' }
  | { op: 'flush' }
  | { op: 'handOffFlush' }
  | { op: 'close' }

export interface ShardTask {
  ops: ShardOp[]
  data: ArrayBuffer | null
  now: number
}

// Every partition-level result reports the log's bounds so the main thread can keep
// its cache (used by long-polling fetches and ListOffsets) current without asking.
// One flat shape keeps the hot path free of narrowing gymnastics; which fields are set
// depends on the op.
export interface OpResult {
  error: number
  message?: string
  logStartOffset?: number
  highWatermark?: number
  baseOffset?: number // append
  logAppendTime?: number // append
  recordsBuffer?: number // read: index in the result's `owned` buffers; absent: in `data`
  recordsOffset?: number // read: where its bytes sit in that buffer
  recordsLength?: number
  offset?: number // listOffsets
  timestamp?: number
  recoveryPoints?: RecoveryPoint[] // flush, close, handOffFlush
  flushFiles?: string[] // handOffFlush: files to fdatasync before its recovery points hold
  flushDirs?: string[]
  recovery?: { recoveredSegments: number; truncatedBytes: number; deletedSegments: number } // open, when it repaired something
}

export interface RecoveryPoint {
  topic: string
  partition: number
  recoveryPoint: number
  logStartOffset: number
}

export interface ShardTaskResult {
  results: OpResult[]
  data: ArrayBuffer | null
  /** The task's `data` buffer, handed back so the main thread can reuse it (fresh memory costs page faults and GC). */
  spent?: ArrayBuffer | null
  /** Large reads, each in the buffer storage read it into, transferred without a copy. */
  owned?: ArrayBuffer[]
}

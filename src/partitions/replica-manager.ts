// The one way into partition data, in the role of Kafka's ReplicaManager: handlers and
// coordinators open, append, read, list offsets, describe producers, delete records and delete through
// it and get a typed result per operation. Only this module knows shards, task messages
// and the main thread's partition cache (bounds and append watchers), which it updates
// from every result in one place. A partition's log config reaches its shard when the
// partition opens and when the config changes, never with each operation.
//
// Ordering invariant: operations on one partition run on its shard in the order they are
// called here. A partition always maps to the same shard, and a shard runs its
// operations in submission order with at most one task in flight (shard-pool.ts). With
// the connection's in-order dispatch, records of one partition from one connection are
// stored in the order their requests arrived. test/e2e/produce-order.test.ts and
// test/partitions/replica-manager.test.ts guard it.
// This is also the seam where replication would attach.

import type { TopicInfo } from '../topics/topic-registry.ts'
import type { Logger } from '../logger.ts'
import type { ShardPool } from '../workers/shard-pool.ts'
import type {
  AbortedTransaction, AppendResult, Bounds, CleanResult, LegacyOffsetsResult, WriteMarkerResult, DescribeProducersResult, DeleteRecordsResult, LogSize, Failed, ExpireProducersResult, HandOffFlushResult, RetentionResult, FlushResult, ListOffsetsResult, OpenResult, RecoveryPoint, ShardOp,
} from '../workers/shard-protocol.ts'
import { PartitionCache, type AppendWatcher, type PartitionState } from './partition-cache.ts'

export type { AppendResult, ListOffsetsResult, OpenResult, DescribeProducersResult, DeleteRecordsResult, LogSize, Failed, RecoveryPoint }

/** A read: whole batches from the one holding the fetch offset, the first always whole. */
export type ReadOutcome = Failed | (Bounds & {
  ok: true
  records: Buffer | null
  abortedTransactions: AbortedTransaction[] | null
  /** Reads with a budget: gives `records`' buffer back to the shard (see OpOutcome.release). */
  release: (() => void) | null
})

/** One Fetch request's response budget, shared in order by the reads that name it (Kafka's readFromLog). */
export interface ReadBudget {
  /** Unique among the reads in flight. */
  group: number
  responseMaxBytes: number
}

export interface OpenOptions {
  /** The data dir had a clean-shutdown marker. */
  clean: boolean
  recoveryPoint: number
  /** From log-start-offset-checkpoint: where DeleteRecords left the log start (it may lie inside a segment). */
  logStartOffset?: number
  /** From cleaner-offset-checkpoint: where the log cleaner stopped. */
  cleanerCheckpoint?: number
}

export class ReplicaManager {
  private readonly shards: ShardPool
  private readonly cache = new PartitionCache()
  private readonly logger: Logger | null

  constructor(shards: ShardPool, logger: Logger | null = null) {
    this.shards = shards
    this.logger = logger
  }

  private shardOf(topic: string, partition: number): number {
    return this.shards.shardOf(topic, partition)
  }

  /** Opens (creating or recovering) one partition's log with the topic's config. */
  async open(topic: TopicInfo, partition: number, options: OpenOptions): Promise<OpenResult> {
    const { result } = await this.shards.submit(this.shardOf(topic.name, partition), {
      op: 'open', topic: topic.name, partition, config: topic.logConfig, clean: options.clean, recoveryPoint: options.recoveryPoint, logStartOffset: options.logStartOffset, cleanerCheckpoint: options.cleanerCheckpoint,
    })
    if (result.ok) this.cache.update(topic.name, partition, result)
    return result
  }

  /** Sends a topic's changed config to the shards of its partitions. */
  async configure(topic: TopicInfo): Promise<void> {
    const pending = []
    for (let p = 0; p < topic.partitions; p++) pending.push(this.shards.submit(this.shardOf(topic.name, p), { op: 'configure', topic: topic.name, partition: p, config: topic.logConfig }))
    await Promise.all(pending)
  }

  /**
   * Appends one producer's records (validated on the shard) and wakes the fetches waiting
   * on the partition. `records` is copied at once: the caller's buffer may be reused.
   */
  async append(topic: string, partition: number, records: Buffer, fromCoordinator = false): Promise<AppendResult> {
    const bytes = records.length
    const op = fromCoordinator ? { op: 'append' as const, topic, partition, offset: 0, length: 0, coordinator: true } : { op: 'append' as const, topic, partition, offset: 0, length: 0 }
    const { result } = await this.shards.submit(this.shardOf(topic, partition), op, records)
    if (result.ok && !result.duplicate) this.cache.appended(topic, partition, result, bytes)
    if (result.ok && result.revived === true) this.logger?.info({ topic, partition, logEndOffset: result.highWatermark }, 'partition is writable again: reopened and recovered after a failed write')
    return result
  }

  /** `committed`: read_committed (up to the last stable offset, with the aborted transactions in range). */
  /**
   * `budget`: the reads of one request submitted in the same turn share it on each shard, in
   * submission order; across shards each shard applies it to its own reads only, so the
   * caller still trims the whole to the budget.
   */
  async read(topic: string, partition: number, fetchOffset: number, maxBytes: number, committed = false, budget?: ReadBudget): Promise<ReadOutcome> {
    const op: Extract<ShardOp, { op: 'read' }> = { op: 'read', topic, partition, fetchOffset, maxBytes }
    if (committed) op.committed = true
    if (budget !== undefined) {
      op.group = budget.group
      op.responseMaxBytes = budget.responseMaxBytes
    }
    const { result, records, release } = await this.shards.submit(this.shardOf(topic, partition), op)
    if (!result.ok) return result
    this.cache.update(topic, partition, result)
    return { ok: true, logStartOffset: result.logStartOffset, highWatermark: result.highWatermark, lastStableOffset: result.lastStableOffset, records, abortedTransactions: result.abortedTransactions ?? null, release }
  }

  async listOffsets(topic: string, partition: number, timestamp: number, committed = false): Promise<ListOffsetsResult> {
    const { result } = await this.shards.submit(this.shardOf(topic, partition), { op: 'listOffsets', topic, partition, timestamp, committed })
    if (result.ok) this.cache.update(topic, partition, result)
    return result
  }

  /** ListOffsets v0: the offsets Kafka's legacyFetchOffsetsBefore lists, newest first. */
  async legacyOffsets(topic: string, partition: number, timestamp: number, maxNumOffsets: number): Promise<LegacyOffsetsResult> {
    const { result } = await this.shards.submit(this.shardOf(topic, partition), { op: 'legacyOffsets', topic, partition, timestamp, maxNumOffsets })
    if (result.ok) this.cache.update(topic, partition, result)
    return result
  }

  /**
   * Writes a transaction marker (COMMIT or ABORT) for a producer and wakes the fetches
   * waiting on the partition: its last stable offset may have moved.
   */
  async writeMarker(topic: string, partition: number, marker: { producerId: number; producerEpoch: number; coordinatorEpoch: number; commit: boolean }): Promise<WriteMarkerResult> {
    const { result } = await this.shards.submit(this.shardOf(topic, partition), { op: 'writeMarker', topic, partition, ...marker })
    if (result.ok) this.cache.appended(topic, partition, result, 0)
    return result
  }

  async describeProducers(topic: string, partition: number): Promise<DescribeProducersResult> {
    const { result } = await this.shards.submit(this.shardOf(topic, partition), { op: 'describeProducers', topic, partition })
    return result
  }

  /**
   * DeleteRecords: moves the log start to `offset` (−1: the high watermark) and deletes
   * the whole segments below it. The cache's log start moves with it, so ListOffsets
   * earliest answers the new start at once.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<DeleteRecordsResult> {
    const { result } = await this.shards.submit(this.shardOf(topic, partition), { op: 'deleteRecords', topic, partition, offset })
    if (result.ok) this.cache.update(topic, partition, result)
    return result
  }

  /** DescribeLogDirs: the size of every open log, from every shard. */
  async logSizes(): Promise<LogSize[]> {
    const out: LogSize[] = []
    for (const { result } of await this.shards.broadcast({ op: 'logSizes' })) {
      if (!result.ok) throw new Error(result.message)
      out.push(...result.logs)
    }
    return out
  }

  /**
   * Removes every partition of a deleted topic: each directory becomes an empty
   * `-delete` tombstone (no free space needed, then its space is freed); fetches waiting
   * on them answer at once. purgeDeleted() removes the tombstones once the catalogue no
   * longer lists the topic.
   */
  async deleteTopic(topic: TopicInfo): Promise<Failed | null> {
    this.cache.dropTopic(topic.name, topic.partitions)
    return this.eachPartition(topic, 'delete')
  }

  async purgeDeleted(topic: { name: string; id: string; partitions: number }): Promise<Failed | null> {
    return this.eachPartition(topic, 'purgeDeleted')
  }

  private async eachPartition(topic: { name: string; id: string; partitions: number }, op: 'delete' | 'purgeDeleted'): Promise<Failed | null> {
    const pending = []
    for (let p = 0; p < topic.partitions; p++) pending.push(this.shards.submit(this.shardOf(topic.name, p), { op, topic: topic.name, partition: p, topicId: topic.id }))
    const outcomes = await Promise.all(pending)
    for (const { result } of outcomes) if (!result.ok) return result
    return null
  }

  /** The cached bounds of a partition (no shard round trip); undefined before it was opened. */
  bounds(topic: string, partition: number): PartitionState | undefined {
    return this.cache.get(topic, partition)
  }

  /** Calls `watcher` on every append to any of the partitions; returns the unsubscribe. */
  watch(partitions: Array<{ topic: string; partition: number }>, watcher: AppendWatcher): () => void {
    return this.cache.watch(partitions, watcher)
  }

  /** Deletes segments past retention (and below the log start) on every shard. */
  async applyRetention(): Promise<RetentionResult[]> {
    const results = (await this.shards.broadcast({ op: 'retention' })).map((o) => o.result)
    // ListOffsets earliest answers from the cache: it must see the new log starts.
    for (const r of results) if (r.ok) for (const m of r.moved) this.cache.update(m.topic, m.partition, m)
    return results
  }

  /** One step of every shard's log cleaner, in parallel (each shard cleans only its own logs). */
  async clean(): Promise<CleanResult[]> {
    const results = (await this.shards.broadcast({ op: 'clean' })).map((o) => o.result)
    for (const r of results) if (r.ok) for (const m of r.moved) this.cache.update(m.topic, m.partition, m)
    return results
  }

  /** Forgets producers idle longer than producer.id.expiration.ms on every shard. */
  async expireProducers(): Promise<ExpireProducersResult[]> {
    return (await this.shards.broadcast({ op: 'expireProducers' })).map((o) => o.result)
  }

  async flush(): Promise<FlushResult[]> {
    return (await this.shards.broadcast({ op: 'flush' })).map((o) => o.result)
  }

  /** --fsync interval: what each shard wrote since the last round, for the background flusher. */
  async handOffFlush(): Promise<HandOffFlushResult[]> {
    return (await this.shards.broadcast({ op: 'handOffFlush' })).map((o) => o.result)
  }

  /** Flushes and closes every log; the shards stay up until `shutdown`. */
  async closeLogs(): Promise<FlushResult[]> {
    return (await this.shards.broadcast({ op: 'close' })).map((o) => o.result)
  }

  /** Test hook (memory storage): every shard loses what was not synced, as in a power cut. Reopen the partitions afterwards. */
  async powerLoss(): Promise<void> {
    for (const { result } of await this.shards.broadcast({ op: 'powerLoss' })) if (!result.ok) throw new Error(result.message)
  }

  async shutdown(): Promise<void> {
    await this.shards.close()
  }

  /** Tasks sent to each shard so far (stats, and tests of the batching rule). */
  tasksSent(): number[] {
    return this.shards.tasksSent()
  }

  /** Operations waiting for or running on each shard (the queue-depth metric). */
  queueDepths(): number[] {
    return this.shards.queueDepths()
  }
}

// The one mechanism behind coordinator state kept in an internal topic (Kafka's
// CoordinatorRuntime / PartitionWriter roles), shared by the group coordinator
// (`__consumer_offsets`) and the transaction coordinator (`__transaction_state`): which
// partition a key maps to, creating the topic on first use, appending records (plain or
// as one producer's transactional batch), writing transaction markers, and replaying
// every partition batch by batch at start-up. The coordinators own what the records mean.

import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch, decodeRecords, type DecodedRecord, type RecordInput } from '../../protocol/records/record-batch-builder.ts'
import { controlTypeOf } from '../../protocol/records/control-record.ts'
import { BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, CONTROL_FLAG_MASK, LOG_OVERHEAD, TRANSACTIONAL_FLAG_MASK, batchAttributes } from '../../protocol/records/record-batch.ts'
import { producerBatchAt } from '../../storage/producer-state.ts'
import type { Logger } from '../logger.ts'
import type { ReplicaManager } from '../partitions/replica-manager.ts'
import type { TopicInfo } from '../topics/topic-registry.ts'

/** What a coordinator log needs from the broker: the catalogue, the replicas and topic creation. */
export interface CoordinatorLogHost {
  logger: Logger
  replicas: ReplicaManager
  topics: { get(name: string): TopicInfo | undefined }
  createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>, internal: boolean): Promise<{ error: number; message: string | null }>
}

/** One batch read back during a replay. */
export interface ReplayedBatch {
  partition: number
  producerId: number
  producerEpoch: number
  isTransactional: boolean
  /** A transaction marker: `commit` says which; its records are not returned. */
  isControl: boolean
  commit: boolean
  records: DecodedRecord[]
}

/** What a start-up replay read: batches (markers included) and the records decoded from them. */
export interface ReplayStats {
  batches: number
  records: number
  ms: number
}

/** Kafka's Utils.abs(key.hashCode) % partitions, so keys land where Kafka puts them. */
export function partitionForKey(key: string, partitions: number): number {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0
  const abs = h === -2147483648 ? 0 : Math.abs(h)
  return abs % partitions
}

export class CoordinatorLog {
  readonly topic: string
  private readonly host: CoordinatorLogHost
  private readonly partitionCount: number
  private readonly configs: Record<string, string>
  private creating: Promise<void> | null = null
  /**
   * The partition count keys map over, fixed when the coordinator loads (or creates the
   * topic), as Kafka's coordinators read it once: growing the topic later must not move
   * existing groups or transactional ids away from their records.
   */
  private fixedCount: number | null = null

  constructor(host: CoordinatorLogHost, topic: string, partitions: number, configs: Record<string, string>) {
    this.host = host
    this.topic = topic
    this.partitionCount = partitions
    this.configs = configs
  }

  /** The partition holding `key`'s records (the topic's own count once it exists). */
  partitionFor(key: string): number {
    this.fixedCount ??= this.host.topics.get(this.topic)?.partitions ?? null
    return partitionForKey(key, this.fixedCount ?? this.partitionCount)
  }

  private ensureTopic(): Promise<void> {
    if (this.host.topics.get(this.topic) !== undefined) return Promise.resolve()
    this.creating ??= this.host.createTopic(this.topic, this.partitionCount, 1, this.configs, true).then((outcome) => {
      this.creating = null
      if (outcome.error !== ErrorCode.NONE && outcome.error !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`cannot create ${this.topic}: ${outcome.message}`)
    })
    return this.creating
  }

  /**
   * Appends records to `key`'s partition, as one producer's transactional batch when
   * `producer` is given; resolves to an error code (COORDINATOR_NOT_AVAILABLE on failure,
   * as Kafka's coordinators answer a failed write).
   */
  async append(key: string, records: RecordInput[], producer?: { producerId: number; producerEpoch: number }): Promise<number> {
    try {
      await this.ensureTopic()
    } catch (err) {
      this.host.logger.error({ err, topic: this.topic }, 'coordinator cannot create its topic')
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    const partition = this.partitionFor(key)
    const batch = producer === undefined
      ? buildRecordBatch({ records })
      : buildRecordBatch({ records, producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: -1, isTransactional: true })
    const result = await this.host.replicas.append(this.topic, partition, batch, true)
    if (!result.ok) {
      this.host.logger.error({ topic: this.topic, partition, key, error: result.error, message: result.message }, 'cannot write coordinator state')
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    return ErrorCode.NONE
  }

  /** Creates the topic if it does not exist yet; resolves to an error code. */
  async ensureExists(): Promise<number> {
    try {
      await this.ensureTopic()
      return ErrorCode.NONE
    } catch (err) {
      this.host.logger.error({ err, topic: this.topic }, 'coordinator cannot create its topic')
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
  }

  /**
   * Replays every partition, batch by batch in offset order within a partition (partitions
   * concurrently). Logs and returns how much it read, as Kafka logs each partition's load:
   * with compaction this follows the live keys, not the history.
   */
  async replay(visit: (batch: ReplayedBatch) => void): Promise<ReplayStats> {
    const stats: ReplayStats = { batches: 0, records: 0, ms: 0 }
    const topic = this.host.topics.get(this.topic)
    if (topic === undefined) return stats
    this.fixedCount = topic.partitions
    const started = performance.now()
    const counted = (batch: ReplayedBatch): void => {
      stats.batches++
      stats.records += batch.records.length
      visit(batch)
    }
    await Promise.all(Array.from({ length: topic.partitions }, (_, p) => this.replayPartition(p, counted)))
    stats.ms = Math.round(performance.now() - started)
    this.host.logger.info({ topic: this.topic, ...stats }, 'replayed coordinator topic')
    return stats
  }

  private async replayPartition(partition: number, visit: (batch: ReplayedBatch) => void): Promise<void> {
    let offset = this.host.replicas.bounds(this.topic, partition)?.logStartOffset ?? 0
    for (;;) {
      const result = await this.host.replicas.read(this.topic, partition, offset, 4 << 20)
      if (!result.ok) throw new Error(`cannot load ${this.topic}-${partition}: ${result.message || result.error}`)
      const buf = result.records
      if (buf === null || buf.length === 0) return
      let pos = 0
      while (pos + BATCH_HEADER_SIZE <= buf.length) {
        const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
        const attributes = batchAttributes(buf, pos)
        const producer = producerBatchAt(buf, pos)
        const isControl = (attributes & CONTROL_FLAG_MASK) !== 0
        const records = isControl ? [] : decodeRecords(buf, pos).filter((r) => r.offset >= offset)
        const last = buf.readBigInt64BE(pos) + BigInt(buf.readInt32BE(pos + 23))
        visit({
          partition,
          producerId: producer?.producerId ?? -1,
          producerEpoch: producer?.epoch ?? -1,
          isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
          isControl,
          commit: isControl && controlTypeOf(buf, pos) === 1,
          records,
        })
        offset = Number(last) + 1
        pos += size
      }
      if (offset >= result.highWatermark) return
    }
  }
}

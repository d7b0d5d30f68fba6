// Committed offsets, following Kafka's OffsetMetadataManager: OffsetCommit and
// TxnOffsetCommit checks, OffsetFetch, OffsetDelete, the offsets a transaction holds
// until its marker, their replay from `__consumer_offsets`, and lag. Offsets live on
// their ClassicGroup (a group that only commits is an Empty group); the join and sync
// flows are group-coordinator.ts's. Writes leave as CoordinatorResults: nothing here
// changes a committed offset before its record is durable.

import { ErrorCode } from '../../protocol/error-codes.ts'
import type { RecordInput } from '../../protocol/records/record-batch-builder.ts'
import type { Clock } from './clock.ts'
import { ClassicGroup, GroupState, type CommittedOffset, type Member } from './classic-group.ts'
import { answer, type CoordinatorResult } from './coordinator-runtime.ts'
import { decodeOffsetValue, encodeOffsetKey, encodeOffsetValue } from './offsets-records.ts'
import { partitionKey, parsePartitionKey } from '../topics/partition-key.ts'

// Kafka's offset.metadata.max.bytes default.
const OFFSET_METADATA_MAX_BYTES = 4096

export interface CommitArgs {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }>
}

export type TxnCommitArgs = CommitArgs & { producerId: number; producerEpoch: number }

export interface FetchedOffsets {
  errorCode: number
  topics: Array<{ name: string; partitions: Array<{ partition: number } & CommittedOffset> }>
}

export interface DeletedOffsets {
  errorCode: number
  topics: Array<{ name: string; partitions: Array<{ partition: number; errorCode: number }> }>
}

export interface PartitionLag {
  topic: string
  partition: number
  committed: number
  logEnd: number
  lag: number
  /** What a read_committed group can read up to: before the first open transaction. */
  lastStableOffset: number
  /** Lag of a read_committed group: records it could read now (up to the last stable offset). */
  stableLag: number
}

/** Partition counts, to refuse offsets for partitions that do not exist. */
export interface TopicPartitionCounts {
  get(name: string): { partitions: number } | undefined
}

/** Log end and last stable offset of a partition, as the partition cache knows them. */
export interface PartitionBoundsSource {
  bounds(topic: string, partition: number): { highWatermark: number; lastStableOffset: number } | undefined
}

export interface OffsetManagerDeps {
  /** The coordinator's groups, shared: a commit can create a group and checks its members. */
  groups: Map<string, ClassicGroup>
  clock: Clock
  topics: TopicPartitionCounts
  replicas: PartitionBoundsSource
  /** A member's commit shows it is alive (Kafka reschedules its heartbeat). */
  memberAlive(group: ClassicGroup, member: Member): void
}

interface PreparedOffsets {
  /** One per requested offset, in order: NONE for those written. */
  errors: number[]
  records: RecordInput[]
  accepted: Array<{ key: string; value: CommittedOffset }>
}

export class OffsetManager {
  private readonly deps: OffsetManagerDeps
  /**
   * Offsets committed inside open transactions (TxnOffsetCommit), per producer id: they
   * become the group's committed offsets when the COMMIT marker is written, and are
   * dropped on ABORT (Kafka's pendingTransactionalOffsetCommits).
   */
  private readonly pendingTxnOffsets = new Map<number, Array<{ groupId: string; key: string; value: CommittedOffset }>>()

  constructor(deps: OffsetManagerDeps) {
    this.deps = deps
  }

  private groupFor(groupId: string): ClassicGroup {
    let group = this.deps.groups.get(groupId)
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.deps.clock.now())
      this.deps.groups.set(groupId, group)
    }
    return group
  }

  // ---- commit ----

  private commitError(group: ClassicGroup, a: CommitArgs): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID
    // A simple consumer or an admin tool: no generation, only allowed while nobody is a member.
    if (a.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE
    if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS
    const member = group.members.get(a.memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (a.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    this.deps.memberAlive(group, member)
    return ErrorCode.NONE
  }

  /** Per-offset checks; the offsets that pass become records, the others keep their error. */
  private prepare(a: CommitArgs): PreparedOffsets {
    const now = this.deps.clock.now()
    const out: PreparedOffsets = { errors: [], records: [], accepted: [] }
    for (const o of a.offsets) {
      const topic = this.deps.topics.get(o.topic)
      if (topic === undefined || o.partition < 0 || o.partition >= topic.partitions) {
        out.errors.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        continue
      }
      const metadata = o.metadata ?? ''
      if (Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) {
        out.errors.push(ErrorCode.OFFSET_METADATA_TOO_LARGE)
        continue
      }
      const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now }
      out.records.push({ key: encodeOffsetKey(a.groupId, o.topic, o.partition), value: encodeOffsetValue(value) })
      out.accepted.push({ key: partitionKey(o.topic, o.partition), value })
      out.errors.push(ErrorCode.NONE)
    }
    return out
  }

  /** OffsetCommit: one error code per requested offset, in order. */
  commit(a: CommitArgs): CoordinatorResult<number[]> {
    if (a.groupId === '') return answer(a.offsets.map(() => ErrorCode.INVALID_GROUP_ID))
    const existing = this.deps.groups.get(a.groupId)
    if (existing === undefined && a.generationId >= 0) return answer(a.offsets.map(() => ErrorCode.ILLEGAL_GENERATION))
    const group = existing ?? this.groupFor(a.groupId)
    const groupError = this.commitError(group, a)
    if (groupError !== ErrorCode.NONE) return answer(a.offsets.map(() => groupError))
    const { errors, records, accepted } = this.prepare(a)
    return {
      records,
      complete: () => {
        for (const { key, value } of accepted) group.offsets.set(key, value)
        return errors
      },
      failed: (error) => errors.map((e) => (e === ErrorCode.NONE ? error : e)),
    }
  }

  /**
   * TxnOffsetCommit: offsets written to `__consumer_offsets` in the producer's transaction,
   * applied when it commits. KIP-447: a request with a generation (v3+) is checked against
   * the group like a normal commit (unknown member, fenced instance, generation).
   */
  commitTxn(a: TxnCommitArgs): CoordinatorResult<number[]> {
    if (a.groupId === '') return answer(a.offsets.map(() => ErrorCode.INVALID_GROUP_ID))
    const group = this.deps.groups.get(a.groupId)
    if (a.generationId >= 0) {
      const error = group === undefined ? ErrorCode.ILLEGAL_GENERATION : this.txnCommitError(group, a)
      if (error !== ErrorCode.NONE) return answer(a.offsets.map(() => error))
    }
    const { errors, records, accepted } = this.prepare(a)
    return {
      records,
      producer: { producerId: a.producerId, producerEpoch: a.producerEpoch },
      complete: () => {
        for (const { key, value } of accepted) this.addPendingTxnOffset(a.producerId, a.groupId, key, value)
        return errors
      },
      failed: (error) => errors.map((e) => (e === ErrorCode.NONE ? error : e)),
    }
  }

  // Unlike a plain commit, it neither waits out CompletingRebalance nor counts as a heartbeat.
  private txnCommitError(group: ClassicGroup, a: TxnCommitArgs): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID
    if (!group.members.has(a.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID
    if (a.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    return ErrorCode.NONE
  }

  private addPendingTxnOffset(producerId: number, groupId: string, key: string, value: CommittedOffset): void {
    let pending = this.pendingTxnOffsets.get(producerId)
    if (pending === undefined) this.pendingTxnOffsets.set(producerId, (pending = []))
    pending.push({ groupId, key, value })
  }

  /**
   * A transaction marker reached `__consumer_offsets`: the producer's pending offsets
   * become committed (COMMIT) or are dropped (ABORT).
   */
  completeTxn(producerId: number, commit: boolean): void {
    const pending = this.pendingTxnOffsets.get(producerId)
    if (pending === undefined) return
    this.pendingTxnOffsets.delete(producerId)
    if (!commit) return
    for (const { groupId, key, value } of pending) this.groupFor(groupId).offsets.set(key, value)
  }

  /** Whether the group has offsets waiting on an open transaction (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT). */
  hasPendingTxnOffsets(groupId: string, key?: string): boolean {
    for (const pending of this.pendingTxnOffsets.values()) {
      for (const p of pending) if (p.groupId === groupId && (key === undefined || p.key === key)) return true
    }
    return false
  }

  // ---- fetch and delete ----

  /** Committed offsets; `topics` null means every partition the group committed. */
  fetch(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null): FetchedOffsets {
    const group = this.deps.groups.get(groupId)
    const none = { offset: -1, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }
    if (topics !== null) {
      return {
        errorCode: ErrorCode.NONE,
        topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p, ...(group?.offsets.get(partitionKey(t.name, p)) ?? none) })) })),
      }
    }
    const byTopic = new Map<string, Array<{ partition: number } & CommittedOffset>>()
    for (const [key, value] of group?.offsets ?? []) {
      const { topic: name, partition } = parsePartitionKey(key)
      if (!byTopic.has(name)) byTopic.set(name, [])
      byTopic.get(name)!.push({ partition, ...value })
    }
    return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((x, y) => x.partition - y.partition) })) }
  }

  /** OffsetDelete: refused for topics the group's members subscribe to. */
  delete(groupId: string, topics: Array<{ name: string; partitions: number[] }>): CoordinatorResult<DeletedOffsets> {
    const group = this.deps.groups.get(groupId)
    if (group === undefined || group.is(GroupState.Dead)) return answer({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] })
    const subscribed = group.is(GroupState.Empty) ? new Set<string>() : group.subscribedTopics()
    const records: RecordInput[] = []
    const deleted: string[] = []
    const out = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (subscribed === null || subscribed.has(t.name)) return { partition: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
        if (group.offsets.has(partitionKey(t.name, p))) {
          records.push({ key: encodeOffsetKey(groupId, t.name, p), value: null })
          deleted.push(partitionKey(t.name, p))
        }
        return { partition: p, errorCode: ErrorCode.NONE }
      }),
    }))
    return {
      records,
      complete: () => {
        for (const k of deleted) group.offsets.delete(k)
        return { errorCode: ErrorCode.NONE, topics: out }
      },
      failed: (error) => ({ errorCode: error, topics: [] }),
    }
  }

  /**
   * KIP-211 for a group that never had members (offsets only: simple consumers, admin
   * tools, transactional producers): each offset expires `retentionMs` after its last
   * commit, unless a transaction still holds one for it. Null when nothing expired.
   */
  expireByCommitTime(group: ClassicGroup, now: number, retentionMs: number): CoordinatorResult<number> | null {
    const expired: string[] = []
    for (const [key, value] of group.offsets) {
      if (value.commitTimestamp + retentionMs <= now && !this.hasPendingTxnOffsets(group.groupId, key)) expired.push(key)
    }
    if (expired.length === 0) return null
    return {
      records: expired.map((key) => {
        const { topic, partition } = parsePartitionKey(key)
        return { key: encodeOffsetKey(group.groupId, topic, partition), value: null }
      }),
      complete: () => {
        for (const key of expired) group.offsets.delete(key)
        return ErrorCode.NONE
      },
      failed: (error) => error,
    }
  }

  /** A tombstone for every offset the group committed (the group is being removed). */
  tombstones(group: ClassicGroup): RecordInput[] {
    return [...group.offsets.keys()].map((key) => {
      const { topic, partition } = parsePartitionKey(key)
      return { key: encodeOffsetKey(group.groupId, topic, partition), value: null }
    })
  }

  // ---- replay ----

  /** A committed offset (null: a tombstone) read back from `__consumer_offsets`. */
  replayOffset(groupId: string, topic: string, partition: number, value: Buffer | null): void {
    if (value === null) {
      this.deps.groups.get(groupId)?.offsets.delete(partitionKey(topic, partition))
      return
    }
    this.groupFor(groupId).offsets.set(partitionKey(topic, partition), decodeOffsetValue(value))
  }

  /** An offset from a transactional batch: it waits for the transaction's marker, as on the live path. */
  replayTxnOffset(producerId: number, groupId: string, topic: string, partition: number, value: Buffer): void {
    this.addPendingTxnOffset(producerId, groupId, partitionKey(topic, partition), decodeOffsetValue(value))
  }

  // ---- lag ----

  /** Committed offset versus log end for every partition the group committed. */
  lag(groupId: string): PartitionLag[] {
    const group = this.deps.groups.get(groupId)
    if (group === undefined) return []
    const out: PartitionLag[] = []
    for (const [key, value] of group.offsets) {
      const { topic, partition } = parsePartitionKey(key)
      const bounds = this.deps.replicas.bounds(topic, partition)
      const logEnd = bounds?.highWatermark ?? -1
      const lastStable = bounds?.lastStableOffset ?? -1
      out.push({
        topic, partition, committed: value.offset, logEnd, lag: logEnd < 0 ? -1 : Math.max(0, logEnd - value.offset),
        lastStableOffset: lastStable, stableLag: lastStable < 0 ? -1 : Math.max(0, lastStable - value.offset),
      })
    }
    return out
  }
}

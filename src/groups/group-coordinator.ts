// The classic group coordinator, following Kafka's GroupCoordinator/GroupMetadataManager:
// the join / sync / heartbeat / leave flows that move groups between Empty,
// PreparingRebalance, CompletingRebalance, Stable and Dead; committed offsets; and the
// durable state in `__consumer_offsets`, which is replayed at start-up (requests get
// COORDINATOR_LOAD_IN_PROGRESS until it is). Every timer goes through one Clock.

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { RecordInput } from '../../protocol/records/record-batch-builder.ts'
import { CoordinatorLog, type ReplayedBatch } from '../coordinator/coordinator-log.ts'
import type { BrokerContext } from '../broker-context.ts'
import type { Clock, Timer } from './clock.ts'
import { ClassicGroup, GroupState, Member, joinError, syncError, type CommittedOffset, type JoinResult, type Protocol, type SyncResult } from './classic-group.ts'
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
} from './offsets-records.ts'
import { partitionKey, parsePartitionKey } from '../topics/partition-key.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'
// Kafka's offset.metadata.max.bytes, offsets.retention.check.interval.ms and
// offsets.topic.segment.bytes defaults.
const OFFSET_METADATA_MAX_BYTES = 4096
const OFFSETS_RETENTION_CHECK_MS = 600_000
const OFFSETS_TOPIC_SEGMENT_BYTES = '104857600'
const EMPTY = Buffer.alloc(0)

export interface JoinArgs {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  /** JoinGroup v4+: a dynamic member must first ask for its id (KIP-394). */
  requireKnownMemberId: boolean
  /** JoinGroup v9+ can tell a rejoining static leader to skip the assignment (KIP-814). */
  supportsSkipAssignment: boolean
}

export interface SyncArgs {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: Array<{ memberId: string; assignment: Buffer }>
}

export interface CommitArgs {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }>
}

export interface LeaveMember {
  memberId: string
  groupInstanceId: string | null
}

export interface GroupSummary {
  errorCode: number
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>
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

export class GroupCoordinator {
  private readonly broker: BrokerContext
  private readonly clock: Clock
  readonly groups = new Map<string, ClassicGroup>()
  /** `__consumer_offsets`, through the mechanism shared with the transaction coordinator. */
  readonly log: CoordinatorLog
  /**
   * Offsets committed inside open transactions (TxnOffsetCommit), per producer id: they
   * become the group's committed offsets when the COMMIT marker is written, and are
   * dropped on ABORT (Kafka's pendingTransactionalOffsetCommits).
   */
  private readonly pendingTxnOffsets = new Map<number, Array<{ groupId: string; key: string; value: CommittedOffset }>>()
  private loaded = false
  private retentionTimer: Timer | null = null
  private closed = false

  constructor(broker: BrokerContext, clock: Clock) {
    this.broker = broker
    this.clock = clock
    this.log = new CoordinatorLog(broker, OFFSETS_TOPIC, broker.options.offsetsTopicNumPartitions, { 'cleanup.policy': 'compact', 'segment.bytes': OFFSETS_TOPIC_SEGMENT_BYTES })
  }

  get isLoading(): boolean {
    return !this.loaded
  }

  private get minSession(): number {
    return this.broker.options.groupMinSessionTimeoutMs
  }

  private get maxSession(): number {
    return this.broker.options.groupMaxSessionTimeoutMs
  }

  // ---- persistence ----

  /** Appends records for a group to its `__consumer_offsets` partition; resolves to an error code. */
  private append(groupId: string, records: RecordInput[]): Promise<number> {
    return this.log.append(groupId, records)
  }

  private groupRecord(group: ClassicGroup): RecordInput {
    const protocol = group.protocolName
    return {
      key: encodeGroupKey(group.groupId),
      value: encodeGroupValue({
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol,
        leader: group.leaderId,
        currentStateTimestamp: group.stateTimestamp,
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          sessionTimeoutMs: m.sessionTimeoutMs,
          subscription: protocol === null ? EMPTY : m.metadataFor(protocol),
          assignment: m.assignment,
        })),
      }),
    }
  }

  private storeGroup(group: ClassicGroup): Promise<number> {
    return this.append(group.groupId, [this.groupRecord(group)])
  }

  /** Replays `__consumer_offsets` into memory; until it finishes, requests get COORDINATOR_LOAD_IN_PROGRESS. */
  async load(gate?: Promise<void>): Promise<void> {
    // Partitions replay concurrently (their reads batch per shard); a group lives in one
    // partition, so only the order within a partition matters.
    await this.log.replay((batch) => this.replayBatch(batch))
    // Tests only (StartExtras.groupLoadGate): replayed, not serving yet, so requests still get COORDINATOR_LOAD_IN_PROGRESS.
    if (gate !== undefined) await gate
    for (const group of this.groups.values()) {
      if (group.members.size > 0) {
        group.transition(GroupState.Stable, group.stateTimestamp)
        for (const m of group.members.values()) this.scheduleSession(group, m)
      }
    }
    this.loaded = true
    this.scheduleRetention()
  }

  // Transactional offset commits wait for their marker, as on the live path.
  private replayBatch(batch: ReplayedBatch): void {
    if (batch.isControl) {
      this.completeTxn(batch.producerId, batch.commit)
      return
    }
    if (batch.isTransactional) {
      for (const r of batch.records) {
        if (r.key === null || r.value === null) continue
        const key = decodeKey(r.key)
        if (key === null || key.kind !== 'offset') continue
        this.addPendingTxnOffset(batch.producerId, key.group, partitionKey(key.topic, key.partition), decodeOffsetValue(r.value))
      }
      return
    }
    for (const r of batch.records) this.replay(r.key, r.value)
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
    for (const { groupId, key, value } of pending) {
      let group = this.groups.get(groupId)
      if (group === undefined) {
        group = new ClassicGroup(groupId, this.clock.now())
        this.groups.set(groupId, group)
      }
      group.offsets.set(key, value)
    }
  }

  /** Whether the group has offsets waiting on an open transaction (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT). */
  hasPendingTxnOffsets(groupId: string, key?: string): boolean {
    for (const pending of this.pendingTxnOffsets.values()) {
      for (const p of pending) if (p.groupId === groupId && (key === undefined || p.key === key)) return true
    }
    return false
  }

  private replay(keyBytes: Buffer | null, value: Buffer | null): void {
    if (keyBytes === null) return
    const key = decodeKey(keyBytes)
    if (key === null) return
    let group = this.groups.get(key.group)
    if (key.kind === 'offset') {
      if (value === null) {
        group?.offsets.delete(partitionKey(key.topic, key.partition))
        return
      }
      if (group === undefined) {
        group = new ClassicGroup(key.group, this.clock.now())
        this.groups.set(key.group, group)
      }
      group.offsets.set(partitionKey(key.topic, key.partition), decodeOffsetValue(value))
      return
    }
    if (value === null) {
      this.groups.delete(key.group)
      return
    }
    const v = decodeGroupValue(value)
    if (group === undefined) {
      group = new ClassicGroup(key.group, v.currentStateTimestamp)
      this.groups.set(key.group, group)
    }
    group.members.clear()
    group.staticMembers.clear()
    group.generationId = v.generation
    group.protocolType = v.protocolType === '' ? null : v.protocolType
    group.protocolName = v.protocol
    group.leaderId = v.leader
    group.stateTimestamp = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : this.clock.now()
    for (const s of v.members) {
      const m = new Member({
        memberId: s.memberId,
        groupInstanceId: s.groupInstanceId,
        clientId: s.clientId,
        clientHost: s.clientHost,
        rebalanceTimeoutMs: s.rebalanceTimeoutMs,
        sessionTimeoutMs: s.sessionTimeoutMs,
        protocolType: v.protocolType,
        protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: s.subscription }],
      })
      m.assignment = s.assignment
      group.members.set(m.memberId, m)
      if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId)
    }
  }

  // ---- join ----

  join(a: JoinArgs): Promise<JoinResult> | JoinResult {
    if (!this.loaded) return joinError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, a.memberId)
    if (a.groupId === '') return joinError(ErrorCode.INVALID_GROUP_ID, a.memberId)
    if (a.sessionTimeoutMs < this.minSession || a.sessionTimeoutMs > this.maxSession) return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, a.memberId)
    const unknown = a.memberId === ''
    let group = this.groups.get(a.groupId)
    if (group === undefined) {
      if (!unknown) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, a.memberId)
      if (a.protocolType === '' || a.protocols.length === 0) return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
      group = new ClassicGroup(a.groupId, this.clock.now())
      this.groups.set(a.groupId, group)
    }
    if (group.is(GroupState.Dead)) return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, a.memberId)
    if (!group.supportsProtocols(a.protocolType, a.protocols)) return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, a.memberId)
    return unknown ? this.joinUnknownMember(group, a) : this.joinKnownMember(group, a)
  }

  private joinUnknownMember(group: ClassicGroup, a: JoinArgs): Promise<JoinResult> | JoinResult {
    const memberId = `${a.clientId}-${randomUUID()}`
    if (a.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(a.groupInstanceId)
      if (oldMemberId !== undefined) return this.replaceStaticMember(group, a, oldMemberId, memberId)
      return this.addMemberAndRebalance(group, a, memberId)
    }
    if (a.requireKnownMemberId) {
      const timer = this.clock.setTimer(a.sessionTimeoutMs, () => {
        if (group.pendingMembers.delete(memberId) && group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group)
      })
      group.pendingMembers.set(memberId, timer)
      return joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId)
    }
    return this.addMemberAndRebalance(group, a, memberId)
  }

  private joinKnownMember(group: ClassicGroup, a: JoinArgs): Promise<JoinResult> | JoinResult {
    if (group.pendingMembers.has(a.memberId)) return this.addMemberAndRebalance(group, a, a.memberId)
    // Fencing is checked before membership: a replaced static member id is no longer a member.
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return joinError(ErrorCode.FENCED_INSTANCE_ID, a.memberId)
    const member = group.members.get(a.memberId)
    if (member === undefined || (a.groupInstanceId !== null && !group.staticMembers.has(a.groupInstanceId))) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, a.memberId)
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, a)
      case GroupState.CompletingRebalance:
        if (member.matches(a.protocols)) return this.currentGeneration(group, member, group.leaderId === member.memberId)
        return this.updateMemberAndRebalance(group, member, a)
      case GroupState.Stable:
        if (group.leaderId === member.memberId || !member.matches(a.protocols)) return this.updateMemberAndRebalance(group, member, a)
        return this.currentGeneration(group, member, false)
      default:
        return joinError(ErrorCode.UNKNOWN_MEMBER_ID, a.memberId)
    }
  }

  private currentGeneration(group: ClassicGroup, member: Member, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? this.memberList(group) : [],
    }
  }

  private memberList(group: ClassicGroup): JoinResult['members'] {
    const protocol = group.protocolName ?? ''
    return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }))
  }

  private awaitJoin(member: Member): Promise<JoinResult> {
    // A member that sends a second JoinGroup while its first still waits gets the first
    // one answered now; the new request is the one the rebalance will complete.
    member.answerJoin(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId))
    return new Promise((resolve) => {
      member.awaitingJoin = resolve
    })
  }

  private updateMember(member: Member, a: JoinArgs): void {
    member.protocols = a.protocols
    member.rebalanceTimeoutMs = a.rebalanceTimeoutMs
    member.sessionTimeoutMs = a.sessionTimeoutMs
    member.clientId = a.clientId
    member.clientHost = a.clientHost
  }

  private addMemberAndRebalance(group: ClassicGroup, a: JoinArgs, memberId: string): Promise<JoinResult> {
    const member = new Member({ ...a, memberId })
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) member.isNew = true
    group.pendingMembers.get(memberId)?.cancel()
    group.pendingMembers.delete(memberId)
    group.add(member)
    if (group.initialDelayActive) group.newMemberAdded = true
    const joined = this.awaitJoin(member)
    this.maybePrepareRebalance(group, `member ${memberId} joined`)
    return joined
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: Member, a: JoinArgs): Promise<JoinResult> {
    this.updateMember(member, a)
    const joined = this.awaitJoin(member)
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`)
    return joined
  }

  private async replaceStaticMember(group: ClassicGroup, a: JoinArgs, oldMemberId: string, newMemberId: string): Promise<JoinResult> {
    const member = group.replaceStaticMember(a.groupInstanceId!, oldMemberId, newMemberId)
    const oldProtocols = member.protocols
    this.updateMember(member, a)
    this.scheduleSession(group, member)
    switch (group.state) {
      case GroupState.Stable: {
        // Same protocol next time: no rebalance, the restarted instance keeps its assignment.
        if (group.selectProtocol() === group.protocolName) {
          const error = await this.storeGroup(group)
          if (error !== ErrorCode.NONE) {
            member.protocols = oldProtocols
            return joinError(error, newMemberId)
          }
          const isLeader = group.leaderId === newMemberId
          const skip = isLeader && a.supportsSkipAssignment
          return { ...this.currentGeneration(group, member, skip), skipAssignment: skip }
        }
        return this.updateMemberAndRebalance(group, member, a)
      }
      case GroupState.CompletingRebalance:
        return this.updateMemberAndRebalance(group, member, a)
      default:
        // PreparingRebalance: the rebalance under way answers it.
        return this.awaitJoin(member)
    }
  }

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason)
    else if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group)
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) {
      for (const m of group.members.values()) {
        m.assignment = EMPTY
        m.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      }
    }
    group.syncTimer?.cancel()
    group.syncTimer = null
    group.pendingSync.clear()
    const wasEmpty = group.is(GroupState.Empty)
    group.transition(GroupState.PreparingRebalance, this.clock.now())
    this.broker.logger.debug({ group: group.groupId, generation: group.generationId, reason }, 'preparing rebalance')
    group.joinTimer?.cancel()
    const delay = Math.min(this.broker.options.groupInitialRebalanceDelayMs, group.maxRebalanceTimeoutMs())
    if (wasEmpty && delay > 0) {
      // A new group waits for more members before its first generation (Kafka's
      // InitialDelayedJoin), extending while members keep arriving, up to the rebalance timeout.
      group.initialDelayActive = true
      group.newMemberAdded = false
      group.initialDelayStarted = this.clock.now()
      group.joinTimer = this.clock.setTimer(delay, () => this.onInitialDelay(group))
      return
    }
    group.joinTimer = this.clock.setTimer(group.maxRebalanceTimeoutMs(), () => this.completeJoin(group))
    this.tryCompleteJoin(group)
  }

  private onInitialDelay(group: ClassicGroup): void {
    const remaining = group.maxRebalanceTimeoutMs() - (this.clock.now() - group.initialDelayStarted)
    if (group.newMemberAdded && remaining > 0) {
      group.newMemberAdded = false
      group.joinTimer = this.clock.setTimer(Math.min(this.broker.options.groupInitialRebalanceDelayMs, remaining), () => this.onInitialDelay(group))
      return
    }
    group.initialDelayActive = false
    this.completeJoin(group)
  }

  private tryCompleteJoin(group: ClassicGroup): void {
    if (group.is(GroupState.PreparingRebalance) && !group.initialDelayActive && group.allMembersJoined()) this.completeJoin(group)
  }

  private completeJoin(group: ClassicGroup): void {
    group.joinTimer?.cancel()
    group.joinTimer = null
    group.initialDelayActive = false
    if (!group.is(GroupState.PreparingRebalance)) return
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null) {
        this.broker.logger.info({ group: group.groupId, member: m.memberId }, 'removing member that did not rejoin in time')
        group.remove(m.memberId)
      }
    }
    group.generationId++
    const now = this.clock.now()
    if (group.members.size === 0) {
      group.protocolName = null
      group.transition(GroupState.Empty, now)
      void this.storeGroup(group)
      return
    }
    group.protocolName = group.selectProtocol()
    group.transition(GroupState.CompletingRebalance, now)
    for (const m of group.members.values()) {
      m.isNew = false
      group.pendingSync.add(m.memberId)
      this.scheduleSession(group, m)
      m.answerJoin(this.currentGeneration(group, m, m.memberId === group.leaderId))
    }
    const generation = group.generationId
    group.syncTimer = this.clock.setTimer(group.maxRebalanceTimeoutMs(), () => this.onSyncTimeout(group, generation))
  }

  private onSyncTimeout(group: ClassicGroup, generation: number): void {
    group.syncTimer = null
    if (group.generationId !== generation || group.pendingSync.size === 0) return
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return
    for (const memberId of [...group.pendingSync]) {
      this.broker.logger.info({ group: group.groupId, member: memberId }, 'removing member that did not sync in time')
      const m = group.remove(memberId)
      m?.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    }
    this.prepareRebalance(group, 'members did not sync in time')
  }

  // ---- liveness ----

  private scheduleSession(group: ClassicGroup, member: Member): void {
    member.sessionTimer?.cancel()
    member.sessionTimer = this.clock.setTimer(member.sessionTimeoutMs, () => this.onSessionExpired(group, member.memberId))
  }

  private onSessionExpired(group: ClassicGroup, memberId: string): void {
    const m = group.members.get(memberId)
    if (m === undefined || this.groups.get(group.groupId) !== group) return
    if (m.awaitingJoin !== null || m.awaitingSync !== null) {
      // A member waiting on the coordinator is alive by definition.
      this.scheduleSession(group, m)
      return
    }
    this.broker.logger.info({ group: group.groupId, member: memberId }, 'member session expired')
    this.removeMemberAndUpdateGroup(group, m)
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, m: Member): void {
    m.answerJoin(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId))
    group.remove(m.memberId)
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) this.prepareRebalance(group, `member ${m.memberId} left`)
    else if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group)
  }

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    // Kafka answers heartbeats blindly while it loads: a member must not rejoin for that.
    if (!this.loaded) return ErrorCode.NONE
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID
    const group = this.groups.get(groupId)
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID
    const member = group.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID
      case GroupState.PreparingRebalance:
        this.scheduleSession(group, member)
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        this.scheduleSession(group, member)
        return ErrorCode.NONE
    }
  }

  // ---- sync ----

  sync(a: SyncArgs): Promise<SyncResult> | SyncResult {
    if (!this.loaded) return syncError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    if (a.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID)
    const group = this.groups.get(a.groupId)
    if (group === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
    if (group.is(GroupState.Dead)) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return syncError(ErrorCode.FENCED_INSTANCE_ID)
    const member = group.members.get(a.memberId)
    if (member === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
    if (a.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION)
    if ((a.protocolType !== null && a.protocolType !== group.protocolType) || (a.protocolName !== null && a.protocolName !== group.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    switch (group.state) {
      case GroupState.Empty:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
      case GroupState.PreparingRebalance:
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS)
      case GroupState.Stable:
        group.pendingSync.delete(member.memberId)
        this.scheduleSession(group, member)
        return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
      default:
        break
    }
    // CompletingRebalance: everyone waits for the leader's assignment.
    group.pendingSync.delete(member.memberId)
    this.scheduleSession(group, member)
    const answered = new Promise<SyncResult>((resolve) => {
      member.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      member.awaitingSync = resolve
    })
    if (member.memberId === group.leaderId) void this.completeSync(group, a.assignments)
    return answered
  }

  private async completeSync(group: ClassicGroup, assignments: SyncArgs['assignments']): Promise<void> {
    const byMember = new Map(assignments.map((x) => [x.memberId, x.assignment]))
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY
    const generation = group.generationId
    const error = await this.storeGroup(group)
    if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return
    if (error !== ErrorCode.NONE) {
      for (const m of group.members.values()) {
        m.assignment = EMPTY
        m.answerSync(syncError(error))
      }
      this.prepareRebalance(group, 'could not store the assignment')
      return
    }
    group.transition(GroupState.Stable, this.clock.now())
    for (const m of group.members.values()) {
      m.answerSync({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment })
    }
  }

  // ---- leave ----

  leave(groupId: string, members: LeaveMember[]): { errorCode: number; members: Array<LeaveMember & { errorCode: number }> } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, members: [] }
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] }
    const group = this.groups.get(groupId)
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) }
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const out = members.map((m) => ({ ...m, errorCode: this.leaveOne(group, m) }))
    return { errorCode: ErrorCode.NONE, members: out }
  }

  private leaveOne(group: ClassicGroup, m: LeaveMember): number {
    if (m.groupInstanceId !== null) {
      const current = group.staticMembers.get(m.groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (m.memberId !== '' && m.memberId !== current) return ErrorCode.FENCED_INSTANCE_ID
      this.removeMemberAndUpdateGroup(group, group.members.get(current)!)
      return ErrorCode.NONE
    }
    const pending = group.pendingMembers.get(m.memberId)
    if (pending !== undefined) {
      pending.cancel()
      group.pendingMembers.delete(m.memberId)
      if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group)
      return ErrorCode.NONE
    }
    const member = group.members.get(m.memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    this.removeMemberAndUpdateGroup(group, member)
    return ErrorCode.NONE
  }

  // ---- offsets ----

  private commitError(group: ClassicGroup, a: CommitArgs): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID
    // A simple consumer or an admin tool: no generation, only allowed while nobody is a member.
    if (a.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE
    if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS
    const member = group.members.get(a.memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (a.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    // A commit shows the member is alive.
    this.scheduleSession(group, member)
    return ErrorCode.NONE
  }

  /** Resolves to one error code per requested offset, in order. */
  async commitOffsets(a: CommitArgs): Promise<number[]> {
    if (!this.loaded) return a.offsets.map(() => ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    if (a.groupId === '') return a.offsets.map(() => ErrorCode.INVALID_GROUP_ID)
    let group = this.groups.get(a.groupId)
    if (group === undefined) {
      if (a.generationId >= 0) return a.offsets.map(() => ErrorCode.ILLEGAL_GENERATION)
      group = new ClassicGroup(a.groupId, this.clock.now())
      this.groups.set(a.groupId, group)
    }
    const groupError = this.commitError(group, a)
    if (groupError !== ErrorCode.NONE) return a.offsets.map(() => groupError)

    const now = this.clock.now()
    const errors: number[] = []
    const records: RecordInput[] = []
    const accepted: Array<{ key: string; value: CommittedOffset }> = []
    for (const o of a.offsets) {
      const topic = this.broker.topics.get(o.topic)
      if (topic === undefined || o.partition < 0 || o.partition >= topic.partitions) {
        errors.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        continue
      }
      const metadata = o.metadata ?? ''
      if (Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) {
        errors.push(ErrorCode.OFFSET_METADATA_TOO_LARGE)
        continue
      }
      const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now }
      records.push({ key: encodeOffsetKey(a.groupId, o.topic, o.partition), value: encodeOffsetValue(value) })
      accepted.push({ key: partitionKey(o.topic, o.partition), value })
      errors.push(ErrorCode.NONE)
    }
    if (records.length === 0) return errors
    const written = await this.append(a.groupId, records)
    if (written !== ErrorCode.NONE) return errors.map((e) => (e === ErrorCode.NONE ? written : e))
    for (const { key, value } of accepted) group.offsets.set(key, value)
    return errors
  }

  /**
   * TxnOffsetCommit: offsets written to `__consumer_offsets` in the producer's transaction,
   * applied when it commits. KIP-447: a request with a generation (v3+) is checked against
   * the group like a normal commit (unknown member, fenced instance, generation).
   */
  async commitTxnOffsets(a: CommitArgs & { producerId: number; producerEpoch: number }): Promise<number[]> {
    if (!this.loaded) return a.offsets.map(() => ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    if (a.groupId === '') return a.offsets.map(() => ErrorCode.INVALID_GROUP_ID)
    const group = this.groups.get(a.groupId)
    if (group !== undefined && a.generationId >= 0) {
      if (group.is(GroupState.Dead)) return a.offsets.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE)
      if (group.isStaticMemberFenced(a.memberId, a.groupInstanceId)) return a.offsets.map(() => ErrorCode.FENCED_INSTANCE_ID)
      if (!group.members.has(a.memberId)) return a.offsets.map(() => ErrorCode.UNKNOWN_MEMBER_ID)
      if (a.generationId !== group.generationId) return a.offsets.map(() => ErrorCode.ILLEGAL_GENERATION)
    } else if (group === undefined && a.generationId >= 0) {
      return a.offsets.map(() => ErrorCode.ILLEGAL_GENERATION)
    }
    const now = this.clock.now()
    const errors: number[] = []
    const records: RecordInput[] = []
    const accepted: Array<{ key: string; value: CommittedOffset }> = []
    for (const o of a.offsets) {
      const topic = this.broker.topics.get(o.topic)
      if (topic === undefined || o.partition < 0 || o.partition >= topic.partitions) {
        errors.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        continue
      }
      const metadata = o.metadata ?? ''
      if (Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) {
        errors.push(ErrorCode.OFFSET_METADATA_TOO_LARGE)
        continue
      }
      const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now }
      records.push({ key: encodeOffsetKey(a.groupId, o.topic, o.partition), value: encodeOffsetValue(value) })
      accepted.push({ key: partitionKey(o.topic, o.partition), value })
      errors.push(ErrorCode.NONE)
    }
    if (records.length === 0) return errors
    const written = await this.log.append(a.groupId, records, { producerId: a.producerId, producerEpoch: a.producerEpoch })
    if (written !== ErrorCode.NONE) return errors.map((e) => (e === ErrorCode.NONE ? written : e))
    for (const { key, value } of accepted) this.addPendingTxnOffset(a.producerId, a.groupId, key, value)
    return errors
  }

  /** Committed offsets; `topics` null means every partition the group committed. */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null): { errorCode: number; topics: Array<{ name: string; partitions: Array<{ partition: number } & CommittedOffset>}> } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] }
    const group = this.groups.get(groupId)
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

  async deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<{ errorCode: number; topics: Array<{ name: string; partitions: Array<{ partition: number; errorCode: number }> }> }> {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] }
    const group = this.groups.get(groupId)
    if (group === undefined || group.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] }
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
    if (records.length > 0) {
      const error = await this.append(groupId, records)
      if (error !== ErrorCode.NONE) return { errorCode: error, topics: [] }
      for (const k of deleted) group.offsets.delete(k)
    }
    return { errorCode: ErrorCode.NONE, topics: out }
  }

  // ---- admin ----

  describe(groupId: string): GroupSummary {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groupId, state: '', protocolType: '', protocol: '', members: [] }
    const group = this.groups.get(groupId)
    if (group === undefined) return { errorCode: ErrorCode.NONE, groupId, state: GroupState.Dead, protocolType: '', protocol: '', members: [] }
    const stable = group.is(GroupState.Stable)
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(group.protocolName ?? '') : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    }
  }

  list(statesFilter: string[]): { errorCode: number; groups: Array<{ groupId: string; protocolType: string; state: string }> } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] }
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()))
    const groups = []
    for (const g of this.groups.values()) {
      if (g.is(GroupState.Dead)) continue
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state })
    }
    return { errorCode: ErrorCode.NONE, groups }
  }

  async deleteGroup(groupId: string): Promise<number> {
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    const group = this.groups.get(groupId)
    if (group === undefined || group.is(GroupState.Dead)) return ErrorCode.GROUP_ID_NOT_FOUND
    if (!group.is(GroupState.Empty)) return ErrorCode.NON_EMPTY_GROUP
    const error = await this.removeGroup(group)
    return error
  }

  /** Tombstones every offset and the group itself, then forgets the group. */
  private async removeGroup(group: ClassicGroup): Promise<number> {
    const records: RecordInput[] = []
    for (const key of group.offsets.keys()) {
      const { topic, partition } = parsePartitionKey(key)
      records.push({ key: encodeOffsetKey(group.groupId, topic, partition), value: null })
    }
    records.push({ key: encodeGroupKey(group.groupId), value: null })
    const error = await this.append(group.groupId, records)
    if (error !== ErrorCode.NONE) return error
    group.transition(GroupState.Dead, this.clock.now())
    group.offsets.clear()
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId)
    return ErrorCode.NONE
  }

  /** Committed offset versus log end for every partition the group committed. */
  lag(groupId: string): PartitionLag[] {
    const group = this.groups.get(groupId)
    if (group === undefined) return []
    const out: PartitionLag[] = []
    for (const [key, value] of group.offsets) {
      const { topic, partition } = parsePartitionKey(key)
      const bounds = this.broker.replicas.bounds(topic, partition)
      const logEnd = bounds?.highWatermark ?? -1
      const lastStable = bounds?.lastStableOffset ?? -1
      out.push({
        topic, partition, committed: value.offset, logEnd, lag: logEnd < 0 ? -1 : Math.max(0, logEnd - value.offset),
        lastStableOffset: lastStable, stableLag: lastStable < 0 ? -1 : Math.max(0, lastStable - value.offset),
      })
    }
    return out
  }

  // ---- offset retention ----

  private scheduleRetention(): void {
    if (this.closed) return
    this.retentionTimer = this.clock.setTimer(OFFSETS_RETENTION_CHECK_MS, () => {
      void this.expireOffsets().finally(() => this.scheduleRetention())
    })
  }

  /** Kafka's rule: offsets of an Empty group expire once it has been empty for the retention period. */
  async expireOffsets(): Promise<void> {
    const retentionMs = this.broker.options.offsetsRetentionMinutes * 60_000
    const now = this.clock.now()
    for (const group of [...this.groups.values()]) {
      if (!group.is(GroupState.Empty)) continue
      if (group.stateTimestamp + retentionMs > now) continue
      const error = await this.removeGroup(group)
      if (error === ErrorCode.NONE) this.broker.logger.info({ group: group.groupId }, 'expired the offsets of an empty group')
    }
  }

  /** Stops every timer and answers requests still waiting (NOT_COORDINATOR, as Kafka does when it unloads a group). */
  close(): void {
    this.closed = true
    this.retentionTimer?.cancel()
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        m.answerJoin(joinError(ErrorCode.NOT_COORDINATOR, m.memberId))
        m.answerSync(syncError(ErrorCode.NOT_COORDINATOR))
      }
      group.joinTimer?.cancel()
      group.syncTimer?.cancel()
      for (const t of group.pendingMembers.values()) t.cancel()
      for (const m of group.members.values()) m.sessionTimer?.cancel()
    }
  }
}

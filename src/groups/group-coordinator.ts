// The classic group coordinator, following Kafka's GroupCoordinator: the join / sync /
// heartbeat / leave flows that move groups between Empty, PreparingRebalance,
// CompletingRebalance, Stable and Dead, their timers, group deletion and offset expiry,
// and the replay of `__consumer_offsets` at start-up (requests get
// COORDINATOR_LOAD_IN_PROGRESS until it is done). Committed offsets are
// offset-manager.ts's. Every write goes through one CoordinatorRuntime, every timer
// through one Clock.

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { CoordinatorLog, ReplayedBatch } from '../coordinator/coordinator-log.ts'
import type { Logger } from '../logger.ts'
import type { Clock, Timer } from './clock.ts'
import { ClassicGroup, GroupState, Member, joinError, syncError, type JoinResult, type Protocol, type SyncResult } from './classic-group.ts'
import { CoordinatorRuntime, type CoordinatorResult } from './coordinator-runtime.ts'
import { groupMetadataRecord, groupTombstone, replayGroupMetadata } from './group-records.ts'
import {
  OffsetManager,
  type CommitArgs,
  type DeletedOffsets,
  type FetchedOffsets,
  type PartitionBoundsSource,
  type PartitionLag,
  type TopicPartitionCounts,
  type TxnCommitArgs,
} from './offset-manager.ts'
import { decodeKey } from './offsets-records.ts'

export type { CommitArgs, PartitionLag } from './offset-manager.ts'

// Kafka's offsets.retention.check.interval.ms default.
const OFFSETS_RETENTION_CHECK_MS = 600_000
const EMPTY = Buffer.alloc(0)

export interface GroupCoordinatorOptions {
  groupMinSessionTimeoutMs: number
  groupMaxSessionTimeoutMs: number
  groupInitialRebalanceDelayMs: number
  offsetsRetentionMinutes: number
}

/** What the coordinator needs from the broker: its log, a clock, and two read-only views. */
export interface GroupCoordinatorDeps {
  /** `__consumer_offsets` (offsets-topic.ts): written through the runtime, replayed by load(). */
  log: CoordinatorLog
  logger: Logger
  clock: Clock
  options: GroupCoordinatorOptions
  topics: TopicPartitionCounts
  replicas: PartitionBoundsSource
}

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

export class GroupCoordinator {
  private readonly deps: GroupCoordinatorDeps
  private readonly clock: Clock
  private readonly runtime: CoordinatorRuntime
  private readonly offsets: OffsetManager
  readonly groups = new Map<string, ClassicGroup>()
  /** `__consumer_offsets`, through the mechanism shared with the transaction coordinator. */
  readonly log: CoordinatorLog
  private loaded = false
  private retentionTimer: Timer | null = null
  private closed = false

  constructor(deps: GroupCoordinatorDeps) {
    this.deps = deps
    this.clock = deps.clock
    this.log = deps.log
    this.runtime = new CoordinatorRuntime(deps.log)
    this.offsets = new OffsetManager({
      groups: this.groups,
      clock: deps.clock,
      topics: deps.topics,
      replicas: deps.replicas,
      memberAlive: (group, member) => this.scheduleSession(group, member),
    })
  }

  get isLoading(): boolean {
    return !this.loaded
  }

  private get minSession(): number {
    return this.deps.options.groupMinSessionTimeoutMs
  }

  private get maxSession(): number {
    return this.deps.options.groupMaxSessionTimeoutMs
  }

  // ---- loading ----

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

  private replayBatch(batch: ReplayedBatch): void {
    if (batch.isControl) {
      this.offsets.completeTxn(batch.producerId, batch.commit)
      return
    }
    if (batch.isTransactional) {
      // Only offsets are written transactionally; they wait for their marker, as on the live path.
      for (const r of batch.records) {
        if (r.key === null || r.value === null) continue
        const key = decodeKey(r.key)
        if (key === null || key.kind !== 'offset') continue
        this.offsets.replayTxnOffset(batch.producerId, key.group, key.topic, key.partition, r.value)
      }
      return
    }
    for (const r of batch.records) {
      if (r.key === null) continue
      const key = decodeKey(r.key)
      if (key === null) continue
      if (key.kind === 'offset') this.offsets.replayOffset(key.group, key.topic, key.partition, r.value)
      else replayGroupMetadata(this.groups, key.group, r.value, this.clock)
    }
  }

  /**
   * A transaction marker reached `__consumer_offsets`: the producer's pending offsets
   * become committed (COMMIT) or are dropped (ABORT).
   */
  completeTxn(producerId: number, commit: boolean): void {
    this.offsets.completeTxn(producerId, commit)
  }

  /** Whether the group has offsets waiting on an open transaction (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT). */
  hasPendingTxnOffsets(groupId: string, key?: string): boolean {
    return this.offsets.hasPendingTxnOffsets(groupId, key)
  }

  /**
   * Writes a change already made, without waiting: Kafka's classic coordinator stores an
   * emptied group this way, and a failure is only logged (by the log).
   */
  private storeBehind(group: ClassicGroup): void {
    void this.runtime.run(group.groupId, { records: [groupMetadataRecord(group)], complete: () => {}, failed: () => {} })
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

  private replaceStaticMember(group: ClassicGroup, a: JoinArgs, oldMemberId: string, newMemberId: string): Promise<JoinResult> {
    const member = group.replaceStaticMember(a.groupInstanceId!, oldMemberId, newMemberId)
    const oldProtocols = member.protocols
    this.updateMember(member, a)
    this.scheduleSession(group, member)
    switch (group.state) {
      case GroupState.Stable:
        // Same protocol next time: no rebalance, the restarted instance keeps its assignment.
        if (group.selectProtocol() === group.protocolName) return this.runtime.run(group.groupId, this.keepStaticMember(group, member, oldProtocols, a))
        return this.updateMemberAndRebalance(group, member, a)
      case GroupState.CompletingRebalance:
        return this.updateMemberAndRebalance(group, member, a)
      default:
        // PreparingRebalance: the rebalance under way answers it.
        return this.awaitJoin(member)
    }
  }

  /**
   * Stores the group with the replacement in it. The replacement is made before the
   * write (the old id's waiters are already answered FENCED_INSTANCE_ID); a failed write
   * only restores the old protocols. Kafka also puts the old member id back; doing that
   * here would change what clients see after a failed write, so it is left to a change
   * of its own.
   */
  private keepStaticMember(group: ClassicGroup, member: Member, oldProtocols: Protocol[], a: JoinArgs): CoordinatorResult<JoinResult> {
    return {
      records: [groupMetadataRecord(group)],
      complete: () => {
        const skip = group.leaderId === member.memberId && a.supportsSkipAssignment
        return { ...this.currentGeneration(group, member, skip), skipAssignment: skip }
      },
      failed: (error) => {
        member.protocols = oldProtocols
        return joinError(error, member.memberId)
      },
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
    this.deps.logger.debug({ group: group.groupId, generation: group.generationId, reason }, 'preparing rebalance')
    group.joinTimer?.cancel()
    const delay = Math.min(this.deps.options.groupInitialRebalanceDelayMs, group.maxRebalanceTimeoutMs())
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
      group.joinTimer = this.clock.setTimer(Math.min(this.deps.options.groupInitialRebalanceDelayMs, remaining), () => this.onInitialDelay(group))
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
        this.deps.logger.info({ group: group.groupId, member: m.memberId }, 'removing member that did not rejoin in time')
        group.remove(m.memberId)
      }
    }
    group.generationId++
    const now = this.clock.now()
    if (group.members.size === 0) {
      group.protocolName = null
      group.transition(GroupState.Empty, now)
      this.storeBehind(group)
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
      this.deps.logger.info({ group: group.groupId, member: memberId }, 'removing member that did not sync in time')
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
    this.deps.logger.info({ group: group.groupId, member: memberId }, 'member session expired')
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
    if (member.memberId === group.leaderId) this.completeSync(group, a.assignments)
    return answered
  }

  // The assignment is set on the members before it is written: a leader that resends
  // SyncGroup meanwhile replaces it, and the first write to complete answers with the
  // newest assignment.
  private completeSync(group: ClassicGroup, assignments: SyncArgs['assignments']): void {
    const byMember = new Map(assignments.map((x) => [x.memberId, x.assignment]))
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY
    const generation = group.generationId
    // A rebalance that started during the write has answered everyone already.
    const superseded = (): boolean => !group.is(GroupState.CompletingRebalance) || group.generationId !== generation
    void this.runtime.run(group.groupId, {
      records: [groupMetadataRecord(group)],
      complete: () => {
        if (superseded()) return
        group.transition(GroupState.Stable, this.clock.now())
        for (const m of group.members.values()) {
          m.answerSync({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment })
        }
      },
      failed: (error) => {
        if (superseded()) return
        for (const m of group.members.values()) {
          m.assignment = EMPTY
          m.answerSync(syncError(error))
        }
        this.prepareRebalance(group, 'could not store the assignment')
      },
    })
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
  // ---- offsets (offset-manager.ts) ----

  /** Resolves to one error code per requested offset, in order. */
  async commitOffsets(a: CommitArgs): Promise<number[]> {
    if (!this.loaded) return a.offsets.map(() => ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    return this.runtime.run(a.groupId, this.offsets.commit(a))
  }

  /** TxnOffsetCommit: the offsets wait in the producer's transaction until its marker. */
  async commitTxnOffsets(a: TxnCommitArgs): Promise<number[]> {
    if (!this.loaded) return a.offsets.map(() => ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    return this.runtime.run(a.groupId, this.offsets.commitTxn(a))
  }

  /** Committed offsets; `topics` null means every partition the group committed. */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null): FetchedOffsets {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] }
    return this.offsets.fetch(groupId, topics)
  }

  async deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<DeletedOffsets> {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] }
    return this.runtime.run(groupId, this.offsets.delete(groupId, topics))
  }

  /** Committed offset versus log end for every partition the group committed. */
  lag(groupId: string): PartitionLag[] {
    return this.offsets.lag(groupId)
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
    return this.runtime.run(group.groupId, this.removal(group))
  }

  /** Tombstones every offset and the group itself; once they are durable the group is Dead and forgotten. */
  private removal(group: ClassicGroup): CoordinatorResult<number> {
    return {
      records: [...this.offsets.tombstones(group), groupTombstone(group.groupId)],
      complete: () => {
        group.transition(GroupState.Dead, this.clock.now())
        group.offsets.clear()
        if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId)
        return ErrorCode.NONE
      },
      failed: (error) => error,
    }
  }

  // ---- offset retention ----

  private scheduleRetention(): void {
    if (this.closed) return
    this.retentionTimer = this.clock.setTimer(OFFSETS_RETENTION_CHECK_MS, () => {
      void this.expireOffsets().finally(() => this.scheduleRetention())
    })
  }

  /**
   * Kafka's rules (KIP-211): a group that never had members loses each offset retention
   * after its last commit; a consumer group's offsets expire together once it has been
   * Empty for the retention period.
   */
  async expireOffsets(): Promise<void> {
    const retentionMs = this.deps.options.offsetsRetentionMinutes * 60_000
    const now = this.clock.now()
    for (const group of [...this.groups.values()]) {
      if (!group.is(GroupState.Empty)) continue
      if (group.protocolType === null) {
        const expired = this.offsets.expireByCommitTime(group, now, retentionMs)
        if (expired === null) continue
        const error = await this.runtime.run(group.groupId, expired)
        if (error !== ErrorCode.NONE || group.offsets.size > 0 || group.members.size > 0) continue
      }
      if (group.stateTimestamp + retentionMs > now) continue
      const error = await this.runtime.run(group.groupId, this.removal(group))
      if (error === ErrorCode.NONE) this.deps.logger.info({ group: group.groupId }, 'expired the offsets of an empty group')
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

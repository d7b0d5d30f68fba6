// One classic consumer group: its members, generation, chosen protocol and state, with
// the bookkeeping rules of Kafka's ClassicGroup (who is leader, which protocols every
// member supports, the vote that picks one, static instance ids). The flows that move
// a group between states (join, sync, heartbeat, leave, timeouts) live in
// group-coordinator.ts; this module keeps the invariants of the data.

import type { Timer } from './clock.ts'

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const
export type GroupStateName = (typeof GroupState)[keyof typeof GroupState]

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  skipAssignment: boolean
  memberId: string
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] }
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
}

export interface Protocol {
  name: string
  metadata: Buffer
}

export class Member {
  readonly memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  assignment: Buffer = Buffer.alloc(0)
  awaitingJoin: ((r: JoinResult) => void) | null = null
  awaitingSync: ((r: SyncResult) => void) | null = null
  sessionTimer: Timer | null = null
  /** Joined during the group's first rebalance and not yet through it. */
  isNew = false

  constructor(init: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; rebalanceTimeoutMs: number; sessionTimeoutMs: number; protocolType: string; protocols: Protocol[] }) {
    this.memberId = init.memberId
    this.groupInstanceId = init.groupInstanceId
    this.clientId = init.clientId
    this.clientHost = init.clientHost
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs
    this.sessionTimeoutMs = init.sessionTimeoutMs
    this.protocolType = init.protocolType
    this.protocols = init.protocols
  }

  /** Answers the JoinGroup this member is waiting on, if any (each request is answered once). */
  answerJoin(r: JoinResult): void {
    const respond = this.awaitingJoin
    this.awaitingJoin = null
    respond?.(r)
  }

  /** Answers the SyncGroup this member is waiting on, if any. */
  answerSync(r: SyncResult): void {
    const respond = this.awaitingSync
    this.awaitingSync = null
    respond?.(r)
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0)
  }

  /** Same protocols, in the same order, with the same metadata: a rejoin changes nothing. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata))
  }
}

export interface CommittedOffset {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
}

export class ClassicGroup {
  readonly groupId: string
  state: GroupStateName = GroupState.Empty
  stateTimestamp: number
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  readonly staticMembers = new Map<string, string>() // group instance id -> member id
  readonly pendingMembers = new Map<string, Timer>() // member ids handed out with MEMBER_ID_REQUIRED
  readonly pendingSync = new Set<string>() // members expected to SyncGroup this generation
  readonly offsets = new Map<string, CommittedOffset>() // `${topic}\0${partition}`
  joinTimer: Timer | null = null
  syncTimer: Timer | null = null
  /** The first rebalance of a new group is waiting group.initial.rebalance.delay.ms for members. */
  initialDelayActive = false
  newMemberAdded = false
  /** When the initial rebalance delay started, to cap its extensions at the rebalance timeout. */
  initialDelayStarted = 0

  constructor(groupId: string, now: number) {
    this.groupId = groupId
    this.stateTimestamp = now
  }

  is(state: GroupStateName): boolean {
    return this.state === state
  }

  transition(state: GroupStateName, now: number): void {
    this.state = state
    this.stateTimestamp = now
  }

  canRebalance(): boolean {
    return this.state === GroupState.Stable || this.state === GroupState.CompletingRebalance || this.state === GroupState.Empty
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    this.leaderId ??= member.memberId
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId)
    if (member === undefined) return undefined
    this.members.delete(memberId)
    member.sessionTimer?.cancel()
    member.sessionTimer = null
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId)
    this.pendingSync.delete(memberId)
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    return member
  }

  /** Gives a static member a new member id (a restarted instance); the old id is fenced. */
  replaceStaticMember(instanceId: string, oldMemberId: string, newMemberId: string): Member {
    const old = this.members.get(oldMemberId)!
    this.members.delete(oldMemberId)
    old.sessionTimer?.cancel()
    old.sessionTimer = null
    const member = new Member({ ...old, memberId: newMemberId })
    member.assignment = old.assignment
    this.members.set(newMemberId, member)
    this.staticMembers.set(instanceId, newMemberId)
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId)
    // Whoever waited under the old id learns it was fenced.
    old.answerJoin(joinError(82, oldMemberId)) // FENCED_INSTANCE_ID
    old.answerSync(syncError(82))
    return member
  }

  isStaticMemberFenced(memberId: string, instanceId: string | null): boolean {
    if (instanceId === null) return false
    const current = this.staticMembers.get(instanceId)
    return current !== undefined && current !== memberId
  }

  /** Protocol names every member supports, in the first member's order of preference. */
  candidateProtocols(): string[] {
    let candidates: string[] | null = null
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name)
      candidates = candidates === null ? names : candidates.filter((c) => names.includes(c))
    }
    return candidates ?? []
  }

  /** Whether a member with these protocols could join without breaking the group. */
  supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0
    const candidates = this.candidateProtocols()
    return this.protocolType === protocolType && protocols.some((p) => candidates.includes(p.name))
  }

  /** Each member votes for the first candidate it lists; most votes wins (ties: candidate order). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]))
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => votes.has(p.name))
      if (choice !== undefined) votes.set(choice.name, votes.get(choice.name)! + 1)
    }
    let best = candidates[0]!
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c
    return best
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false
    return true
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /** The topics members subscribed to (consumer protocol), for OffsetDelete's check. */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null
    const topics = new Set<string>()
    for (const m of this.members.values()) {
      const meta = m.metadataFor(this.protocolName)
      try {
        // ConsumerProtocolSubscription: int16 version, then [topics: string]
        let pos = 2
        const count = meta.readInt32BE(pos)
        pos += 4
        for (let i = 0; i < count; i++) {
          const len = meta.readInt16BE(pos)
          pos += 2
          topics.add(meta.toString('utf8', pos, pos + len))
          pos += len
        }
      } catch {
        return null // unreadable subscription: assume it covers everything
      }
    }
    return topics
  }
}

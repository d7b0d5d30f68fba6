// Helpers for the consumer-group tests: a broker on a ManualClock, bounded waiting, the
// consumer protocol's opaque subscription/assignment bytes, and a raw group member that
// speaks JoinGroup/SyncGroup/Heartbeat/LeaveGroup through RawClient at a chosen version.

import { startBroker, type RunningBroker } from '../../src/broker.ts'
import type { BrokerOptions } from '../../src/config/broker-options.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { RawClient } from './raw-client.ts'
export { roundTrip } from './wire-requests.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface GroupBroker {
  broker: RunningBroker
  clock: ManualClock
  port: number
}

/** An in-memory broker whose group timers all run on a ManualClock. */
export async function groupBroker(t: Teardown, options: Partial<BrokerOptions> = {}): Promise<GroupBroker> {
  const clock = new ManualClock()
  const broker = await startBroker(
    { host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', offsetsTopicNumPartitions: 4, groupInitialRebalanceDelayMs: 0, ...options },
    { clock },
  )
  t.teardown(() => broker.close())
  return { broker, clock, port: broker.port }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` every `intervalMs` until it holds; throws after `timeoutMs` naming `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/**
 * `p`'s outcome, or an error naming `what` if it has not settled within `timeoutMs`: a bound
 * on something that must finish (a consumer loop that is bound to end), not a wait for time to pass.
 */
export async function within<T>(p: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([p, expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Best-effort clean-up with a bound: waits for `p` (say a client's disconnect from a broker
 * that was killed under it) at most `timeoutMs`. True if it settled, false if the bound cut
 * it short; never throws. Asserts nothing: use it only where the outcome is not a claim.
 */
export async function settledWithin(p: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  try {
    return await Promise.race([p.then(() => true, () => true), expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Advances the clock by `stepMs` every `intervalMs` of real time until `cond` holds, at most
 * `maxSteps` times. Live clients keep heartbeating in real time meanwhile, so only a member
 * that stopped heartbeating misses its session timeout. Returns the clock time advanced.
 */
export async function advanceUntil(clock: ManualClock, cond: () => boolean | Promise<boolean>, what: string, opts: { stepMs?: number; intervalMs?: number; maxSteps?: number } = {}): Promise<number> {
  const stepMs = opts.stepMs ?? 1000
  const intervalMs = opts.intervalMs ?? 100
  const maxSteps = opts.maxSteps ?? 120
  let advanced = 0
  for (let i = 0; i < maxSteps; i++) {
    if (await cond()) return advanced
    clock.advance(stepMs)
    advanced += stepMs
    await sleep(intervalMs)
  }
  if (await cond()) return advanced
  throw new Error(`${what}: not reached after advancing the clock ${advanced} ms`)
}

// ---- Consumer protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment) ----

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8')
  const len = Buffer.alloc(2)
  len.writeInt16BE(b.length)
  return Buffer.concat([len, b])
}

function i32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function i16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}

/** Subscription v0: topics, user_data. */
export function encodeSubscription(topics: string[], userData: Buffer | null = null): Buffer {
  return Buffer.concat([i16(0), i32(topics.length), ...topics.map(str), userData === null ? i32(-1) : Buffer.concat([i32(userData.length), userData])])
}

/** Assignment v0: assigned_partitions[{topic, partitions}], user_data. */
export function encodeAssignment(assignment: Record<string, number[]>, userData: Buffer | null = null): Buffer {
  const topics = Object.entries(assignment)
  return Buffer.concat([
    i16(0),
    i32(topics.length),
    ...topics.map(([topic, parts]) => Buffer.concat([str(topic), i32(parts.length), ...parts.map(i32)])),
    userData === null ? i32(-1) : Buffer.concat([i32(userData.length), userData]),
  ])
}

/** Any assignment version (v1+ only add fields after assigned_partitions and user_data). */
export function decodeAssignment(buf: Buffer): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  if (buf.length === 0) return out
  let o = 2
  const n = buf.readInt32BE(o)
  o += 4
  for (let i = 0; i < n; i++) {
    const len = buf.readInt16BE(o)
    o += 2
    const topic = buf.toString('utf8', o, o + len)
    o += len
    const m = buf.readInt32BE(o)
    o += 4
    const parts: number[] = []
    for (let j = 0; j < m; j++, o += 4) parts.push(buf.readInt32BE(o))
    out[topic] = parts.sort((a, b) => a - b)
  }
  return out
}

/** The topics of any subscription version. */
export function decodeSubscriptionTopics(buf: Buffer): string[] {
  let o = 2
  const n = buf.readInt32BE(o)
  o += 4
  const topics: string[] = []
  for (let i = 0; i < n; i++) {
    const len = buf.readInt16BE(o)
    o += 2
    topics.push(buf.toString('utf8', o, o + len))
    o += len
  }
  return topics
}

// ---- Raw requests ----

export const Api = {
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  DeleteGroups: 42,
  OffsetDelete: 47,
} as const

export interface DescribedMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  assignment: Record<string, number[]>
  metadata: Buffer
}

export interface Described {
  errorCode: number
  state: string
  protocolType: string
  protocol: string
  members: DescribedMember[]
}

/** DescribeGroups v5 for one group, assignments decoded as consumer-protocol assignments. */
export async function describeGroup(c: RawClient, groupId: string): Promise<Described> {
  const res = await c.request(Api.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false })
  const g = res.groups[0]
  return {
    errorCode: g.errorCode,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m: any) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : {},
      metadata: m.memberMetadata,
    })),
  }
}

export interface JoinArgs {
  groupId: string
  memberId?: string
  groupInstanceId?: string | null
  protocolType?: string
  protocols?: Array<{ name: string; metadata: Buffer }>
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  reason?: string | null
}

export function joinBody(a: JoinArgs): Record<string, unknown> {
  return {
    groupId: a.groupId,
    sessionTimeoutMs: a.sessionTimeoutMs ?? 30_000,
    rebalanceTimeoutMs: a.rebalanceTimeoutMs ?? 60_000,
    memberId: a.memberId ?? '',
    groupInstanceId: a.groupInstanceId ?? null,
    protocolType: a.protocolType ?? 'consumer',
    protocols: a.protocols ?? [{ name: 'range', metadata: encodeSubscription(['t']) }],
    reason: a.reason ?? null,
  }
}

/**
 * One group member on its own connection (responses come in request order per
 * connection, and a JoinGroup may be held until the rebalance completes).
 */
export class RawMember {
  readonly client: RawClient
  memberId = ''
  generationId = -1
  leader = ''
  protocolName: string | null = null
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }> = []
  assignment: Record<string, number[]> = {}
  readonly args: JoinArgs
  readonly version: number

  private constructor(client: RawClient, args: JoinArgs, version: number) {
    this.client = client
    this.args = args
    this.version = version
  }

  static async connect(port: number, args: JoinArgs, version = 5): Promise<RawMember> {
    return new RawMember(await RawClient.connect(port), args, version)
  }

  get groupId(): string {
    return this.args.groupId
  }

  get instanceId(): string | null {
    return this.args.groupInstanceId ?? null
  }

  get isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leader
  }

  /** One JoinGroup request with the current member id; returns the raw response. */
  async joinOnce(overrides: Partial<JoinArgs> = {}): Promise<any> {
    const res = await this.client.request(Api.JoinGroup, this.version, joinBody({ ...this.args, memberId: this.memberId, ...overrides }))
    if (res.errorCode === 0) {
      this.memberId = res.memberId
      this.generationId = res.generationId
      this.leader = res.leader
      this.protocolName = res.protocolName
      this.members = res.members
    } else if (res.errorCode === 79) {
      this.memberId = res.memberId
    }
    return res
  }

  /** JoinGroup, answering MEMBER_ID_REQUIRED once with the given id. Throws on other errors. */
  async join(): Promise<any> {
    let res = await this.joinOnce()
    if (res.errorCode === 79) res = await this.joinOnce()
    if (res.errorCode !== 0) throw new Error(`JoinGroup ${this.groupId} failed with ${res.errorCode}`)
    return res
  }

  /** SyncGroup; the leader passes the assignment for every member. */
  async syncOnce(assignments: Record<string, Record<string, number[]>> = {}, generationId = this.generationId, memberId = this.memberId): Promise<any> {
    const v = Math.min(this.version, 5)
    const res = await this.client.request(Api.SyncGroup, v, {
      groupId: this.groupId,
      generationId,
      memberId,
      groupInstanceId: this.instanceId,
      protocolType: this.args.protocolType ?? 'consumer',
      protocolName: this.protocolName,
      assignments: Object.entries(assignments).map(([mid, a]) => ({ memberId: mid, assignment: encodeAssignment(a) })),
    })
    if (res.errorCode === 0) this.assignment = decodeAssignment(res.assignment)
    return res
  }

  async sync(assignments: Record<string, Record<string, number[]>> = {}): Promise<any> {
    const res = await this.syncOnce(assignments)
    if (res.errorCode !== 0) throw new Error(`SyncGroup ${this.groupId} failed with ${res.errorCode}`)
    return res
  }

  async heartbeat(generationId = this.generationId, memberId = this.memberId, groupInstanceId = this.instanceId): Promise<number> {
    const v = Math.min(this.version, 4)
    const res = await this.client.request(Api.Heartbeat, v, { groupId: this.groupId, generationId, memberId, groupInstanceId })
    return res.errorCode as number
  }

  async leave(): Promise<any> {
    const v = Math.min(this.version, 5)
    if (v >= 3) {
      return this.client.request(Api.LeaveGroup, v, { groupId: this.groupId, memberId: '', members: [{ memberId: this.memberId, groupInstanceId: this.instanceId, reason: null }] })
    }
    return this.client.request(Api.LeaveGroup, v, { groupId: this.groupId, memberId: this.memberId, members: [] })
  }

  close(): void {
    this.client.close()
  }
}

/**
 * Brings a single member into a Stable group: join (as leader), sync with the given
 * assignment for itself.
 */
export async function soloStableMember(port: number, args: JoinArgs, assignment: Record<string, number[]>, version = 5): Promise<RawMember> {
  const m = await RawMember.connect(port, args, version)
  await m.join()
  if (!m.isLeader) throw new Error('a lone member should lead its group')
  await m.sync({ [m.memberId]: assignment })
  return m
}

// ---- Offsets ----

export async function commitSimple(c: RawClient, groupId: string, topic: string, offsets: Record<number, number>, metadata: string | null = null, version = 2): Promise<any> {
  return c.request(Api.OffsetCommit, version, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: metadata })) }],
  })
}

/** OffsetFetch as {partition: {offset, metadata, errorCode}}, for v1-v7 (topics) or v8+ (groups). */
export async function fetchCommitted(c: RawClient, groupId: string, topic: string, partitions: number[], version = 7): Promise<Record<number, { offset: number; metadata: string | null; errorCode: number }>> {
  const out: Record<number, { offset: number; metadata: string | null; errorCode: number }> = {}
  if (version >= 8) {
    const res = await c.request(Api.OffsetFetch, version, { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: partitions }] }], requireStable: false })
    const g = res.groups[0]
    if (g.errorCode !== 0) throw new Error(`OffsetFetch v${version} group error ${g.errorCode}`)
    for (const p of g.topics.find((x: any) => x.name === topic)?.partitions ?? []) out[p.partitionIndex] = { offset: Number(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode }
    return out
  }
  const res = await c.request(Api.OffsetFetch, version, { groupId, topics: [{ name: topic, partitionIndexes: partitions }], requireStable: false })
  if (res.errorCode !== 0) throw new Error(`OffsetFetch v${version} error ${res.errorCode}`)
  for (const p of res.topics.find((x: any) => x.name === topic)?.partitions ?? []) out[p.partitionIndex] = { offset: Number(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode }
  return out
}

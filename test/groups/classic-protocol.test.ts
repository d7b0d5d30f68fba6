// The classic group protocol at the wire, with a ManualClock driving every group timer:
// member ids (KIP-394), the initial rebalance delay, rebalance and session timeouts,
// protocol votes, static membership (KIP-345) and replay after a restart.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { memoryBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const JOIN = 11
const HEARTBEAT = 12
const LEAVE = 13
const SYNC = 14
const DESCRIBE = 15

interface JoinOpts {
  memberId?: string
  instanceId?: string | null
  protocols?: Array<[string, string]>
  session?: number
  rebalance?: number
  protocolType?: string
}

function joinBody(group: string, o: JoinOpts = {}) {
  return {
    groupId: group,
    sessionTimeoutMs: o.session ?? 10_000,
    rebalanceTimeoutMs: o.rebalance ?? 20_000,
    memberId: o.memberId ?? '',
    groupInstanceId: o.instanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: (o.protocols ?? [['range', 'm']]).map(([name, meta]) => ({ name, metadata: Buffer.from(meta) })),
    reason: null,
  }
}

async function clients(t: { teardown(fn: () => void): void }, port: number, n: number): Promise<RawClient[]> {
  const out: RawClient[] = []
  for (let i = 0; i < n; i++) {
    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    out.push(c)
  }
  return out
}

/** Lets queued I/O and timers of the broker run (it lives in this process). */
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms))

async function describe(c: RawClient, group: string) {
  const res = await c.request(DESCRIBE, 5, { groups: [group], includeAuthorizedOperations: false })
  return res.groups[0]
}

t.test('v4+ dynamic members must ask for a member id first; v3 joins at once', async (t) => {
  const broker = await memoryBroker(t, { offsetsTopicNumPartitions: 2 })
  const [a, b] = await clients(t, broker.port, 2)
  const first = await a!.request(JOIN, 5, joinBody('kip394'))
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  t.match(first.memberId, /^raw-client-/, 'the id comes back with the error')
  const joined = await a!.request(JOIN, 5, joinBody('kip394', { memberId: first.memberId }))
  t.equal(joined.errorCode, 0)
  t.equal(joined.memberId, first.memberId)
  t.equal(joined.leader, first.memberId, 'the only member leads')
  t.equal(joined.members.length, 1, 'and gets the member list')

  const old = await b!.request(JOIN, 3, joinBody('kip394-v3'))
  t.equal(old.errorCode, 0, 'v3 joins without the extra round trip')
  t.equal(old.generationId, 1)
})

t.test('a new group waits group.initial.rebalance.delay.ms for more members', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, groupInitialRebalanceDelayMs: 3000, offsetsTopicNumPartitions: 2, logLevel: 'silent' }, { clock })
  t.teardown(() => broker.close())
  const [a, b] = await clients(t, broker.port, 2)
  const ja = a!.request(JOIN, 3, joinBody('delayed'))
  await tick()
  clock.advance(2000)
  const jb = b!.request(JOIN, 3, joinBody('delayed'))
  await tick()
  let settled = false
  void ja.then(() => (settled = true))
  clock.advance(1500)
  await tick()
  t.notOk(settled, 'a member arriving during the delay extends it')
  clock.advance(3000)
  const [ra, rb] = await Promise.all([ja, jb])
  t.equal(ra.errorCode, 0)
  t.equal(rb.errorCode, 0)
  t.equal(ra.generationId, 1, 'both in the first generation')
  t.equal(rb.generationId, 1)
})

t.test('rebalance: a member that does not rejoin within the rebalance timeout is removed', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, offsetsTopicNumPartitions: 2, logLevel: 'silent' }, { clock })
  t.teardown(() => broker.close())
  const [a, b, c] = await clients(t, broker.port, 3)
  const ra = await a!.request(JOIN, 3, joinBody('slow', { rebalance: 5000 }))
  t.equal(ra.generationId, 1)
  await a!.request(SYNC, 3, { groupId: 'slow', generationId: 1, memberId: ra.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: ra.memberId, assignment: Buffer.from('A') }] })

  // b joins: a must rejoin; a only heartbeats (and learns of the rebalance) but never rejoins.
  const jb = b!.request(JOIN, 3, joinBody('slow', { rebalance: 5000 }))
  await tick()
  const hb = await a!.request(HEARTBEAT, 3, { groupId: 'slow', generationId: 1, memberId: ra.memberId, groupInstanceId: null })
  t.equal(hb.errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'heartbeat during PreparingRebalance says rejoin')
  clock.advance(5001)
  const rb = await jb
  t.equal(rb.errorCode, 0)
  t.equal(rb.generationId, 2)
  t.equal(rb.members.length, 1, 'only the member that rejoined is in generation 2')
  t.equal(rb.leader, rb.memberId, 'and leads it')
  const gone = await a!.request(HEARTBEAT, 3, { groupId: 'slow', generationId: 1, memberId: ra.memberId, groupInstanceId: null })
  t.equal(gone.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'the removed member is unknown now')
  void c
})

t.test('protocol selection by vote, and INCONSISTENT_GROUP_PROTOCOL with nothing in common', async (t) => {
  const broker = await memoryBroker(t, { offsetsTopicNumPartitions: 2 })
  const [a, b, c] = await clients(t, broker.port, 3)
  const ja = a!.request(JOIN, 3, joinBody('vote', { protocols: [['roundrobin', 'a'], ['range', 'a']] }))
  const ra0 = await ja
  t.equal(ra0.protocolName, 'roundrobin', 'alone, the first preference wins')
  // b and c prefer range: two votes to one.
  const jb = b!.request(JOIN, 3, joinBody('vote', { protocols: [['range', 'b'], ['roundrobin', 'b']] }))
  const jc = c!.request(JOIN, 3, joinBody('vote', { protocols: [['range', 'c']] }))
  await tick(50)
  const ja2 = a!.request(JOIN, 3, joinBody('vote', { memberId: ra0.memberId, protocols: [['roundrobin', 'a'], ['range', 'a']] }))
  const [rb, rc, ra] = await Promise.all([jb, jc, ja2])
  for (const r of [ra, rb, rc]) t.equal(r.protocolName, 'range', 'majority vote among the common protocols')
  const leader = [ra, rb, rc].find((r) => r.members.length > 0)!
  t.same(leader.members.map((m: { metadata: Buffer }) => m.metadata.toString()).sort(), ['a', 'b', 'c'], 'the leader sees each member’s metadata for the chosen protocol')

  const d = await RawClient.connect(broker.port)
  t.teardown(() => d.close())
  const bad = await d.request(JOIN, 3, joinBody('vote', { protocols: [['sticky', 'd']] }))
  t.equal(bad.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const badType = await d.request(JOIN, 3, joinBody('vote', { protocolType: 'connect', protocols: [['range', 'd']] }))
  t.equal(badType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
})

// Two members in one first generation: both join within the initial rebalance delay.
async function clockedBroker(t: { teardown(fn: () => unknown): void }) {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, groupInitialRebalanceDelayMs: 1000, offsetsTopicNumPartitions: 2, logLevel: 'silent' }, { clock })
  t.teardown(() => broker.close())
  return { clock, broker }
}

// The delay restarts while members keep arriving, so advance until it runs out.
async function joinTogether<T>(clock: ManualClock, joins: Array<Promise<T>>): Promise<T[]> {
  let done = false
  const all = Promise.all(joins).finally(() => (done = true))
  await tick(50)
  for (let i = 0; i < 5 && !done; i++) {
    clock.advance(1000)
    await tick(50)
  }
  return all
}

t.test('session timeout evicts a silent member; heartbeats keep the others', async (t) => {
  const { clock, broker } = await clockedBroker(t)
  const [a, b] = await clients(t, broker.port, 2)
  const [ra, rb] = await joinTogether(clock, [a!.request(JOIN, 3, joinBody('alive', { session: 6000 })), b!.request(JOIN, 3, joinBody('alive', { session: 6000 }))])
  const leader = ra.members.length > 0 ? ra : rb
  const assignments = [ra, rb].map((r) => ({ memberId: r.memberId, assignment: Buffer.from(r.memberId.slice(-4)) }))
  await Promise.all([
    a!.request(SYNC, 3, { groupId: 'alive', generationId: ra.generationId, memberId: ra.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: leader === ra ? assignments : [] }),
    b!.request(SYNC, 3, { groupId: 'alive', generationId: rb.generationId, memberId: rb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: leader === rb ? assignments : [] }),
  ])
  t.equal((await describe(a!, 'alive')).groupState, 'Stable')
  for (let i = 0; i < 4; i++) {
    clock.advance(2000)
    const hb = await a!.request(HEARTBEAT, 3, { groupId: 'alive', generationId: ra.generationId, memberId: ra.memberId, groupInstanceId: null })
    if (i < 2) t.equal(hb.errorCode, 0, `a's heartbeat at +${(i + 1) * 2}s`)
  }
  const g = await describe(a!, 'alive')
  t.equal(g.groupState, 'PreparingRebalance', 'b missed its session timeout: the group rebalances')
  t.same(g.members.map((m: { memberId: string }) => m.memberId), [ra.memberId], 'and b is gone')
})

t.test('static membership: a restarted instance gets its assignment back without a rebalance', async (t) => {
  const { clock, broker } = await clockedBroker(t)
  const [a, b, a2] = await clients(t, broker.port, 3)
  const [ra, rb] = await joinTogether(clock, [a!.request(JOIN, 5, joinBody('static', { instanceId: 'inst-a' })), b!.request(JOIN, 5, joinBody('static', { instanceId: 'inst-b' }))])
  t.equal(ra.errorCode, 0, 'static members never get MEMBER_ID_REQUIRED')
  const leader = ra.members.length > 0 ? ra : rb
  const assignments = [
    { memberId: ra.memberId, assignment: Buffer.from('for-a') },
    { memberId: rb.memberId, assignment: Buffer.from('for-b') },
  ]
  const sync = (c: RawClient, r: { memberId: string; generationId: number }, inst: string) =>
    c.request(SYNC, 3, { groupId: 'static', generationId: r.generationId, memberId: r.memberId, groupInstanceId: inst, protocolType: null, protocolName: null, assignments: r === leader ? assignments : [] })
  await Promise.all([sync(a!, ra, 'inst-a'), sync(b!, rb, 'inst-b')])

  // inst-a restarts: unknown member id, same instance id and protocols.
  const again = await a2!.request(JOIN, 5, joinBody('static', { instanceId: 'inst-a' }))
  t.equal(again.errorCode, 0)
  t.not(again.memberId, ra.memberId, 'a new member id')
  t.equal(again.generationId, ra.generationId, 'no new generation: nobody else rebalances')
  const synced = await sync(a2!, again, 'inst-a')
  t.equal(synced.assignment.toString(), 'for-a', 'the old assignment comes back')
  const other = await b!.request(HEARTBEAT, 3, { groupId: 'static', generationId: rb.generationId, memberId: rb.memberId, groupInstanceId: 'inst-b' })
  t.equal(other.errorCode, 0, 'the other member keeps heartbeating in the same generation')
  const fenced = await a!.request(HEARTBEAT, 3, { groupId: 'static', generationId: ra.generationId, memberId: ra.memberId, groupInstanceId: 'inst-a' })
  t.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced')
  t.equal((await describe(b!, 'static')).groupState, 'Stable')

  const left = await a2!.request(LEAVE, 4, { groupId: 'static', memberId: '', members: [{ memberId: '', groupInstanceId: 'inst-a', reason: null }] })
  t.equal(left.members[0].errorCode, 0, 'a static member leaves by instance id (v3+)')
  t.equal((await describe(b!, 'static')).groupState, 'PreparingRebalance', 'and that triggers a rebalance')
})

t.test('groups and offsets are replayed from __consumer_offsets after a restart', async (t) => {
  const dataDir = tempDir(t)
  const opts = { host: '127.0.0.1', port: 0, dataDir, shards: 1, offsetsTopicNumPartitions: 3, logLevel: 'silent' as const }
  const first = await startBroker(opts)
  let c = await RawClient.connect(first.port)
  await c.request(19, 5, { topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
  const r = await c.request(JOIN, 3, joinBody('durable'))
  await c.request(SYNC, 3, { groupId: 'durable', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: r.memberId, assignment: Buffer.from('orders:0,1') }] })
  const commit = await c.request(8, 5, {
    groupId: 'durable',
    generationIdOrMemberEpoch: r.generationId,
    memberId: r.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: 'checkpoint-7' }] }],
  })
  t.equal(commit.topics[0].partitions[0].errorCode, 0)
  c.close()
  await first.close()

  const second = await startBroker(opts)
  t.teardown(() => second.close())
  c = await RawClient.connect(second.port)
  t.teardown(() => c.close())
  const fetched = await c.request(9, 5, { groupId: 'durable', topics: [{ name: 'orders', partitionIndexes: [0, 1] }], groups: [], requireStable: false })
  t.same(
    fetched.topics[0].partitions.map((p: { partitionIndex: number; committedOffset: number; metadata: string }) => [p.partitionIndex, p.committedOffset, p.metadata]),
    [
      [0, -1, ''],
      [1, 42, 'checkpoint-7'],
    ],
    'the commit and its metadata survived; an uncommitted partition answers -1',
  )
  const g = await describe(c, 'durable')
  t.equal(g.groupState, 'Stable', 'the group comes back Stable with its member')
  t.equal(g.members[0].memberId, r.memberId)
  t.equal(g.members[0].memberAssignment.toString(), 'orders:0,1', 'and its assignment')
})

t.test('an empty group keeps its offsets for offsets.retention.minutes, then loses them', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, offsetsTopicNumPartitions: 2, offsetsRetentionMinutes: 60, logLevel: 'silent' }, { clock })
  t.teardown(() => broker.close())
  const [c] = await clients(t, broker.port, 1)
  await c!.request(19, 5, { topics: [{ name: 'kept', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
  const commit = (group: string) =>
    c!.request(8, 2, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] })
  const fetched = async (group: string) => (await c!.request(9, 1, { groupId: group, topics: [{ name: 'kept', partitionIndexes: [0] }], groups: [], requireStable: false })).topics[0].partitions[0].committedOffset
  t.equal((await commit('simple')).topics[0].partitions[0].errorCode, 0, 'a simple consumer commits with generation -1')
  t.equal(await fetched('simple'), 5)
  clock.advance(50 * 60_000)
  await tick(50)
  t.equal(await fetched('simple'), 5, 'still there before the retention period')
  clock.advance(30 * 60_000)
  for (let i = 0; i < 50 && (await fetched('simple')) !== -1; i++) await tick(20)
  t.equal(await fetched('simple'), -1, 'expired once the group was empty for the retention period')
  const listed = await c!.request(16, 4, { statesFilter: [], typesFilter: [] })
  t.notOk(listed.groups.some((g: { groupId: string }) => g.groupId === 'simple'), 'and the group is gone')
})

t.test('a group without members keeps each offset for offsets.retention.minutes after its last commit (KIP-211)', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, offsetsTopicNumPartitions: 2, offsetsRetentionMinutes: 60, logLevel: 'silent' }, { clock })
  t.teardown(() => broker.close())
  const [c] = await clients(t, broker.port, 1)
  await c!.request(19, 5, { topics: [{ name: 'kept', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
  const commit = (partitionIndex: number, committedOffset: number) =>
    c!.request(8, 2, { groupId: 'standalone', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'kept', partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] })
  const fetched = async (): Promise<number[]> => (await c!.request(9, 1, { groupId: 'standalone', topics: [{ name: 'kept', partitionIndexes: [0, 1] }], groups: [], requireStable: false })).topics[0].partitions.map((p: { committedOffset: number }) => p.committedOffset)
  await commit(0, 5)
  await commit(1, 7)
  // The retention check runs every 10 minutes and re-arms once it finished: step by step.
  const minutes = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 10) {
      clock.advance(10 * 60_000)
      await tick(30)
    }
  }
  await minutes(50)
  await commit(0, 6)
  await minutes(30)
  t.same(await fetched(), [6, -1], 'at 80 min: the offset committed at 0 min expired, the one recommitted at 50 min is kept')
  await minutes(40)
  t.same(await fetched(), [-1, -1], 'at 120 min: 70 min after its last commit, it expired too')
  const listed = await c!.request(16, 4, { statesFilter: [], typesFilter: [] })
  t.notOk(listed.groups.some((g: { groupId: string }) => g.groupId === 'standalone'), 'and the group, left without offsets, is gone')
})

t.test('consumer lag: committed offset versus log end, per partition', async (t) => {
  const broker = await memoryBroker(t, { offsetsTopicNumPartitions: 2 })
  const [c] = await clients(t, broker.port, 1)
  await c!.request(19, 5, { topics: [{ name: 'lagging', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
  const { buildRecordBatch } = await import('../../protocol/records/record-batch-builder.ts')
  const batch = buildRecordBatch({ records: Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${i}`) })) })
  await c!.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'lagging', partitionData: [{ index: 0, records: batch }, { index: 1, records: batch }] }] })
  await c!.request(8, 2, {
    groupId: 'laggard',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'lagging', partitions: [{ partitionIndex: 0, committedOffset: 4, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }, { partitionIndex: 1, committedOffset: 10, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  })
  const lag = broker.groupLag('laggard').sort((a, b) => a.partition - b.partition)
  t.same(lag.map((l) => [l.partition, l.committed, l.logEnd, l.lag]), [
    [0, 4, 10, 6],
    [1, 10, 10, 0],
  ])
  t.same(broker.groupLag('no-such-group'), [])
})

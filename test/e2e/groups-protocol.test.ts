// The classic group protocol through a raw socket, with every group timer on a ManualClock:
// MEMBER_ID_REQUIRED, leader and protocol vote, REBALANCE_IN_PROGRESS, removal by rebalance
// timeout and by session timeout, static membership (replacement, fencing, no rebalance),
// offsets (simple-consumer commits across versions, metadata, OffsetFetch -1, generation
// checks, OffsetDelete, retention, __consumer_offsets), DeleteGroups and ListGroups.

import t from 'tap'
import { RawClient } from '../helpers/raw-client.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { Api, commitSimple, describeGroup, encodeSubscription, fetchCommitted, groupBroker, RawMember, roundTrip, soloStableMember, waitFor } from '../helpers/groups.ts'

const sub = (topics: string[] = ['t']): Buffer => encodeSubscription(topics)

/** Heartbeats (bounded) until the member is told to rejoin. */
async function rebalancing(m: RawMember): Promise<void> {
  await waitFor(async () => (await m.heartbeat()) === ErrorCode.REBALANCE_IN_PROGRESS, `REBALANCE_IN_PROGRESS for ${m.memberId}`, 5_000, 20)
}

/** A promise plus whether it has settled yet. */
function tracked<T>(p: Promise<T>): { p: Promise<T>; done: () => boolean } {
  let settled = false
  void p.then(
    () => (settled = true),
    () => (settled = true),
  )
  return { p, done: () => settled }
}

t.test('join: MEMBER_ID_REQUIRED, leader, protocol vote, sync', async (t) => {
  const { port } = await groupBroker(t)
  const observer = await RawClient.connect(port)
  t.teardown(() => observer.close())

  const old = await RawMember.connect(port, { groupId: 'v3-group' }, 3)
  t.teardown(() => old.close())
  const v3 = await old.joinOnce()
  t.equal(v3.errorCode, ErrorCode.NONE, 'JoinGroup v3 with an empty member id joins at once')
  t.ok(v3.memberId.length > 0, 'and is given a member id')

  const m1 = await RawMember.connect(port, { groupId: 'vote', protocols: [{ name: 'range', metadata: sub(['a']) }, { name: 'roundrobin', metadata: sub(['a', 'rr1']) }] }, 4)
  const m2 = await RawMember.connect(port, { groupId: 'vote', protocols: [{ name: 'roundrobin', metadata: sub(['a', 'rr2']) }, { name: 'range', metadata: sub(['a']) }] }, 5)
  const m3 = await RawMember.connect(port, { groupId: 'vote', protocols: [{ name: 'roundrobin', metadata: sub(['a', 'rr3']) }, { name: 'range', metadata: sub(['a']) }, { name: 'sticky', metadata: sub(['a']) }] }, 9)
  t.teardown(() => [m1, m2, m3].forEach((m) => m.close()))

  const first = await m1.joinOnce()
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'JoinGroup v4 with an empty member id: MEMBER_ID_REQUIRED')
  t.match(first.memberId, /^raw-client-./, 'carrying a member id made from the client id')
  const assigned = first.memberId
  const joined = await m1.joinOnce()
  t.equal(joined.errorCode, ErrorCode.NONE, 'the rejoin with that id succeeds')
  t.equal(joined.memberId, assigned, 'keeping the id')
  t.equal(joined.generationId, 1, 'generation 1')
  t.equal(joined.leader, assigned, 'the only member leads')
  t.equal(joined.protocolName, 'range', 'its first protocol')
  t.same(joined.members.map((m: any) => m.memberId), [assigned], 'the leader gets the member list')
  t.equal((await describeGroup(observer, 'vote')).state, 'CompletingRebalance', 'before SyncGroup: CompletingRebalance')
  await m1.sync({ [m1.memberId]: { a: [0, 1, 2] } })
  t.same(m1.assignment, { a: [0, 1, 2] }, 'the leader gets its own assignment back')
  t.equal((await describeGroup(observer, 'vote')).state, 'Stable', 'after SyncGroup: Stable')
  t.equal(await m1.heartbeat(), ErrorCode.NONE, 'heartbeat in Stable: NONE')

  // Two more members join; the leader learns of the rebalance from its heartbeat.
  const j2 = tracked(m2.join())
  await waitFor(async () => (await describeGroup(observer, 'vote')).state === 'PreparingRebalance', 'PreparingRebalance')
  const j3 = tracked(m3.join())
  await waitFor(async () => (await describeGroup(observer, 'vote')).members.length === 3, 'three members known')
  t.equal(await m1.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'heartbeat during PreparingRebalance: REBALANCE_IN_PROGRESS')
  t.notOk(j2.done() || j3.done(), 'the new members wait for the old one to rejoin')
  const j1 = await m1.joinOnce()
  const [r2, r3] = await Promise.all([j2.p, j3.p])
  for (const [name, r] of [['m1', j1], ['m2', r2], ['m3', r3]] as const) {
    t.equal(r.errorCode, ErrorCode.NONE, `${name} joined`)
    t.equal(r.generationId, 2, `${name}: generation 2`)
    t.equal(r.protocolName, 'roundrobin', `${name}: the vote picked roundrobin (2 of 3 votes among the common range/roundrobin)`)
    t.equal(r.leader, m1.memberId, `${name}: the old leader still leads`)
  }
  t.same(
    j1.members.map((m: any) => [m.memberId, m.metadata.toString('hex')]).sort(),
    [m1, m2, m3].map((m) => [m.memberId, sub(['a', ['rr1', 'rr2', 'rr3'][[m1, m2, m3].indexOf(m)]!]).toString('hex')]).sort(),
    'the leader gets every member with its metadata for the chosen protocol',
  )
  t.same(r2.members, [], 'followers get no member list')
  t.same(r3.members, [], 'followers get no member list (v9)')

  const s2 = tracked(m2.sync())
  const s3 = tracked(m3.sync())
  await roundTrip(observer)
  t.notOk(s2.done() || s3.done(), 'followers wait in SyncGroup for the leader')
  await m1.sync({ [m1.memberId]: { a: [0] }, [m2.memberId]: { a: [1] }, [m3.memberId]: { a: [2] } })
  await Promise.all([s2.p, s3.p])
  t.same([m1.assignment, m2.assignment, m3.assignment], [{ a: [0] }, { a: [1] }, { a: [2] }], 'everyone gets the leader\'s assignment for them')
  const d = await describeGroup(observer, 'vote')
  t.equal(d.state, 'Stable')
  t.equal(d.protocol, 'roundrobin', 'DescribeGroups names the chosen protocol')
  t.equal(d.protocolType, 'consumer')
  t.same(Object.fromEntries(d.members.map((m) => [m.memberId, m.assignment])), { [m1.memberId]: { a: [0] }, [m2.memberId]: { a: [1] }, [m3.memberId]: { a: [2] } }, 'and each member\'s assignment')

  // Leaving: the group rebalances for the rest and ends Empty.
  t.equal((await m3.leave()).errorCode, ErrorCode.NONE, 'LeaveGroup v5')
  t.equal(await m1.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'a leave starts a rebalance')
  t.equal((await m2.leave()).errorCode, ErrorCode.NONE)
  const last = await m1.joinOnce()
  t.equal(last.generationId, 3, 'the remaining member rejoins alone: generation 3')
  t.same(last.members.map((m: any) => m.memberId), [m1.memberId])
  t.equal((await m1.leave()).errorCode, ErrorCode.NONE, 'LeaveGroup v4')
  const empty = await describeGroup(observer, 'vote')
  t.equal(empty.state, 'Empty', 'the last leave leaves the group Empty')
  t.same(empty.members, [])
  t.equal(await m1.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID, 'a heartbeat after leaving: UNKNOWN_MEMBER_ID')
})

t.test('a member that does not rejoin within the rebalance timeout is removed', async (t) => {
  const { port, clock } = await groupBroker(t)
  const args = { groupId: 'rt', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000, protocols: [{ name: 'range', metadata: sub() }] }
  const m1 = await RawMember.connect(port, args)
  const m2 = await RawMember.connect(port, args)
  const m3 = await RawMember.connect(port, args)
  t.teardown(() => [m1, m2, m3].forEach((m) => m.close()))
  await m1.join()
  await m1.sync({ [m1.memberId]: { t: [0] } })
  const j2 = tracked(m2.join())
  await rebalancing(m1)
  await m1.joinOnce()
  await j2.p
  const s2 = m2.sync()
  await m1.sync({ [m1.memberId]: { t: [0] }, [m2.memberId]: { t: [1] } })
  await s2
  t.equal(m1.generationId, 2, 'two members, generation 2')

  const j3 = tracked(m3.join())
  await rebalancing(m1)
  const j1 = tracked(m1.joinOnce())
  await roundTrip(m2.client)
  clock.advance(9_000)
  await roundTrip(m2.client)
  t.notOk(j1.done() || j3.done(), 'after 9 s of the 10 s rebalance timeout the join still waits for m2')
  clock.advance(1_500)
  const [r1, r3] = await Promise.all([j1.p, j3.p])
  t.equal(r1.errorCode, ErrorCode.NONE, 'after the rebalance timeout the join completes')
  t.equal(r1.generationId, 3, 'generation 3')
  t.same(r1.members.map((m: any) => m.memberId).sort(), [m1.memberId, m3.memberId].sort(), 'without the member that did not rejoin')
  t.equal(r3.generationId, 3)
  t.equal(await m2.heartbeat(2), ErrorCode.UNKNOWN_MEMBER_ID, 'the removed member: UNKNOWN_MEMBER_ID')
})

t.test('a member that stops heartbeating is removed after its session timeout', async (t) => {
  const { port, clock } = await groupBroker(t)
  const args = { groupId: 'sess', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, protocols: [{ name: 'range', metadata: sub() }] }
  const m1 = await RawMember.connect(port, args)
  const m2 = await RawMember.connect(port, args)
  t.teardown(() => [m1, m2].forEach((m) => m.close()))
  await m1.join()
  await m1.sync({ [m1.memberId]: { t: [0] } })
  const j2 = m2.join()
  await rebalancing(m1)
  await m1.joinOnce()
  await j2
  const s2 = m2.sync()
  await m1.sync({ [m1.memberId]: { t: [0] }, [m2.memberId]: { t: [1] } })
  await s2

  // m1 heartbeats every 2 s of clock, m2 never again.
  const answers: Array<[number, number]> = []
  let elapsed = 0
  for (let i = 0; i < 10; i++) {
    clock.advance(2_000)
    elapsed += 2_000
    const code = await m1.heartbeat()
    answers.push([elapsed, code])
    if (code !== ErrorCode.NONE) break
  }
  const firstNonZero = answers.find(([, c]) => c !== ErrorCode.NONE)
  t.ok(answers.filter(([ms]) => ms < 10_000).every(([, c]) => c === ErrorCode.NONE), `the survivor's heartbeats before 10 s were NONE (${JSON.stringify(answers)})`)
  t.equal(firstNonZero?.[1], ErrorCode.REBALANCE_IN_PROGRESS, 'the silent member expired and the group started rebalancing')
  t.ok(firstNonZero !== undefined && firstNonZero[0] >= 10_000 && firstNonZero[0] <= 12_000, `at its 10 s session timeout (${firstNonZero?.[0]} ms of clock)`)
  const r = await m1.joinOnce()
  t.equal(r.errorCode, ErrorCode.NONE)
  t.same(r.members.map((m: any) => m.memberId), [m1.memberId], 'the survivor rejoins alone')
  t.equal(await m2.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID, 'the expired member: UNKNOWN_MEMBER_ID')

  // A member whose JoinGroup got MEMBER_ID_REQUIRED but never came back is forgotten too.
  const pending = await RawMember.connect(port, { ...args, groupId: 'pending-only' })
  t.teardown(() => pending.close())
  t.equal((await pending.joinOnce()).errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  clock.advance(5 * 60_000 + 1_000)
  const observer = await RawClient.connect(port)
  t.teardown(() => observer.close())
  const d = await describeGroup(observer, 'pending-only')
  t.same(d.members, [], 'a pending member is not a member')
})

t.test('static membership: a rejoin replaces the member id, fences the old one, and keeps the assignment without a rebalance', async (t) => {
  const { port } = await groupBroker(t)
  const admin = kafkaClient(port, 'static-admin').admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 4 }] })
  const observer = await RawClient.connect(port)
  t.teardown(() => observer.close())
  const dyn = await RawMember.connect(port, { groupId: 'static', protocols: [{ name: 'range', metadata: sub() }] })
  const st = await RawMember.connect(port, { groupId: 'static', groupInstanceId: 'instance-1', protocols: [{ name: 'range', metadata: sub() }] })
  t.teardown(() => [dyn, st].forEach((m) => m.close()))
  await dyn.join()
  await dyn.sync({ [dyn.memberId]: { t: [0, 1, 2, 3] } })
  const js = tracked(st.joinOnce())
  await rebalancing(dyn)
  const rd = await dyn.joinOnce()
  const rs = await js.p
  t.equal(rd.errorCode, ErrorCode.NONE)
  t.equal(rs.errorCode, ErrorCode.NONE, 'a static member joins with an empty member id and no MEMBER_ID_REQUIRED (JoinGroup v5)')
  t.equal(rd.leader, dyn.memberId, 'the dynamic member leads')
  const ss = st.sync()
  await dyn.sync({ [dyn.memberId]: { t: [0, 1] }, [st.memberId]: { t: [2, 3] } })
  await ss
  t.same(st.assignment, { t: [2, 3] })
  const generation = dyn.generationId
  const oldId = st.memberId

  // The same instance comes back on a new connection with no member id (a restart).
  const again = await RawMember.connect(port, { groupId: 'static', groupInstanceId: 'instance-1', protocols: [{ name: 'range', metadata: sub() }] })
  t.teardown(() => again.close())
  const rj = await again.joinOnce()
  t.equal(rj.errorCode, ErrorCode.NONE, 'the restarted static member joins at once')
  t.not(rj.memberId, oldId, 'with a new member id')
  t.equal(rj.generationId, generation, 'in the same generation: no rebalance')
  t.equal(rj.protocolName, 'range')
  t.equal(rj.leader, dyn.memberId, 'the leader is unchanged')
  const rs2 = await again.syncOnce()
  t.equal(rs2.errorCode, ErrorCode.NONE, 'its SyncGroup is answered at once')
  t.same(again.assignment, { t: [2, 3] }, 'with its old assignment')
  t.equal(await dyn.heartbeat(), ErrorCode.NONE, 'the other member is not asked to rebalance')
  const d = await describeGroup(observer, 'static')
  t.equal(d.state, 'Stable')
  t.same(Object.fromEntries(d.members.map((m) => [m.memberId, [m.groupInstanceId, m.assignment]])), { [dyn.memberId]: [null, { t: [0, 1] }], [rj.memberId]: ['instance-1', { t: [2, 3] }] }, 'DescribeGroups: the new id holds the instance and its partitions')

  t.equal(await st.heartbeat(generation, oldId, 'instance-1'), ErrorCode.FENCED_INSTANCE_ID, 'the old member id: FENCED_INSTANCE_ID on Heartbeat')
  const oldSync = await st.syncOnce({}, generation, oldId)
  t.equal(oldSync.errorCode, ErrorCode.FENCED_INSTANCE_ID, 'and on SyncGroup')
  const oldCommit = await st.client.request(Api.OffsetCommit, 7, { groupId: 'static', generationIdOrMemberEpoch: generation, memberId: oldId, groupInstanceId: 'instance-1', topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] })
  t.equal(oldCommit.topics[0].partitions[0].errorCode, ErrorCode.FENCED_INSTANCE_ID, 'and on OffsetCommit v7')
  t.equal(await dyn.heartbeat(), ErrorCode.NONE, 'still no rebalance for the other member')

  // Removing the static member by its instance id (LeaveGroup v3+ batch).
  const leave = await observer.request(Api.LeaveGroup, 4, { groupId: 'static', members: [{ memberId: '', groupInstanceId: 'instance-1', reason: null }] })
  t.equal(leave.errorCode, ErrorCode.NONE)
  t.same(leave.members.map((m: any) => [m.groupInstanceId, m.errorCode]), [['instance-1', ErrorCode.NONE]], 'LeaveGroup by instance id')
  t.equal(await dyn.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'a static member leaving does rebalance the others')
})

t.test('offsets: simple commits, versions, metadata, generation checks, OffsetDelete, __consumer_offsets', async (t) => {
  const { port } = await groupBroker(t)
  const admin = kafkaClient(port, 'offsets-admin').admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'ot', numPartitions: 3 }] })
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())

  for (const version of [1, 3, 5, 7, 8, 9]) {
    const none = await fetchCommitted(c, 'simple', 'ot', [0, 1, 2], version)
    t.same(Object.values(none).map((p) => [p.offset, p.errorCode]), [[-1, 0], [-1, 0], [-1, 0]], `OffsetFetch v${version} before any commit: offset -1, no error`)
  }

  const v2 = await commitSimple(c, 'simple', 'ot', { 0: 5, 1: 7 }, 'meta-v2', 2)
  t.same(v2.topics[0].partitions.map((p: any) => p.errorCode), [0, 0], 'OffsetCommit v2 as a simple consumer (generation -1, no member) to an unknown group: accepted')
  const v8 = await commitSimple(c, 'simple', 'ot', { 2: 9 }, 'méta-flexible ✓', 8)
  t.same(v8.topics[0].partitions.map((p: any) => p.errorCode), [0], 'OffsetCommit v8 (flexible): accepted')
  const unknownTopic = await commitSimple(c, 'simple-x', 'no-such-topic', { 0: 1 }, null, 2)
  t.equal(unknownTopic.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a commit for a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION')
  const v9 = await commitSimple(c, 'simple-9', 'ot', { 0: 1 }, null, 9)
  t.same(v9.topics[0].partitions.map((p: any) => p.errorCode), [0], 'OffsetCommit v9: accepted')

  for (const version of [1, 5, 7, 8, 9]) {
    const got = await fetchCommitted(c, 'simple', 'ot', [0, 1, 2], version)
    t.same(Object.entries(got).map(([p, o]) => [Number(p), o.offset, o.metadata, o.errorCode]), [[0, 5, 'meta-v2', 0], [1, 7, 'meta-v2', 0], [2, 9, 'méta-flexible ✓', 0]], `OffsetFetch v${version}: offsets and metadata round trip`)
  }
  const all = await c.request(Api.OffsetFetch, 7, { groupId: 'simple', topics: null, requireStable: false })
  t.same(all.topics.map((x: any) => [x.name, x.partitions.map((p: any) => [p.partitionIndex, Number(p.committedOffset)]).sort()]), [['ot', [[0, 5], [1, 7], [2, 9]]]], 'OffsetFetch with topics null returns every committed partition')
  const all8 = await c.request(Api.OffsetFetch, 8, { groups: [{ groupId: 'simple', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'simple-9', memberId: null, memberEpoch: -1, topics: null }], requireStable: false })
  t.same(all8.groups.map((g: any) => [g.groupId, g.topics.flatMap((x: any) => x.partitions.map((p: any) => Number(p.committedOffset))).sort()]), [['simple', [5, 7, 9]], ['simple-9', [1]]], 'OffsetFetch v8 with two groups')

  const d = await describeGroup(c, 'simple')
  t.equal(d.state, 'Empty', 'a group known only by its offsets is Empty')
  const meta = await c.request(3, 4, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: '__consumer_offsets' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
  const internal = meta.topics.find((x: any) => x.name === '__consumer_offsets')
  t.equal(internal?.errorCode, 0, '__consumer_offsets exists after the first commit')
  t.equal(internal?.isInternal, true, 'and is internal')
  t.equal(internal?.partitions.length, 4, 'with offsets.topic.num.partitions partitions')

  // OffsetDelete on an Empty group.
  const del = await c.request(Api.OffsetDelete, 0, { groupId: 'simple', topics: [{ name: 'ot', partitions: [{ partitionIndex: 1 }] }] })
  t.equal(del.errorCode, 0)
  t.same(del.topics[0].partitions.map((p: any) => [p.partitionIndex, p.errorCode]), [[1, 0]], 'OffsetDelete of one partition')
  t.same(Object.values(await fetchCommitted(c, 'simple', 'ot', [0, 1, 2])).map((p) => p.offset), [5, -1, 9], 'only that partition\'s offset is gone')
  const delUnknown = await c.request(Api.OffsetDelete, 0, { groupId: 'never-seen', topics: [{ name: 'ot', partitions: [{ partitionIndex: 0 }] }] })
  t.equal(delUnknown.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'OffsetDelete on an unknown group: GROUP_ID_NOT_FOUND')

  // A group with a member: the generation rules for commits.
  const m = await soloStableMember(port, { groupId: 'busy', protocols: [{ name: 'range', metadata: sub(['ot']) }] }, { ot: [0, 1, 2] })
  t.teardown(() => m.close())
  const memberCommit = (generation: number, memberId: string, version = 2) =>
    m.client.request(Api.OffsetCommit, version, { groupId: 'busy', generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'ot', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: 'by-member' }] }] })
  t.equal((await memberCommit(m.generationId, m.memberId)).topics[0].partitions[0].errorCode, 0, 'the member commits with its generation')
  t.equal((await memberCommit(m.generationId, m.memberId, 8)).topics[0].partitions[0].errorCode, 0, 'also with OffsetCommit v8')
  t.equal((await memberCommit(m.generationId + 1, m.memberId)).topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION, 'a wrong generation: ILLEGAL_GENERATION')
  t.equal((await memberCommit(m.generationId, 'stranger')).topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown member: UNKNOWN_MEMBER_ID')
  t.equal((await memberCommit(-1, '')).topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a simple-consumer commit to a group with members: UNKNOWN_MEMBER_ID')
  t.same(await fetchCommitted(c, 'busy', 'ot', [0]), { 0: { offset: 3, metadata: 'by-member', errorCode: 0 } }, 'only the valid commits were stored')
  const delBusy = await c.request(Api.OffsetDelete, 0, { groupId: 'busy', topics: [{ name: 'ot', partitions: [{ partitionIndex: 0 }] }] })
  t.equal(delBusy.errorCode, 0)
  t.equal(delBusy.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'OffsetDelete of a topic the members subscribe to: GROUP_SUBSCRIBED_TO_TOPIC')

  // CompletingRebalance: commits wait for the new assignment.
  const m2 = await RawMember.connect(port, { groupId: 'busy', protocols: [{ name: 'range', metadata: sub(['ot']) }] })
  t.teardown(() => m2.close())
  const j2 = m2.join()
  await rebalancing(m)
  await m.joinOnce()
  await j2
  t.equal((await describeGroup(c, 'busy')).state, 'CompletingRebalance')
  const during = await m2.client.request(Api.OffsetCommit, 2, { groupId: 'busy', generationIdOrMemberEpoch: m2.generationId, memberId: m2.memberId, retentionTimeMs: -1, topics: [{ name: 'ot', partitions: [{ partitionIndex: 1, committedOffset: 1, committedMetadata: null }] }] })
  t.equal(during.topics[0].partitions[0].errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'a commit in CompletingRebalance: REBALANCE_IN_PROGRESS')
})

t.test('committed offsets expire after offsets.retention.minutes once the group is Empty', async (t) => {
  const { port, clock } = await groupBroker(t, { offsetsRetentionMinutes: 1 })
  const admin = kafkaClient(port, 'retention-admin').admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'rt', numPartitions: 1 }] })
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  const active = await soloStableMember(port, { groupId: 'ret-active', sessionTimeoutMs: 1_800_000, protocols: [{ name: 'range', metadata: sub(['rt']) }] }, { rt: [0] })
  t.teardown(() => active.close())
  const ac = await active.client.request(Api.OffsetCommit, 2, { groupId: 'ret-active', generationIdOrMemberEpoch: active.generationId, memberId: active.memberId, retentionTimeMs: -1, topics: [{ name: 'rt', partitions: [{ partitionIndex: 0, committedOffset: 4, committedMetadata: null }] }] })
  t.equal(ac.topics[0].partitions[0].errorCode, 0)
  await commitSimple(c, 'ret-simple', 'rt', { 0: 2 })

  clock.advance(30_000)
  t.equal((await fetchCommitted(c, 'ret-simple', 'rt', [0]))[0]!.offset, 2, 'after 30 s the simple commit is still there')
  clock.advance(20 * 60_000)
  // The expiry writes tombstones (an append); the answer follows once they are stored.
  await waitFor(async () => (await fetchCommitted(c, 'ret-simple', 'rt', [0]))[0]!.offset === -1, 'the simple commit to expire')
  t.equal((await fetchCommitted(c, 'ret-simple', 'rt', [0]))[0]!.offset, -1, 'after retention (1 min) plus the expiry check interval it is gone')
  t.equal((await fetchCommitted(c, 'ret-active', 'rt', [0]))[0]!.offset, 4, 'the commit of a group with a live member does not expire')
})

t.test('DeleteGroups and ListGroups', async (t) => {
  const { port } = await groupBroker(t)
  const admin = kafkaClient(port, 'delete-admin').admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'dg', numPartitions: 1 }] })
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  const live = await soloStableMember(port, { groupId: 'live', protocols: [{ name: 'range', metadata: sub(['dg']) }] }, { dg: [0] })
  t.teardown(() => live.close())
  await commitSimple(c, 'idle', 'dg', { 0: 3 })
  await commitSimple(c, 'idle-2', 'dg', { 0: 1 })

  const v4 = await c.request(Api.ListGroups, 4, { statesFilter: [], typesFilter: [] })
  t.same(v4.groups.map((g: any) => [g.groupId, g.protocolType, g.groupState]).sort(), [['idle', '', 'Empty'], ['idle-2', '', 'Empty'], ['live', 'consumer', 'Stable']], 'ListGroups v4: all groups with protocol type and state')
  const stable = await c.request(Api.ListGroups, 4, { statesFilter: ['Stable'], typesFilter: [] })
  t.same(stable.groups.map((g: any) => g.groupId), ['live'], 'statesFilter Stable')
  const emptyOnly = await c.request(Api.ListGroups, 4, { statesFilter: ['Empty'], typesFilter: [] })
  t.same(emptyOnly.groups.map((g: any) => g.groupId).sort(), ['idle', 'idle-2'], 'statesFilter Empty')
  const v5 = await c.request(Api.ListGroups, 5, { statesFilter: [], typesFilter: ['classic'] })
  t.same(v5.groups.map((g: any) => [g.groupId, g.groupType]).sort(), [['idle', 'classic'], ['idle-2', 'classic'], ['live', 'classic']], 'ListGroups v5: every group is classic')
  const consumerType = await c.request(Api.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] })
  t.same(consumerType.groups, [], 'typesFilter consumer (KIP-848 groups): none')
  const v0 = await c.request(Api.ListGroups, 0, {})
  t.same(v0.groups.map((g: any) => g.groupId).sort(), ['idle', 'idle-2', 'live'], 'ListGroups v0')

  for (const version of [0, 1, 2]) {
    const res = await c.request(Api.DeleteGroups, version, { groupsNames: ['live', `nope-${version}`] })
    t.same(res.results.map((r: any) => [r.groupId, r.errorCode]).sort(), [['live', ErrorCode.NON_EMPTY_GROUP], [`nope-${version}`, ErrorCode.GROUP_ID_NOT_FOUND]], `DeleteGroups v${version}: NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND`)
  }
  const ok = await c.request(Api.DeleteGroups, 2, { groupsNames: ['idle', 'idle-2'] })
  t.same(ok.results.map((r: any) => [r.groupId, r.errorCode]).sort(), [['idle', 0], ['idle-2', 0]], 'Empty groups are deleted')
  t.equal((await fetchCommitted(c, 'idle', 'dg', [0]))[0]!.offset, -1, 'with their offsets')
  t.equal((await describeGroup(c, 'idle')).state, 'Dead', 'DescribeGroups of a deleted group: Dead')
  const again = await c.request(Api.DeleteGroups, 2, { groupsNames: ['idle'] })
  t.equal(again.results[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'deleting it again: GROUP_ID_NOT_FOUND')
  t.equal(await live.heartbeat(), ErrorCode.NONE, 'the live group was untouched')
  t.equal((await live.leave()).errorCode, ErrorCode.NONE)
  const gone = await c.request(Api.DeleteGroups, 2, { groupsNames: ['live'] })
  t.equal(gone.results[0].errorCode, 0, 'after its member left, it can be deleted')
})

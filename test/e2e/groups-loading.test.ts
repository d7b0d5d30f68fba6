// COORDINATOR_LOAD_IN_PROGRESS during the start-up replay of __consumer_offsets. The listener
// opens before the group coordinator has replayed its topic; a test hook
// (StartExtras.groupLoadGate) holds the coordinator there, so the answers given while it
// loads are observed deterministically, then the replayed state is checked once it serves.
//
// What Kafka answers while it loads a coordinator partition (the classic GroupCoordinator's
// validateGroupStatus; the KIP-848 CoordinatorRuntime of Kafka 3.7+, the only one in 4.x):
// - FindCoordinator: answered as usual (it comes from metadata, not from the loaded state).
// - JoinGroup, LeaveGroup, ListGroups, OffsetDelete: COORDINATOR_LOAD_IN_PROGRESS; OffsetCommit
//   on every partition; DescribeGroups and DeleteGroups per group.
// - OffsetFetch: per group (v8+), top-level (v2-7), on every partition with offset -1 (v1).
// - SyncGroup: COORDINATOR_LOAD_IN_PROGRESS in the runtime (the classic coordinator answered
//   REBALANCE_IN_PROGRESS, for clients older than the error).
// - Heartbeat: NONE in both ("the group is still loading, so respond just blindly").

import t from 'tap'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic } from '../helpers/wire-requests.ts'
import { Api, RawMember, commitSimple, describeGroup, fetchCommitted, joinBody, within } from '../helpers/groups.ts'

const options = { host: '127.0.0.1', port: 0, shards: 2, logLevel: 'silent' as const, offsetsTopicNumPartitions: 4, groupInitialRebalanceDelayMs: 0 }

/** OffsetCommit v8 by a member of its generation. */
function memberCommit(m: RawMember, offsets: Record<number, number>, metadata: string): Promise<any> {
  return m.client.request(Api.OffsetCommit, 8, {
    groupId: m.groupId,
    generationIdOrMemberEpoch: m.generationId,
    memberId: m.memberId,
    groupInstanceId: null,
    topics: [{ name: 'lt', partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, committedMetadata: metadata })) }],
  })
}

const partitionErrors = (res: any): number[] => res.topics.flatMap((x: any) => x.partitions.map((p: any) => p.errorCode))

t.test('group requests during the replay of __consumer_offsets get COORDINATOR_LOAD_IN_PROGRESS; afterwards the commits are back', async (t) => {
  const dataDir = tempDir(t)

  // Before the restart: a Stable group with one member and its commits, and a simple
  // consumer's commit in a group without members.
  const first = await startBroker({ ...options, dataDir }, { clock: new ManualClock() })
  const admin = await RawClient.connect(first.port)
  await createTopic(admin, 'lt', 2)
  const m = await RawMember.connect(first.port, { groupId: 'g-load' })
  await m.join()
  await m.sync({ [m.memberId]: { lt: [0, 1] } })
  t.same(partitionErrors(await memberCommit(m, { 0: 7, 1: 3 }, 'm1')), [0, 0], 'the member commits 7 and 3')
  t.same(partitionErrors(await commitSimple(admin, 'g-simple', 'lt', { 0: 5 }, 'simple')), [0], 'a simple consumer commits 5')
  m.close()
  admin.close()
  await first.close()

  // The restart, held between the replay and serving.
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let announce!: (port: number) => void
  const listening = new Promise<number>((resolve) => (announce = resolve))
  const starting = startBroker({ ...options, dataDir }, { clock: new ManualClock(), groupLoadGate: (port) => (announce(port), gate) })
  let ready: RunningBroker | null = null
  void starting.then((b) => (ready = b), () => {})
  t.teardown(async () => {
    release()
    await (await starting.catch(() => null))?.close()
  })
  const port = await within(Promise.race([listening, starting.then(() => Promise.reject(new Error('startBroker resolved without holding at the gate')))]), 'the restarted broker to listen')
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  const member = await RawMember.connect(port, { groupId: 'g-load' })
  t.teardown(() => member.close())
  member.memberId = m.memberId
  member.generationId = m.generationId
  member.protocolName = m.protocolName

  const find3 = await c.request(Api.FindCoordinator, 3, { key: 'g-load', keyType: 0 })
  t.same([find3.errorCode, find3.port], [ErrorCode.NONE, port], 'FindCoordinator v3: answered with this broker, loading or not')
  const find4 = await c.request(Api.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g-load', 'g-simple'] })
  t.same(find4.coordinators.map((x: any) => [x.key, x.errorCode, x.port]), [['g-load', ErrorCode.NONE, port], ['g-simple', ErrorCode.NONE, port]], 'FindCoordinator v4: every key answered')

  const newJoin = await c.request(Api.JoinGroup, 5, joinBody({ groupId: 'g-other' }))
  t.equal(newJoin.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'JoinGroup of a new member: COORDINATOR_LOAD_IN_PROGRESS (not MEMBER_ID_REQUIRED)')
  t.equal((await member.joinOnce()).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'JoinGroup of the replayed member: COORDINATOR_LOAD_IN_PROGRESS')
  t.equal((await member.syncOnce({ [m.memberId]: { lt: [1] } })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'SyncGroup: COORDINATOR_LOAD_IN_PROGRESS (as the KIP-848 runtime answers)')
  t.equal(await member.heartbeat(), ErrorCode.NONE, 'Heartbeat: NONE, the blind answer Kafka gives while it loads')
  t.same(partitionErrors(await memberCommit(member, { 0: 99, 1: 99 }, 'during')), [14, 14], 'OffsetCommit v8 of the member: COORDINATOR_LOAD_IN_PROGRESS on every partition')
  t.same(partitionErrors(await commitSimple(c, 'g-simple', 'lt', { 0: 99 })), [14], 'OffsetCommit v2 of a simple consumer: COORDINATOR_LOAD_IN_PROGRESS')

  const v1 = await c.request(Api.OffsetFetch, 1, { groupId: 'g-load', topics: [{ name: 'lt', partitionIndexes: [0, 1] }] })
  t.same(v1.topics[0].partitions.map((p: any) => [p.partitionIndex, p.errorCode, Number(p.committedOffset)]), [[0, 14, -1], [1, 14, -1]], 'OffsetFetch v1 (no top-level error): COORDINATOR_LOAD_IN_PROGRESS and offset -1 on every partition')
  const v7 = await c.request(Api.OffsetFetch, 7, { groupId: 'g-load', topics: [{ name: 'lt', partitionIndexes: [0, 1] }], requireStable: false })
  t.same([v7.errorCode, v7.topics], [14, []], 'OffsetFetch v7: top-level COORDINATOR_LOAD_IN_PROGRESS, no offsets')
  const v8 = await c.request(Api.OffsetFetch, 8, {
    groups: ['g-load', 'g-simple'].map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'lt', partitionIndexes: [0, 1] }] })),
    requireStable: false,
  })
  t.same(v8.groups.map((g: any) => [g.groupId, g.errorCode, g.topics]), [['g-load', 14, []], ['g-simple', 14, []]], 'OffsetFetch v8: COORDINATOR_LOAD_IN_PROGRESS for each group, no offsets')

  t.equal((await member.leave()).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'LeaveGroup: COORDINATOR_LOAD_IN_PROGRESS')
  t.equal((await describeGroup(c, 'g-load')).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'DescribeGroups: COORDINATOR_LOAD_IN_PROGRESS for the group')
  t.equal((await c.request(Api.ListGroups, 4, { statesFilter: [], typesFilter: [] })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'ListGroups: COORDINATOR_LOAD_IN_PROGRESS')
  const del = await c.request(Api.DeleteGroups, 2, { groupsNames: ['g-simple'] })
  t.same(del.results.map((r: any) => [r.groupId, r.errorCode]), [['g-simple', 14]], 'DeleteGroups: COORDINATOR_LOAD_IN_PROGRESS for the group')
  const offDel = await c.request(Api.OffsetDelete, 0, { groupId: 'g-simple', topics: [{ name: 'lt', partitions: [{ partitionIndex: 0 }] }] })
  t.equal(offDel.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'OffsetDelete: COORDINATOR_LOAD_IN_PROGRESS')
  t.equal(ready, null, 'meanwhile startBroker has not resolved: "ready" means replayed')

  release()
  const broker = await within(starting, 'startBroker to resolve once the gate opens')
  t.equal(broker.port, port, 'the same broker, now serving')
  t.same(await fetchCommitted(c, 'g-load', 'lt', [0, 1], 8), { 0: { offset: 7, metadata: 'm1', errorCode: 0 }, 1: { offset: 3, metadata: 'm1', errorCode: 0 } }, 'OffsetFetch v8: the member\'s commits, replayed (none of the refused ones landed)')
  t.same(await fetchCommitted(c, 'g-simple', 'lt', [0], 1), { 0: { offset: 5, metadata: 'simple', errorCode: 0 } }, 'OffsetFetch v1: the simple consumer\'s commit, replayed')
  const described = await describeGroup(c, 'g-load')
  t.same([described.errorCode, described.state, described.members.map((x) => [x.memberId, x.assignment])], [ErrorCode.NONE, 'Stable', [[m.memberId, { lt: [0, 1] }]]], 'DescribeGroups: the group is back, Stable, with its member and assignment (the refused LeaveGroup changed nothing)')
  t.equal(await member.heartbeat(), ErrorCode.NONE, 'the replayed member heartbeats in its generation')
  const listed = await c.request(Api.ListGroups, 4, { statesFilter: [], typesFilter: [] })
  t.same([listed.errorCode, listed.groups.map((g: any) => g.groupId).sort()], [ErrorCode.NONE, ['g-load', 'g-simple']], 'ListGroups: both groups (the refused DeleteGroups changed nothing)')
  const fresh = await RawMember.connect(port, { groupId: 'g-fresh' })
  t.teardown(() => fresh.close())
  t.equal((await fresh.join()).errorCode, ErrorCode.NONE, 'JoinGroup works once loaded')
})

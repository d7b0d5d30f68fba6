// kafkajs 2.2.4 consumer groups (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3,
// Heartbeat v3, LeaveGroup v3, OffsetCommit v5, OffsetFetch v4, DescribeGroups v2):
// exactly-once delivery across a group while members join and leave, eviction of a member
// killed without leaving (its session timeout runs on the broker's ManualClock), fan-out to
// two groups, and the admin API (list/describe/fetch/reset/set offsets, delete groups).

import t, { type Test } from 'tap'
import { AssignerProtocol, type Consumer, type Kafka } from 'kafkajs'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { advanceUntil, decodeSubscriptionTopics, describeGroup, groupBroker, roundTrip, waitFor, type Described } from '../helpers/groups.ts'
import { nodeScript } from '../helpers/line-process.ts'

interface Delivery {
  member: string
  partition: number
  offset: number
  value: string | null
  /** The synchronous commit of offset+1 that followed succeeded. */
  committed: boolean
}

interface Member {
  name: string
  consumer: Consumer
  /** The partitions of the last GROUP_JOIN. */
  assignment: () => number[]
  joins: () => number
}

/** A kafkajs group member that commits each message synchronously after processing it. */
async function startMember(t: Test, kafka: Kafka, name: string, groupId: string, topic: string, deliveries: Delivery[], opts: { fromBeginning?: boolean } = {}): Promise<Member> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 60_000, maxWaitTimeInMs: 100 })
  let assignment: number[] = []
  let joins = 0
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joins++
    assignment = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
  })
  await consumer.connect()
  let disconnected = false
  t.teardown(() => (disconnected ? undefined : consumer.disconnect().catch(() => {})))
  await consumer.subscribe({ topics: [topic], fromBeginning: opts.fromBeginning ?? true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const d: Delivery = { member: name, partition, offset: Number(message.offset), value: message.value?.toString() ?? null, committed: false }
      deliveries.push(d)
      try {
        await consumer.commitOffsets([{ topic, partition, offset: String(d.offset + 1) }])
        d.committed = true
      } catch {
        // Left uncommitted: a later redelivery of this offset is then legitimate.
      }
    },
  })
  const origDisconnect = consumer.disconnect.bind(consumer)
  consumer.disconnect = async () => {
    disconnected = true
    await origDisconnect()
  }
  return { name, consumer, assignment: () => assignment, joins: () => joins }
}

const key = (partition: number, offset: number): string => `${partition}:${offset}`

/**
 * Every offset below the high watermarks was delivered, and any offset delivered twice was
 * first delivered without a successful commit (a redelivery of uncommitted work after a
 * rebalance), never after a commit.
 */
function checkExactlyOnce(t: Test, deliveries: Delivery[], highs: number[], label: string): void {
  const seen = new Map<string, Delivery[]>()
  for (const d of deliveries) {
    const k = key(d.partition, d.offset)
    if (!seen.has(k)) seen.set(k, [])
    seen.get(k)!.push(d)
  }
  const missing: string[] = []
  for (let p = 0; p < highs.length; p++) for (let o = 0; o < highs[p]!; o++) if (!seen.has(key(p, o))) missing.push(key(p, o))
  t.same(missing, [], `${label}: no gaps, every (partition, offset) below the high watermarks was delivered`)
  const beyond = [...seen.keys()].filter((k) => {
    const [p, o] = k.split(':').map(Number)
    return o! >= highs[p!]!
  })
  t.same(beyond, [], `${label}: nothing delivered beyond the high watermarks`)
  const badDuplicates: string[] = []
  let redeliveries = 0
  for (const [k, ds] of seen) {
    if (ds.length < 2) continue
    redeliveries += ds.length - 1
    if (ds.slice(0, -1).some((d) => d.committed)) badDuplicates.push(`${k} by ${ds.map((d) => `${d.member}${d.committed ? '(committed)' : ''}`).join(',')}`)
  }
  t.same(badDuplicates, [], `${label}: no offset delivered again after its commit succeeded (${redeliveries} redeliveries of uncommitted offsets)`)
}

async function produce(kafka: Kafka, topic: string, partitions: number, prefix: string, count: number): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: `${prefix}-${i}` })) })
  await producer.disconnect()
}

async function highWatermarks(kafka: Kafka, topic: string): Promise<number[]> {
  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high))
}

const covered = (deliveries: Delivery[], highs: number[]): boolean => {
  const s = new Set(deliveries.map((d) => key(d.partition, d.offset)))
  return highs.every((h, p) => Array.from({ length: h }, (_, o) => s.has(key(p, o))).every(Boolean))
}

const stableWith = (d: Described, n: number): boolean => d.state === 'Stable' && d.members.length === n && d.members.every((m) => Object.values(m.assignment).flat().length > 0)

t.test('kafkajs: three members, a fourth joins, one leaves: every message exactly once', async (t) => {
  const { port } = await groupBroker(t)
  const kafka = kafkaClient(port, 'groups-kjs')
  const raw = await RawClient.connect(port)
  t.teardown(() => raw.close())
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 6 }] })

  const deliveries: Delivery[] = []
  const a = await startMember(t, kafka, 'A', 'g-shared', 'shared', deliveries)
  const b = await startMember(t, kafka, 'B', 'g-shared', 'shared', deliveries)
  const c = await startMember(t, kafka, 'C', 'g-shared', 'shared', deliveries)
  await waitFor(async () => stableWith(await describeGroup(raw, 'g-shared'), 3), 'a Stable group of three')
  let desc = await describeGroup(raw, 'g-shared')
  t.same(desc.members.map((m) => m.assignment.shared!.length).sort(), [2, 2, 2], 'six partitions split 2/2/2')
  t.same(desc.members.flatMap((m) => m.assignment.shared!).sort(), [0, 1, 2, 3, 4, 5], 'each partition assigned once')

  await produce(kafka, 'shared', 6, 'before', 60)
  let highs = await highWatermarks(kafka, 'shared')
  await waitFor(() => covered(deliveries, highs), 'phase 1 consumed')

  // A fourth member joins while messages keep arriving.
  const joining = startMember(t, kafka, 'D', 'g-shared', 'shared', deliveries)
  await produce(kafka, 'shared', 6, 'during', 60)
  const d = await joining
  await waitFor(async () => stableWith(await describeGroup(raw, 'g-shared'), 4), 'a Stable group of four')
  desc = await describeGroup(raw, 'g-shared')
  t.same(desc.members.flatMap((m) => m.assignment.shared!).sort(), [0, 1, 2, 3, 4, 5], 'after the join: each partition assigned exactly once across four members')
  await waitFor(() => d.assignment().length > 0, 'D got partitions')
  await produce(kafka, 'shared', 6, 'after-join', 60)
  highs = await highWatermarks(kafka, 'shared')
  await waitFor(() => covered(deliveries, highs), 'phases 2 and 3 consumed')
  const dAfterJoin = deliveries.filter((x) => x.member === 'D' && x.value?.startsWith('after-join'))
  t.ok(dAfterJoin.length > 0, `the new member consumed its share after joining (${dAfterJoin.length} messages)`)
  t.ok(dAfterJoin.every((x) => d.assignment().includes(x.partition)), 'only from its own partitions')

  // B leaves (LeaveGroup): its partitions move to the other three.
  const bPartitions = b.assignment()
  await b.consumer.disconnect()
  await waitFor(async () => stableWith(await describeGroup(raw, 'g-shared'), 3), 'a Stable group of three again')
  desc = await describeGroup(raw, 'g-shared')
  t.same(desc.members.flatMap((m) => m.assignment.shared!).sort(), [0, 1, 2, 3, 4, 5], 'after the leave: each partition assigned exactly once across three members')
  await produce(kafka, 'shared', 6, 'after-leave', 60)
  highs = await highWatermarks(kafka, 'shared')
  await waitFor(() => covered(deliveries, highs), 'phase 4 consumed')
  t.equal(deliveries.filter((x) => x.member === 'B' && x.value?.startsWith('after-leave')).length, 0, 'the member that left consumed nothing afterwards')
  const movedTo = deliveries.filter((x) => x.value?.startsWith('after-leave') && bPartitions.includes(x.partition))
  t.ok(movedTo.length > 0 && movedTo.every((x) => x.member !== 'B'), `B's partitions ${bPartitions} were consumed by the others`)

  t.same(highs, [40, 40, 40, 40, 40, 40], '240 messages in total')
  checkExactlyOnce(t, deliveries, highs, 'group g-shared')
  // kafkajs commits after delivering (its commit runs once the batch is processed): wait,
  // bounded, for the commits of the last messages before comparing.
  const committedOffsets = async (): Promise<number[]> => (await admin.fetchOffsets({ groupId: 'g-shared', topics: ['shared'] }))[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset))
  await waitFor(async () => JSON.stringify(await committedOffsets()) === JSON.stringify(highs), 'commits of the last messages').catch(() => {})
  t.same(await committedOffsets(), highs, 'committed offsets reached the high watermarks')
  await Promise.all([a, c, d].map((m) => m.consumer.disconnect()))
  const empty = await describeGroup(raw, 'g-shared')
  t.equal(empty.state, 'Empty', 'after every member left the group is Empty')
  t.equal(empty.members.length, 0)
})

t.test('kafkajs: a member killed without leaving is evicted after its session timeout', async (t) => {
  const { port, clock } = await groupBroker(t)
  const kafka = kafkaClient(port, 'groups-kjs-evict')
  const raw = await RawClient.connect(port)
  t.teardown(() => raw.close())
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'evict', numPartitions: 6 }] })

  const deliveries: Delivery[] = []
  await startMember(t, kafka, 'S1', 'g-evict', 'evict', deliveries)
  await startMember(t, kafka, 'S2', 'g-evict', 'evict', deliveries)
  const child = nodeScript(t, 'group-child-consumer.ts', { port, groupId: 'g-evict', topic: 'evict', clientId: 'doomed', mode: 'commit-after', sessionTimeout: 10_000, heartbeatInterval: 300 })
  await child.waitEvent((e) => e.event === 'running', 'child consumer running')
  await waitFor(async () => stableWith(await describeGroup(raw, 'g-evict'), 3), 'a Stable group of three')
  const before = await describeGroup(raw, 'g-evict')
  const doomed = before.members.find((m) => m.clientId === 'doomed')!
  t.ok(doomed, 'the child process is a member')
  const doomedPartitions = doomed.assignment.evict!
  t.equal(doomedPartitions.length, 2, `it owns two partitions (${doomedPartitions})`)

  await produce(kafka, 'evict', 6, 'first', 60)
  const childProcessed = (): Delivery[] => child.of('processed').map((e) => ({ member: 'K', partition: e.partition, offset: e.offset, value: e.value, committed: child.of('committed').some((c) => c.partition === e.partition && c.offset === e.offset + 1) }))
  await waitFor(() => covered([...deliveries, ...childProcessed()], [10, 10, 10, 10, 10, 10]), 'first 60 consumed by the three')
  await waitFor(() => doomedPartitions.every((p) => child.of('committed').some((c) => c.partition === p && c.offset === 10)), 'the child committed its partitions')

  child.kill('SIGKILL')
  await child.exited
  await roundTrip(raw)
  let desc = await describeGroup(raw, 'g-evict')
  t.ok(desc.members.some((m) => m.memberId === doomed.memberId), 'with the clock stopped, the dead member is still in the group (no eviction on disconnect)')
  t.equal(desc.state, 'Stable', 'and the group is still Stable')

  const advanced = await advanceUntil(clock, async () => {
    const g = await describeGroup(raw, 'g-evict')
    return stableWith(g, 2) && !g.members.some((m) => m.memberId === doomed.memberId)
  }, 'eviction of the dead member')
  t.ok(advanced >= 10_000, `evicted only after its 10 s session timeout passed on the clock (advanced ${advanced} ms)`)
  t.ok(advanced <= 30_000, `and promptly after it (advanced ${advanced} ms)`)
  desc = await describeGroup(raw, 'g-evict')
  t.equal(desc.members.length, 2, 'two survivors')
  t.same(desc.members.flatMap((m) => m.assignment.evict!).sort(), [0, 1, 2, 3, 4, 5], 'the dead member\'s partitions moved to the survivors')

  await produce(kafka, 'evict', 6, 'second', 60)
  await waitFor(() => covered([...deliveries, ...childProcessed()], [20, 20, 20, 20, 20, 20]), 'second 60 consumed by the survivors')
  const onDoomed = deliveries.filter((x) => doomedPartitions.includes(x.partition))
  t.same(onDoomed.map((x) => x.offset).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => 10 + (i >> 1)), 'survivors resumed the dead member\'s partitions exactly at its commits (offsets 10-19 each, nothing re-read)')
  checkExactlyOnce(t, [...deliveries, ...childProcessed()], [20, 20, 20, 20, 20, 20], 'group g-evict')
})

t.test('kafkajs: two groups on one topic each receive every message', async (t) => {
  const { port } = await groupBroker(t)
  const kafka = kafkaClient(port, 'groups-kjs-fanout')
  const raw = await RawClient.connect(port)
  t.teardown(() => raw.close())
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'fanout', numPartitions: 3 }] })

  const ga: Delivery[] = []
  const gb: Delivery[] = []
  await startMember(t, kafka, 'A1', 'g-a', 'fanout', ga)
  await startMember(t, kafka, 'A2', 'g-a', 'fanout', ga)
  await startMember(t, kafka, 'B1', 'g-b', 'fanout', gb)
  await waitFor(async () => stableWith(await describeGroup(raw, 'g-a'), 2) && stableWith(await describeGroup(raw, 'g-b'), 1), 'both groups Stable')
  await produce(kafka, 'fanout', 3, 'fan', 90)
  await waitFor(() => covered(ga, [30, 30, 30]) && covered(gb, [30, 30, 30]), 'both groups consumed everything')
  checkExactlyOnce(t, ga, [30, 30, 30], 'group g-a')
  checkExactlyOnce(t, gb, [30, 30, 30], 'group g-b')
  t.ok(new Set(ga.map((x) => x.member)).size === 2, 'both members of g-a took part')
  const offsets = async (groupId: string) => (await admin.fetchOffsets({ groupId, topics: ['fanout'] }))[0]!.partitions.map((p) => Number(p.offset))
  // kafkajs commits after delivering: bounded wait for the last commits, then compare.
  await waitFor(async () => JSON.stringify(await offsets('g-a')) === '[30,30,30]' && JSON.stringify(await offsets('g-b')) === '[30,30,30]', 'both groups\' last commits').catch(() => {})
  t.same(await offsets('g-a'), [30, 30, 30], 'g-a committed its own offsets')
  t.same(await offsets('g-b'), [30, 30, 30], 'g-b committed its own offsets')
})

t.test('kafkajs admin: list, describe, fetch/reset/set offsets, delete groups', async (t) => {
  const { port } = await groupBroker(t)
  const kafka = kafkaClient(port, 'groups-kjs-admin')
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'admin-t', numPartitions: 2 }] })
  await produce(kafka, 'admin-t', 2, 'm', 10)
  const committedOf = async (groupId: string) => (await admin.fetchOffsets({ groupId, topics: ['admin-t'] }))[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset))

  const deliveries: Delivery[] = []
  const m = await startMember(t, kafka, 'M', 'g-admin', 'admin-t', deliveries)
  await waitFor(() => covered(deliveries, [5, 5]), 'the member consumed everything')

  const listed = await admin.listGroups()
  t.same(listed.groups.filter((g) => g.groupId === 'g-admin'), [{ groupId: 'g-admin', protocolType: 'consumer' }], 'listGroups shows the group as a consumer group')

  const described = await admin.describeGroups(['g-admin'])
  const g = described.groups[0]!
  t.equal(g.groupId, 'g-admin')
  t.equal(g.state, 'Stable', 'state Stable')
  t.equal(g.protocolType, 'consumer')
  t.equal(g.protocol, 'RoundRobinAssigner', 'the protocol kafkajs proposed')
  t.equal(g.members.length, 1, 'one member')
  t.equal(g.members[0]!.clientId, 'groups-kjs-admin', 'with its client id')
  t.ok(g.members[0]!.clientHost.includes('127.0.0.1'), `and its host (${g.members[0]!.clientHost})`)
  const assignment = AssignerProtocol.MemberAssignment.decode(g.members[0]!.memberAssignment)!
  t.same(assignment.assignment, { 'admin-t': [0, 1] }, 'the assignment decodes to both partitions')
  t.same(decodeSubscriptionTopics(g.members[0]!.memberMetadata), ['admin-t'], 'the metadata is its subscription')

  await waitFor(async () => JSON.stringify(await committedOf('g-admin')) === '[5,5]', 'the member\'s last commits').catch(() => {})
  t.same(await committedOf('g-admin'), [5, 5], 'fetchOffsets: the commits of the member')

  const nonEmpty = await admin.deleteGroups(['g-admin']).then(() => null, (err: any) => err)
  t.ok(nonEmpty !== null, 'deleting a group with an active member fails')
  t.equal(nonEmpty?.groups?.[0]?.errorCode, 68, 'with NON_EMPTY_GROUP')
  const unknown = await admin.deleteGroups(['no-such-group']).then(() => null, (err: any) => err)
  t.equal(unknown?.groups?.[0]?.errorCode, 69, 'deleting an unknown group: GROUP_ID_NOT_FOUND')

  await m.consumer.disconnect()
  t.equal((await admin.describeGroups(['g-admin'])).groups[0]!.state, 'Empty', 'once the member stopped the group is Empty')
  t.same(await admin.deleteGroups(['g-admin']), [{ groupId: 'g-admin', errorCode: 0 }], 'and can be deleted')
  t.same(await committedOf('g-admin'), [-1, -1], 'its offsets went with it')
  t.notOk((await admin.listGroups()).groups.some((x) => x.groupId === 'g-admin'), 'and it is no longer listed')

  // resetOffsets to earliest on a group that never existed, then a consumer that would
  // otherwise start at the end (fromBeginning: false) reads from the beginning.
  await admin.resetOffsets({ groupId: 'g-reset', topic: 'admin-t', earliest: true })
  const earliest = await admin.fetchOffsets({ groupId: 'g-reset', topics: ['admin-t'], resolveOffsets: true })
  t.same(earliest[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset)), [0, 0], 'reset to earliest resolves to offset 0')
  let got: Delivery[] = []
  let r = await startMember(t, kafka, 'R1', 'g-reset', 'admin-t', got, { fromBeginning: false })
  await waitFor(() => covered(got, [5, 5]), 'consumed from the reset position')
  checkExactlyOnce(t, got, [5, 5], 'after reset to earliest')
  await r.consumer.disconnect()

  await admin.resetOffsets({ groupId: 'g-reset', topic: 'admin-t', earliest: false })
  const latest = await admin.fetchOffsets({ groupId: 'g-reset', topics: ['admin-t'], resolveOffsets: true })
  t.same(latest[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset)), [5, 5], 'reset to latest resolves to the high watermarks')
  await produce(kafka, 'admin-t', 2, 'late', 4)
  got = []
  r = await startMember(t, kafka, 'R2', 'g-reset', 'admin-t', got, { fromBeginning: true })
  await waitFor(() => got.length >= 4, 'the four new messages')
  // A marker behind everything on each partition: once both are read, anything earlier
  // the consumer was going to get has arrived (partitions are read in order).
  await produce(kafka, 'admin-t', 2, 'marker', 2)
  await waitFor(() => got.filter((x) => x.value?.startsWith('marker')).length === 2, 'both markers')
  t.same(got.map((x) => x.value).filter((v) => !v?.startsWith('marker')).sort(), ['late-0', 'late-1', 'late-2', 'late-3'], 'after reset to latest only new messages are read')
  await r.consumer.disconnect()

  await admin.setOffsets({ groupId: 'g-reset', topic: 'admin-t', partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '3' }] })
  t.same(await committedOf('g-reset'), [1, 3], 'setOffsets commits the given offsets')
  got = []
  r = await startMember(t, kafka, 'R3', 'g-reset', 'admin-t', got)
  await waitFor(() => covered(got.concat(...[0, 1].flatMap((p) => Array.from({ length: p === 0 ? 1 : 3 }, (_, o) => ({ member: '', partition: p, offset: o, value: null, committed: true })))), [7, 7]), 'consumed from the set offsets')
  await produce(kafka, 'admin-t', 2, 'marker2', 2)
  await waitFor(() => got.filter((x) => x.value?.startsWith('marker2')).length === 2, 'both markers')
  t.same(got.filter((x) => x.partition === 0).map((x) => x.offset), [1, 2, 3, 4, 5, 6, 7, 8], 'partition 0 from offset 1 (7 and 8: the markers)')
  t.same(got.filter((x) => x.partition === 1).map((x) => x.offset), [3, 4, 5, 6, 7, 8], 'partition 1 from offset 3 (7 and 8: the markers)')
  await r.consumer.disconnect()
})

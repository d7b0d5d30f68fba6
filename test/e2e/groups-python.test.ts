// Consumer groups with the Debian Python clients. confluent-kafka 1.7 on librdkafka 2.0.2
// (JoinGroup v5, SyncGroup/Heartbeat v3, LeaveGroup v1, OffsetCommit v7, OffsetFetch v7):
// eager range and incremental cooperative-sticky rebalances, synchronous manual commits, and
// static membership (a restarted member gets its partitions back without a rebalance of the
// others). kafka-python 2.0.2 (JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1, OffsetCommit
// v2, OffsetFetch v1): commits with metadata, and a second run resumes after them.
// (confluent-kafka 1.7 cannot send commit metadata: its TopicPartition has no metadata.)

import t, { type Test } from 'tap'
import type { Kafka } from 'kafkajs'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { repoRoot } from '../helpers/broker.ts'
import { join } from 'node:path'
import { advanceUntil, describeGroup, groupBroker, waitFor } from '../helpers/groups.ts'
import { pythonScript, type LineProcess } from '../helpers/line-process.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

function member(t: Test, port: number, topic: string, group: string, strategy: string, clientId: string, instance = '-'): LineProcess {
  return pythonScript(t, 'confluent_group_member.py', [`127.0.0.1:${port}`, topic, group, strategy, instance, clientId])
}

/** The partitions a member holds now, replaying its assign/revoke/lost callbacks. */
function owned(m: LineProcess): number[] {
  const held = new Set<number>()
  for (const e of m.events) {
    if (e.event === 'assign') for (const p of e.partitions) held.add(p)
    if (e.event === 'revoke' || e.event === 'lost') for (const p of e.partitions) held.delete(p)
  }
  return [...held].sort((a, b) => a - b)
}

const msgs = (m: LineProcess): Array<[number, number]> => m.of('msg').map((e) => [e.partition, e.offset])

async function createAndProduce(kafka: Kafka, topic: string, partitions: number, prefix: string, perPartition: number, create = true): Promise<void> {
  if (create) {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
    await admin.disconnect()
  }
  if (perPartition === 0) return
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: Array.from({ length: partitions * perPartition }, (_, i) => ({ partition: i % partitions, value: `${prefix}-${i}` })) })
  await producer.disconnect()
}

async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Array<[number, string | null]>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] })
    return res[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => [Number(p.offset), p.metadata])
  } finally {
    await admin.disconnect()
  }
}

function checkOnce(t: Test, all: Array<[number, number]>, perPartition: number[], label: string): void {
  const keys = all.map(([p, o]) => `${p}:${o}`)
  t.equal(new Set(keys).size, keys.length, `${label}: no message processed twice`)
  const want = perPartition.flatMap((n, p) => Array.from({ length: n }, (_, o) => `${p}:${o}`))
  t.same([...new Set(keys)].sort(), want.sort(), `${label}: every message processed`)
}

for (const strategy of ['range', 'cooperative-sticky']) {
  t.test(`confluent-kafka: ${strategy} assignor, manual synchronous commits, a second member joins`, async (t) => {
    const { port } = await groupBroker(t)
    const kafka = kafkaClient(port, `py-${strategy}`)
    const raw = await RawClient.connect(port)
    t.teardown(() => raw.close())
    const topic = `py-${strategy}`
    const group = `g-${strategy}`
    await createAndProduce(kafka, topic, 4, 'a', 0)

    const c1 = member(t, port, topic, group, strategy, 'c1')
    await waitFor(() => owned(c1).length === 4, 'c1 owns all four partitions', 30_000)
    await createAndProduce(kafka, topic, 4, 'first', 5, false)
    await waitFor(() => c1.of('committed').length >= 20, 'c1 processed and committed the first 20')

    const revokesBefore = c1.of('revoke').length
    const c2 = member(t, port, topic, group, strategy, 'c2')
    await waitFor(() => owned(c2).length === 2 && owned(c1).length === 2, 'two partitions each', 30_000)
    const p1 = owned(c1)
    const p2 = owned(c2)
    t.same([...p1, ...p2].sort(), [0, 1, 2, 3], `disjoint and complete: c1 ${p1}, c2 ${p2}`)
    await waitFor(async () => (await describeGroup(raw, group)).state === 'Stable', 'Stable')
    const d = await describeGroup(raw, group)
    t.equal(d.protocol, strategy, `DescribeGroups: the group chose ${strategy}`)
    t.same(Object.fromEntries(d.members.map((m) => [m.clientId, m.assignment[topic]])), { c1: p1, c2: p2 }, 'the broker holds the assignments the members report')

    const revokes = c1.of('revoke').slice(revokesBefore)
    if (strategy === 'range') {
      t.same(revokes.map((e) => e.partitions), [[0, 1, 2, 3]], 'eager: c1 gave up all its partitions in the rebalance')
      t.ok([[0, 1], [2, 3]].some((r) => JSON.stringify(r) === JSON.stringify(p1)), `range: c1 holds a contiguous range (${p1})`)
    } else {
      t.same(revokes.map((e) => e.partitions), [p2], 'cooperative: c1 revoked only the two partitions that moved to c2')
      t.ok(c1.of('revoke').every((e) => e.partitions.every((p: number) => !p1.includes(p))), 'and never revoked the ones it kept')
    }

    await createAndProduce(kafka, topic, 4, 'second', 5, false)
    await waitFor(() => c1.of('committed').length + c2.of('committed').length >= 40, 'all 40 processed and committed')
    // Every message is committed, so nothing is left to deliver: once both have left, their
    // event logs are complete and a duplicate delivered at any point would be in them.
    t.equal(await c1.stop('close'), 0, 'c1 closes')
    t.equal(await c2.stop('close'), 0, 'c2 closes')
    checkOnce(t, [...msgs(c1), ...msgs(c2)], [10, 10, 10, 10], strategy)
    t.ok(c2.of('msg').every((e) => p2.includes(e.partition)), 'c2 processed only its partitions')
    t.ok(c1.of('msg').filter((e) => e.value.startsWith('second')).every((e) => p1.includes(e.partition)), 'c1 processed only its partitions after the rebalance')
    t.same(c2.of('msg').map((e) => e.offset).filter((o) => o < 5), [], 'c2 started after c1\'s commits on the partitions it took over')
    t.same([...c1.events, ...c2.events].filter((e) => e.event === 'commit-error' || e.event === 'error'), [], 'no commit or client errors')
    t.same((await committedOffsets(kafka, group, topic)).map(([o]) => o), [10, 10, 10, 10], 'the committed offsets are at the end of every partition')
    t.equal((await describeGroup(raw, group)).state, 'Empty', 'after both left the group is Empty')
  })
}

t.test('confluent-kafka: a static member restarted within its session timeout gets its partitions back without a rebalance', async (t) => {
  const { port, clock } = await groupBroker(t)
  const kafka = kafkaClient(port, 'py-static')
  const raw = await RawClient.connect(port)
  t.teardown(() => raw.close())
  const topic = 'py-static'
  const group = 'g-static'
  await createAndProduce(kafka, topic, 4, 'a', 0)

  const b = member(t, port, topic, group, 'range', 'b')
  await waitFor(() => owned(b).length === 4, 'b owns all four', 30_000)
  const a = member(t, port, topic, group, 'range', 'a', 'instance-a')
  await waitFor(() => owned(a).length === 2 && owned(b).length === 2, 'two partitions each', 30_000)
  const pa = owned(a)
  const pb = owned(b)
  await createAndProduce(kafka, topic, 4, 'first', 5, false)
  await waitFor(() => a.of('committed').length + b.of('committed').length >= 20, 'first 20 processed and committed')

  await waitFor(async () => (await describeGroup(raw, group)).state === 'Stable', 'Stable')
  const before = await describeGroup(raw, group)
  const bId = before.members.find((m) => m.clientId === 'b')!.memberId
  const aOld = before.members.find((m) => m.clientId === 'a')!
  t.equal(aOld.groupInstanceId, 'instance-a', 'DescribeGroups shows the static member\'s instance id')
  // The current generation: the only one for which b's member id heartbeats NONE.
  let generation = -1
  for (let g = 1; g <= 10 && generation < 0; g++) {
    const res = await raw.request(12, 1, { groupId: group, generationId: g, memberId: bId })
    if (res.errorCode === ErrorCode.NONE) generation = g
  }
  t.ok(generation > 0, `found the generation (${generation})`)
  // The stats line is printed on change: once it shows b settled with its two partitions,
  // it is b's current count of rebalances (a later change would print a new line).
  await waitFor(() => {
    const s = b.of('stats').at(-1)
    return s?.join_state === 'steady' && s.assignment_size === pb.length
  }, 'b\'s statistics: steady with its two partitions')
  const bEvents = b.events.filter((e) => ['assign', 'revoke', 'lost'].includes(e.event)).length
  const bStats = b.of('stats').length
  const bRebalances = b.of('stats').at(-1)!.rebalance_cnt

  a.send('crash')
  await a.exited
  const a2 = member(t, port, topic, group, 'range', 'a', 'instance-a')
  await waitFor(() => owned(a2).length > 0, 'the restarted static member is assigned', 30_000)
  t.same(owned(a2), pa, `it gets its old partitions back (${pa})`)

  // A rebalance reaches b through the answer to its heartbeat. Drive the broker's clock past
  // b's 10 s session timeout, a second at a time while b heartbeats in real time: b can only
  // still be a member afterwards if the coordinator took heartbeats from it after a2 was
  // back, and answered them (the generation check below shows with what).
  const start = clock.now()
  await advanceUntil(clock, () => clock.now() - start > 10_000, 'the broker clock past b\'s session timeout', { stepMs: 1_000, intervalMs: 150, maxSteps: 11 })

  const after = await describeGroup(raw, group)
  t.equal(after.state, 'Stable', 'the group stayed Stable')
  const aNew = after.members.find((m) => m.groupInstanceId === 'instance-a')
  t.ok(aNew !== undefined && aNew.memberId !== aOld.memberId, 'the instance has a new member id')
  t.same(after.members.map((m) => m.memberId).sort(), [bId, aNew?.memberId].sort(), 'b is still there under the same member id (it kept heartbeating past a session timeout), and nobody else')
  t.same(after.members.find((m) => m.memberId === bId)?.assignment[topic], pb, 'b keeps its partitions')
  const hb = await raw.request(12, 1, { groupId: group, generationId: generation, memberId: bId })
  t.equal(hb.errorCode, ErrorCode.NONE, `the generation is still ${generation}: no rebalance happened, so b's heartbeats were answered NONE`)
  t.equal(b.events.filter((e) => ['assign', 'revoke', 'lost'].includes(e.event)).length, bEvents, 'b saw no revoke or assign callbacks')
  t.equal(b.of('stats').at(-1)?.rebalance_cnt, bRebalances, `and librdkafka counted no rebalance for b (stats since: ${JSON.stringify(b.of('stats').slice(bStats))})`)
  const fenced = await raw.request(12, 3, { groupId: group, generationId: generation, memberId: aOld.memberId, groupInstanceId: 'instance-a' })
  t.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old member id of the instance is fenced')

  await createAndProduce(kafka, topic, 4, 'second', 5, false)
  await waitFor(() => a2.of('committed').length >= 10 && b.of('committed').length >= 20, 'second 20 processed')
  // All 40 are committed; once both have stopped their logs are complete.
  t.equal(await a2.stop('close'), 0)
  t.equal(await b.stop('close'), 0)
  t.same(a2.of('msg').map((e) => e.offset).filter((o) => o < 5), [], 'the restarted member resumed after its previous commits')
  checkOnce(t, [...msgs(a), ...msgs(a2), ...msgs(b)], [10, 10, 10, 10], 'static group')
})

t.test('kafka-python: group consumer commits with metadata; a second run resumes after them', async (t) => {
  const { port } = await groupBroker(t)
  const kafka = kafkaClient(port, 'kp-setup')
  await createAndProduce(kafka, 'kp', 3, 'kp', 10)
  const script = join(repoRoot, 'test/e2e/python', 'kafka_python_group.py')

  const first = await run(systemPython, [script, `127.0.0.1:${port}`, 'kp', 'g-kp', '12', 'kp-meta-1'], { timeoutMs: 90_000 })
  t.equal(first.code, 0, first.stderr)
  const r1 = lastJsonLine(first.stdout)
  t.equal(r1.processed.length, 12, 'processed 12 messages')
  t.same(r1.assignment, [0, 1, 2], 'as the only member it was assigned all three partitions')
  const next = [0, 1, 2].map((p) => {
    const offs = (r1.processed as Array<[number, number, string]>).filter(([q]) => q === p).map(([, o]) => o)
    t.same(offs, offs.map((_, i) => i), `partition ${p}: processed from offset 0 in order`)
    return offs.length
  })
  t.same([0, 1, 2].map((p) => r1.committed[p]), next.map((n) => (n === 0 ? null : [n, 'kp-meta-1'])), 'committed(metadata=True): offsets and metadata read back (OffsetFetch v1)')
  t.same(await committedOffsets(kafka, 'g-kp', 'kp'), next.map((n) => (n === 0 ? [-1, null] : [n, 'kp-meta-1'])), 'kafkajs sees the same commits and metadata')

  const second = await run(systemPython, [script, `127.0.0.1:${port}`, 'kp', 'g-kp', '18', 'kp-meta-2'], { timeoutMs: 90_000 })
  t.equal(second.code, 0, second.stderr)
  const r2 = lastJsonLine(second.stdout)
  t.same(
    (r2.processed as Array<[number, number, string]>).map(([p, o]) => `${p}:${o}`).sort(),
    [0, 1, 2].flatMap((p) => Array.from({ length: 10 - next[p]! }, (_, i) => `${p}:${next[p]! + i}`)).sort(),
    'the second run processed exactly the 18 messages after the commits',
  )
  t.same([0, 1, 2].map((p) => r2.committed[p]), next.map((n) => [10, n === 10 ? 'kp-meta-1' : 'kp-meta-2']), 'and committed to the end (a partition it did not commit keeps the first run\'s metadata)')
  const raw = await RawClient.connect(port)
  t.teardown(() => raw.close())
  t.equal((await describeGroup(raw, 'g-kp')).state, 'Empty', 'close() left the group (LeaveGroup v1): Empty')
})

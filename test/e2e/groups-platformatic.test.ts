// @platformatic/kafka consumer groups: only the flexible versions (JoinGroup 6-9 with
// MEMBER_ID_REQUIRED, SyncGroup/LeaveGroup 4-5, Heartbeat 4, OffsetCommit 8-9, OffsetFetch
// 8-9 with groups[], DescribeGroups 5, ListGroups 4-5, DeleteGroups 2). A consumer stream
// commits what it processed; a second consumer in the group resumes exactly after the commits.

import t from 'tap'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { groupBroker, waitFor, within } from '../helpers/groups.ts'

t.test('@platformatic/kafka: consume stream with commits, then a second member resumes after them', async (t) => {
  const { port } = await groupBroker(t)
  const bootstrapBrokers = [`127.0.0.1:${port}`]
  const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers })
  t.teardown(() => admin.close())
  await admin.createTopics({ topics: ['plt-g'], partitions: 2, replicas: 1 })
  const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: false })
  t.teardown(() => producer.close())
  await producer.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic: 'plt-g', partition: i % 2, key: `k${i}`, value: `v${i}` })), acks: -1 })

  const newConsumer = (clientId: string) => {
    const c = new Consumer({ clientId, groupId: 'g-plt', bootstrapBrokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 300 })
    t.teardown(() => c.close(true).catch(() => {}))
    return c
  }

  // First member: process and commit 3 messages of partition 0 and 7 of partition 1.
  const limits = [3, 7]
  const c1 = newConsumer('plt-c1')
  const s1 = await c1.consume({ topics: ['plt-g'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 })
  const processed1: Array<[number, number, string]> = []
  const count = (p: number): number => processed1.filter(([q]) => q === p).length
  const done1 = (async () => {
    for await (const m of s1) {
      if (count(m.partition) >= limits[m.partition]!) {
        if (limits.every((n, p) => count(p) >= n)) break
        continue
      }
      processed1.push([m.partition, Number(m.offset), m.value])
      await m.commit()
    }
  })()
  await waitFor(() => limits.every((n, p) => count(p) >= n), 'the first member processed its share')
  t.same([0, 1].map((p) => processed1.filter(([q]) => q === p).map(([, o]) => o)), [[0, 1, 2], [0, 1, 2, 3, 4, 5, 6]], 'a new group starts at the beginning (fallbackMode earliest)')
  t.same(processed1.filter(([p]) => p === 1).map(([, , v]) => v), ['v1', 'v3', 'v5', 'v7', 'v9', 'v11', 'v13'], 'values intact')

  const described = (await admin.describeGroups({ groups: ['g-plt'] })).get('g-plt')!
  t.equal(described.state, 'Stable', 'DescribeGroups v5: Stable')
  t.equal(described.protocolType, 'consumer')
  t.equal(described.members.size, 1, 'one member')
  const [only] = [...described.members.values()]
  t.equal(only!.clientId, 'plt-c1')
  t.same([...(only!.assignments?.get('plt-g')?.partitions ?? [])].sort(), [0, 1], 'assigned both partitions')
  const listed = await admin.listGroups()
  t.equal(listed.get('g-plt')?.state, 'Stable', 'ListGroups lists it as Stable')

  const offsets = await admin.listConsumerGroupOffsets({ groups: ['g-plt'] })
  const committed = offsets[0]!.topics.find((x) => x.name === 'plt-g')!.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => Number(p.committedOffset))
  t.same(committed, limits, 'OffsetFetch v8+ (groups[]): the commits of the first member')

  // The loop ends at the first message past both limits (each partition has more).
  await within(done1, 'the first member\'s loop to end')
  await c1.close(true)

  // Second member: resumes exactly after the commits.
  const c2 = newConsumer('plt-c2')
  const s2 = await c2.consume({ topics: ['plt-g'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 })
  const processed2: Array<[number, number]> = []
  const done2 = (async () => {
    for await (const m of s2) {
      processed2.push([m.partition, Number(m.offset)])
      await m.commit()
      if (processed2.length >= 10) break
    }
  })()
  await waitFor(() => processed2.length >= 10, 'the second member processed the rest')
  await within(done2, 'the second member\'s loop to end after its tenth commit')
  t.same(
    processed2.map(([p, o]) => `${p}:${o}`).sort(),
    [...[3, 4, 5, 6, 7, 8, 9].map((o) => `0:${o}`), ...[7, 8, 9].map((o) => `1:${o}`)].sort(),
    'it processed exactly the messages after the commits: nothing skipped, nothing re-read',
  )
  await c2.close(true)
  const final = await admin.listConsumerGroupOffsets({ groups: ['g-plt'] })
  t.same(final[0]!.topics.find((x) => x.name === 'plt-g')!.partitions.map((p) => Number(p.committedOffset)).sort(), [10, 10], 'committed to the end')

  t.equal((await admin.describeGroups({ groups: ['g-plt'] })).get('g-plt')!.state, 'Empty', 'after close the group is Empty')
  await admin.deleteGroups({ groups: ['g-plt'] })
  t.notOk((await admin.listGroups()).has('g-plt'), 'DeleteGroups v2 removed it')
})

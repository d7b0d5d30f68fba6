// @platformatic/kafka: a modern client that only speaks the flexible versions (Metadata
// 9+, Produce 7+ ..., Fetch 12+; Fetch 17 with topic ids here). Produce with its Producer, read back with its
// Consumer.fetch by explicit partition.

import t from 'tap'
import { Producer, Consumer, Admin, stringSerializers } from '@platformatic/kafka'
import { memoryBroker } from '../helpers/broker.ts'

t.test('@platformatic/kafka: produce/consume round trip', async (t) => {
  const broker = await memoryBroker(t)
  const bootstrapBrokers = [`127.0.0.1:${broker.port}`]

  const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers })
  t.teardown(() => admin.close())
  const created = await admin.createTopics({ topics: ['plt'], partitions: 2, replicas: 1 })
  t.equal(created[0]!.name, 'plt', 'CreateTopics v7 answered')
  t.equal(created[0]!.partitions, 2)

  const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: false })
  t.teardown(() => producer.close())
  const sent: string[] = []
  for (let round = 0; round < 5; round++) {
    const messages = []
    for (let i = 0; i < 20; i++) {
      const n = round * 20 + i
      sent.push(`v${n}`)
      messages.push({ topic: 'plt', partition: 1, key: `k${n}`, value: `v${n}`, headers: { n: String(n) } })
    }
    const res = await producer.send({ messages, acks: 1 })
    t.equal(res.offsets?.[0]?.offset, BigInt(round * 20), `batch ${round} starts at offset ${round * 20}`)
  }

  const consumer = new Consumer({ clientId: 'plt-consumer', groupId: 'plt-unused', bootstrapBrokers })
  t.teardown(() => consumer.close(true))
  const values: string[] = []
  const headerValues: string[] = []
  let fetchOffset = 0n
  // Fetch v13+ (platformatic takes the highest listed) names topics by the id Metadata gives.
  const topicId = (await consumer.metadata({ topics: ['plt'] })).topics.get('plt')!.id
  t.match(topicId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Metadata gives the topic id')
  for (let round = 0; round < 50 && values.length < sent.length; round++) {
    const res = await consumer.fetch({
      node: 0,
      maxWaitTime: 100,
      topics: [{ topicId, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
    })
    const partition = res.responses[0]!.partitions[0]!
    t.equal(partition.errorCode, 0)
    for (const batch of partition.records ?? []) {
      for (const r of batch.records) {
        const offset = batch.firstOffset + BigInt(r.offsetDelta)
        if (offset < fetchOffset) continue
        values.push(r.value!.toString())
        headerValues.push(r.headers[0]![1]!.toString())
        fetchOffset = offset + 1n
      }
    }
  }
  t.same(values, sent, 'every value back in order')
  t.same(headerValues, sent.map((v) => v.slice(1)), 'headers intact')

  const offsets = await consumer.listOffsets({ topics: ['plt'] })
  t.same(offsets.get('plt'), [0n, 100n], 'ListOffsets latest per partition')
})

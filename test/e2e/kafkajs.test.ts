// kafkajs 2.2.4 end to end: admin creates a topic, the producer sends keyed messages with
// headers, and kafkajs's own Fetch code reads them back by partition.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { kafkaClient, fetchAll } from '../helpers/kafkajs-fetch.ts'

t.test('kafkajs: 10,000 keyed messages with headers through a 3-partition topic', async (t) => {
  const broker = await memoryBroker(t)
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }], waitForLeaders: true }), true, 'topic created')
  const meta = await admin.fetchTopicMetadata({ topics: ['orders'] })
  t.equal(meta.topics[0]!.partitions.length, 3, 'three partitions')
  t.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'creating it again reports it exists')

  const producer = kafka.producer()
  await producer.connect()
  const total = 10_000
  const sentByPartition = new Map<number, string[]>()
  for (let start = 0; start < total; start += 500) {
    const messages = []
    for (let i = start; i < start + 500; i++) {
      const partition = i % 3
      messages.push({ key: `key-${i}`, value: `value-${i}`, partition, headers: { seq: String(i), origin: 'kafkajs' } })
      if (!sentByPartition.has(partition)) sentByPartition.set(partition, [])
      sentByPartition.get(partition)!.push(`value-${i}`)
    }
    await producer.send({ topic: 'orders', messages })
  }
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets('orders')
  t.same(offsets.map((o) => Number(o.high)).sort(), [3334, 3333, 3333].sort(), 'high watermarks match what was sent')

  const got = await fetchAll(kafka, 'orders', 3, total)
  t.equal(got.length, total, 'every message came back')
  for (const [partition, values] of sentByPartition) {
    const mine = got.filter((m) => m.partition === partition)
    t.same(mine.map((m) => m.value), values, `partition ${partition}: values in the order sent`)
    t.same(mine.map((m) => m.offset), values.map((_, i) => i), `partition ${partition}: dense offsets from 0`)
  }
  const sample = got.find((m) => m.value === 'value-4242')!
  t.equal(sample.key, 'key-4242')
  t.same(sample.headers, { seq: '4242', origin: 'kafkajs' })
  t.ok(got.every((m) => m.key === m.value!.replace('value', 'key') && m.headers.seq === m.value!.slice(6)), 'every key and header matches its value')
  await admin.disconnect()
})

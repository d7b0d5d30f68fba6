// Durability end to end, with a crash that also drops what was not synced (kill -9 keeps
// the page cache, so it cannot tell a missing fsync): a broker on the fault-injecting
// memory file layer, real kafkajs clients attached, and simulatePowerLoss() under it.
// With --fsync always every acknowledged record survives; with --fsync never the same
// load loses them, which shows the power cut is real.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { acknowledgedCheck, kafkaClient, fetchAll } from '../helpers/kafkajs-fetch.ts'
import type { RunningBroker } from '../../src/broker.ts'

async function load(broker: RunningBroker, topic: string): Promise<Map<string, { partition: number; offset: number }>> {
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const acked = new Map<string, { partition: number; offset: number }>()
  await Promise.all([0, 1, 2].map(async (partition) => {
    for (let b = 0; b < 10; b++) {
      const values = Array.from({ length: 5 }, (_, i) => `${topic}-p${partition}-b${b}-${i}`)
      const [res] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) })
      values.forEach((v, i) => acked.set(v, { partition, offset: Number(res!.baseOffset) + i }))
    }
  }))
  await producer.disconnect()
  return acked
}

t.test('fsync always: every acknowledged record survives a power cut', async (t) => {
  const broker = await memoryBroker(t, { fsync: 'always' })
  const acked = await load(broker, 'durable')
  t.equal(acked.size, 150)
  await broker.simulatePowerLoss()
  const got = await fetchAll(kafkaClient(broker.port), 'durable', 3, 150, 40)
  const { missing, moved } = acknowledgedCheck(acked, got)
  t.equal(missing, 0, 'no acknowledged record lost')
  t.equal(moved, 0, 'each at the offset it was acknowledged with')

  // The broker keeps serving: producing continues at the recovered log end.
  const producer = kafkaClient(broker.port).producer()
  await producer.connect()
  const [res] = await producer.send({ topic: 'durable', acks: -1, messages: [{ partition: 0, value: 'after' }] })
  await producer.disconnect()
  t.equal(Number(res!.baseOffset), 50, 'the next record follows the 50 acknowledged ones')
})

t.test('fsync never: the same load is lost, so the power cut really drops unsynced data', async (t) => {
  const broker = await memoryBroker(t, { fsync: 'never' })
  const acked = await load(broker, 'volatile')
  t.equal(acked.size, 150)
  await broker.simulatePowerLoss()
  const admin = kafkaClient(broker.port).admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets('volatile')
  await admin.disconnect()
  t.same(ends.map((e) => Number(e.high)), [0, 0, 0], 'nothing was synced, nothing is left')
})

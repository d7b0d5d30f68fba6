// Transactions with kafkajs: a commit and an abort, sendOffsets inside a transaction, a
// read_committed consumer that sees only committed records, the committed offsets
// applied only on commit, and a second producer with the same transactional id fencing
// the first. What was stored is also read back raw (markers, aborted-transaction list).

import t from 'tap'
import { Kafka, logLevel } from 'kafkajs'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { fetchRequest, splitBatches } from '../helpers/wire-requests.ts'

function client(port: number): Kafka {
  return new Kafka({ clientId: 'txn-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } })
}

async function consumeAll(kafka: Kafka, topic: string, expected: number, readUncommitted: boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${readUncommitted ? 'all' : 'committed'}-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: string[] = []
  let done!: () => void
  const all = new Promise<void>((resolve) => (done = resolve))
  await consumer.run({
    eachMessage: async ({ message }) => {
      got.push(message.value!.toString())
      if (got.length >= expected) done()
    },
  })
  const bound = setTimeout(done, 20_000)
  await all
  clearTimeout(bound)
  await consumer.disconnect()
  return got.sort()
}

t.test('commit, abort, sendOffsets and fencing with kafkajs', async (t) => {
  const broker = await memoryBroker(t, { transactionStateLogNumPartitions: 4, offsetsTopicNumPartitions: 4 })
  const kafka = client(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] })

  const producer = kafka.producer({ transactionalId: 'orders-tx', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  t.teardown(() => producer.disconnect().catch(() => {}))

  let txn = await producer.transaction()
  await txn.send({ topic: 'orders', messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }] })
  await txn.commit()

  txn = await producer.transaction()
  await txn.send({ topic: 'orders', messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] })
  await txn.abort()

  txn = await producer.transaction()
  await txn.send({ topic: 'orders', messages: [{ value: 'c3', partition: 0 }] })
  await txn.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '2' }] }] })
  // Offsets sent in an open transaction are not committed yet.
  const before = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] })
  t.same(before[0]!.partitions.find((p) => p.partition === 0)!.offset, '-1', 'offsets of an open transaction are not visible')
  await txn.commit()

  const after = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] })
  t.same(after[0]!.partitions.find((p) => p.partition === 0)!.offset, '2', 'sendOffsets applied once the transaction committed')

  t.same(await consumeAll(kafka, 'orders', 3, false), ['c1', 'c2', 'c3'], 'read_committed sees only committed records')
  t.same(await consumeAll(kafka, 'orders', 5, true), ['a1', 'a2', 'c1', 'c2', 'c3'], 'read_uncommitted sees all records, markers invisible')

  // Raw read of partition 0: data, markers, and the aborted transaction listed for read_committed.
  const raw = await RawClient.connect(broker.port)
  t.teardown(() => raw.close())
  const request = fetchRequest([{ topic: 'orders', partition: 0, offset: 0 }])
  request.isolationLevel = 1
  const p0 = (await raw.request(1, 12, request)).responses[0].partitions[0]
  const batches = splitBatches(p0.records)
  const controls = batches.filter((b) => (b.readInt16BE(21) & 0x20) !== 0)
  t.same(controls.map((b) => Number(b.readBigInt64BE(0))), [1, 3, 5], 'partition 0: markers after c1 (offset 0), a1 (2) and c3 (4)')
  t.same(p0.abortedTransactions.map((a: { firstOffset: number }) => a.firstOffset), [2], 'read_committed is told of the aborted transaction starting at a1')
  t.equal(p0.lastStableOffset, 6, 'nothing open: the last stable offset is the log end')

  // A second producer with the same transactional id fences the first.
  const successor = kafka.producer({ transactionalId: 'orders-tx', idempotent: true, maxInFlightRequests: 1 })
  await successor.connect()
  t.teardown(() => successor.disconnect().catch(() => {}))
  const next = await successor.transaction()
  const zombie = await producer.transaction().then(async (z) => {
    await z.send({ topic: 'orders', messages: [{ value: 'zombie', partition: 0 }] })
    await z.commit()
    return 'committed'
  }, (err: Error) => err.message).catch((err: Error) => `${err.name}: ${err.message}`)
  t.match(zombie, /epoch|fenced/i, 'the first producer is fenced')
  await next.send({ topic: 'orders', messages: [{ value: 'c4', partition: 1 }] })
  // The same producer id at a bumped epoch writes offsets where its older epoch did.
  await next.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '3' }] }] })
  await next.commit()
  const moved = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] })
  t.same(moved[0]!.partitions.find((p) => p.partition === 0)!.offset, '3', 'sendOffsets after the epoch bump committed with the transaction')
  t.same(await consumeAll(kafka, 'orders', 4, false), ['c1', 'c2', 'c3', 'c4'], 'the successor commits; nothing of the zombie is visible')
})

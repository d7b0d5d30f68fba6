// The idempotent producer and per-partition ordering with real clients: kafkajs
// (`idempotent: true`, and `maxInFlightRequests: 5` pipelining large requests to a
// broker with two shards), @platformatic/kafka (`idempotent: true`) and Python confluent-kafka
// (`enable.idempotence`, and the reported defect: 500 KB messages, 5 requests in flight
// to one partition, stored out of order). What each client sent is read back over the
// wire with raw fetches, batch headers included (producer id, epoch, sequences), and
// cross-checked with DescribeProducers.

import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Producer, stringSerializers } from '@platformatic/kafka'
import { memoryBroker, repoRoot, spawnBroker, tempDir } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { readPartition, describeProducers, type StoredRecord } from '../helpers/partition-records.ts'

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i)

async function createTopics(port: number, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = kafkaClient(port).admin()
  await admin.connect()
  try {
    if (!(await admin.createTopics({ topics, waitForLeaders: true }))) throw new Error(`topics ${topics.map((x) => x.topic)} not created`)
  } finally {
    await admin.disconnect()
  }
}

/**
 * What one idempotent producer wrote to one partition: `values` in order at offsets
 * 0..n-1, every batch stamped with one producer id (returned) and epoch 0, record
 * sequences 0..n-1, and DescribeProducers reporting exactly that producer with
 * lastSequence n-1.
 */
async function checkIdempotentPartition(t: Test, port: number, topic: string, partition: number, values: string[], stored: StoredRecord[]): Promise<number> {
  const where = `${topic}-${partition}`
  t.equal(stored.length, values.length, `${where}: ${values.length} records stored, no duplicate and none missing`)
  t.same(stored.map((r) => r.value), values, `${where}: values stored exactly once each, in send order`)
  t.same(stored.map((r) => r.offset), range(values.length), `${where}: offsets dense from 0`)
  const ids = [...new Set(stored.map((r) => r.producerId))]
  t.equal(ids.length, 1, `${where}: every batch carries one producer id (${ids})`)
  const producerId = ids[0]!
  t.ok(producerId >= 0, `${where}: batches are idempotent (producer id ${producerId})`)
  t.same([...new Set(stored.map((r) => r.producerEpoch))], [0], `${where}: epoch 0 throughout`)
  t.same(stored.map((r) => r.sequence), range(values.length), `${where}: record sequences 0..${values.length - 1}`)
  const [described] = await describeProducers(port, topic, [partition])
  t.equal(described!.errorCode, 0, `${where}: DescribeProducers answers`)
  t.same(
    described!.producers.map((p) => ({ producerId: p.producerId, producerEpoch: p.producerEpoch, lastSequence: p.lastSequence })),
    [{ producerId, producerEpoch: 0, lastSequence: values.length - 1 }],
    `${where}: DescribeProducers reports that producer with lastSequence ${values.length - 1}`,
  )
  return producerId
}

t.test('kafkajs idempotent producer: 10,000 messages to one partition, exactly once and in order', async (t) => {
  const broker = await memoryBroker(t)
  await createTopics(broker.port, [{ topic: 'kjs-idem', numPartitions: 1 }])
  // One request in flight, as KIP-98 first specified idempotence and kafkajs implemented it
  // (its EoS manager also serializes produce requests per broker).
  const producer = kafkaClient(broker.port, 'kjs-idem').producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const sent: string[] = []
  const answers: Array<[number, number]> = []
  for (let batch = 0; batch < 20; batch++) {
    const messages = range(500, batch * 500).map((i) => ({ partition: 0, key: `k${i}`, value: `v${i}` }))
    sent.push(...messages.map((m) => m.value))
    const res = await producer.send({ topic: 'kjs-idem', acks: -1, messages })
    answers.push([res[0]!.errorCode, Number(res[0]!.baseOffset)])
  }
  await producer.disconnect()
  t.same(answers, range(20).map((b) => [0, b * 500]), 'every send succeeded with the next base offset')

  const stored = await readPartition(broker.port, 'kjs-idem', 0)
  await checkIdempotentPartition(t, broker.port, 'kjs-idem', 0, sent, stored)
  t.ok(stored.every((r) => r.key === `k${r.value!.slice(1)}`), 'keys intact')
})

t.test('kafkajs idempotent producer: 10,000 messages over three partitions, one sequence per partition', async (t) => {
  const broker = await memoryBroker(t, { shards: 3 })
  await createTopics(broker.port, [{ topic: 'kjs-idem3', numPartitions: 3 }])
  const producer = kafkaClient(broker.port, 'kjs-idem3').producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const sent: string[][] = [[], [], []]
  const errors: number[] = []
  for (let batch = 0; batch < 20; batch++) {
    // One request per send carries a batch for each partition, each with its own sequence.
    const messages = range(500, batch * 500).map((i) => ({ partition: i % 3, value: `v${i}` }))
    for (const m of messages) sent[m.partition]!.push(m.value)
    const res = await producer.send({ topic: 'kjs-idem3', acks: -1, messages })
    errors.push(...res.map((r) => r.errorCode))
  }
  await producer.disconnect()
  t.same(errors, new Array(60).fill(0), 'every send succeeded on all three partitions')

  const ids = new Set<number>()
  for (const p of [0, 1, 2]) ids.add(await checkIdempotentPartition(t, broker.port, 'kjs-idem3', p, sent[p]!, await readPartition(broker.port, 'kjs-idem3', p)))
  t.equal(ids.size, 1, 'the three partitions carry the same producer id')
})

t.test('kafkajs with maxInFlightRequests 5: pipelined 300 KB messages keep per-partition send order over two shards', async (t) => {
  // The broker runs in its own process, as against a real deployment: in this process
  // kafkajs's encoding would hold up the broker's event loop and requests would reach the
  // shards already batched. fsync always keeps the shards busy while later requests
  // arrive. On the broker before the shard-ordering fix this load stored kjs-one out of
  // order in every run tried.
  const child = await spawnBroker(['--data-dir', tempDir(t), '--shards', '2', '--fsync', 'always'])
  t.teardown(() => child.child.kill('SIGKILL'))
  await createTopics(child.port, [
    { topic: 'kjs-one', numPartitions: 1 },
    { topic: 'kjs-many', numPartitions: 3 },
    { topic: 'kjs-tail', numPartitions: 1 },
  ])
  const producer = kafkaClient(child.port, 'kjs-pipeline').producer({ maxInFlightRequests: 5, idempotent: false, retry: { retries: 0 } })
  let maxQueued = 0
  producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => void (maxQueued = Math.max(maxQueued, e.payload.queueSize)))
  await producer.connect()
  const size = 300 * 1024
  const big = (tag: string): string => tag + '|' + 'x'.repeat(size - tag.length - 1)
  // Metadata first, so every send below takes the same path to the socket.
  await producer.send({ topic: 'kjs-one', messages: [{ partition: 0, value: big('one-w') }] })
  await producer.send({ topic: 'kjs-many', messages: range(3).map((p) => ({ partition: p, value: big(`many-w-${p}`) })) })
  await producer.send({ topic: 'kjs-tail', messages: [{ partition: 0, value: 'w' }] })

  // kafkajs passes concurrent sends through a lock (cluster.addMultipleTargetTopics) that
  // lets the last send of a burst overtake the one before it, on the client, before it is
  // encoded. So each burst ends with a send to kjs-tail, whose order is not checked.
  const tail = (): Promise<unknown> => producer.send({ topic: 'kjs-tail', acks: -1, messages: [{ partition: 0, value: 'tail' }] })
  // 40 sends of three messages to the 1-partition topic, none awaited: kafkajs keeps 5
  // requests on the wire and queues the rest in send order.
  const expectedOne = ['one-w']
  const oneSends = range(40).map((k) => {
    const values = [`one-${k}a`, `one-${k}b`, `one-${k}c`]
    expectedOne.push(...values)
    return producer.send({ topic: 'kjs-one', acks: -1, messages: values.map((v) => ({ partition: 0, value: big(v) })) })
  })
  const oneResults = (await Promise.all([...oneSends, tail()])).slice(0, -1) as Awaited<(typeof oneSends)[number]>[]
  // Then 40 sends to the 3-partition topic, each request carrying one message per partition.
  const expectedMany: string[][] = range(3).map((p) => [`many-w-${p}`])
  const manySends = range(40).map((k) => {
    for (const p of range(3)) expectedMany[p]!.push(`many-${k}-${p}`)
    return producer.send({ topic: 'kjs-many', acks: -1, messages: range(3).map((p) => ({ partition: p, value: big(`many-${k}-${p}`) })) })
  })
  const manyResults = (await Promise.all([...manySends, tail()])).slice(0, -1) as Awaited<(typeof manySends)[number]>[]
  await producer.disconnect()
  t.ok(maxQueued > 0, `requests were pipelined: kafkajs had 5 in flight and queued up to ${maxQueued} more`)
  t.ok([...oneResults, ...manyResults].flat().every((r) => r.errorCode === 0), 'every send succeeded')
  t.same(oneResults.map((r) => Number(r[0]!.baseOffset)), range(40).map((k) => 1 + 3 * k), 'kjs-one: sends answered with base offsets in send order')

  const one = await readPartition(child.port, 'kjs-one', 0, { valuePrefix: 16 })
  const oneOrder = one.map((r) => r.value!.split('|')[0])
  t.equal(oneOrder.filter((v, i) => v !== expectedOne[i]).length, 0, 'kjs-one: no message out of place')
  t.same(oneOrder, expectedOne, 'kjs-one: stored order equals send order (121 messages)')
  t.ok(one.every((r) => r.valueLength === size), 'kjs-one: values stored whole')
  for (const p of range(3)) {
    const many = await readPartition(child.port, 'kjs-many', p, { valuePrefix: 16 })
    t.same(many.map((r) => r.value!.split('|')[0]), expectedMany[p], `kjs-many-${p}: stored order equals send order (41 messages)`)
    t.same(many.map((r) => r.offset), range(41), `kjs-many-${p}: offsets dense`)
  }
  child.child.kill('SIGTERM')
  t.equal(await child.exited, 0, 'the broker stops cleanly')
})

t.test('@platformatic/kafka idempotent producer: 10,000 messages, exactly once and in order', async (t) => {
  const broker = await memoryBroker(t)
  await createTopics(broker.port, [{ topic: 'plt-idem', numPartitions: 1 }])
  const producer = new Producer({ clientId: 'plt-idem', bootstrapBrokers: [`127.0.0.1:${broker.port}`], serializers: stringSerializers, autocreateTopics: false, idempotent: true })
  t.teardown(() => producer.close())
  const sent: string[] = []
  const bases: bigint[] = []
  for (let batch = 0; batch < 100; batch++) {
    const messages = range(100, batch * 100).map((i) => ({ topic: 'plt-idem', partition: 0, key: `k${i}`, value: `v${i}` }))
    sent.push(...messages.map((m) => m.value))
    const res = await producer.send({ messages })
    bases.push(res.offsets![0]!.offset)
  }
  t.same(bases, range(100).map((b) => BigInt(b * 100)), 'every send answered with the next base offset')
  const clientProducerId = producer.producerId
  t.type(clientProducerId, 'bigint', 'the client initialised an idempotent producer id')

  const stored = await readPartition(broker.port, 'plt-idem', 0)
  const producerId = await checkIdempotentPartition(t, broker.port, 'plt-idem', 0, sent, stored)
  // @platformatic/kafka re-initialises (new id) on OUT_OF_ORDER_SEQUENCE_NUMBER: one id end to end means it never had to.
  t.equal(producerId, Number(clientProducerId), 'the stored producer id is the one the client holds')
})

const script = (name: string): string => join(repoRoot, 'test/e2e/python', name)

t.test('python confluent-kafka enable.idempotence: 10,000 messages, exactly once and in order', async (t) => {
  const broker = await memoryBroker(t)
  await createTopics(broker.port, [{ topic: 'py-idem', numPartitions: 1 }])
  // librdkafka 2.0 keeps at most 5 idempotent messages in flight per partition: one
  // message per batch makes that 5 pipelined requests with consecutive sequences.
  const config = { 'enable.idempotence': true, 'linger.ms': 1, 'batch.num.messages': 1 }
  const r = await run(systemPython, [script('confluent_produce_order.py'), `127.0.0.1:${broker.port}`, 'py-idem', '10000', '0', JSON.stringify(config)], { timeoutMs: 60_000 })
  t.equal(r.code, 0, `the script exits 0\n${r.stderr.slice(-2000)}`)
  const res = lastJsonLine(r.stdout)
  t.same(res.errors, [], 'no delivery or client errors')
  t.equal(res.delivered, 10_000, 'every message acknowledged')
  t.same(res.offsets, range(10_000), 'message i acknowledged at offset i')

  const stored = await readPartition(broker.port, 'py-idem', 0)
  await checkIdempotentPartition(t, broker.port, 'py-idem', 0, range(10_000).map((i) => `m${i}`), stored)
})

t.test('python confluent-kafka, 5 in flight, no idempotence: 60 messages of 500 KB keep send order in one partition', async (t) => {
  // The reported defect: with 5 large requests pipelined to one partition, 290 of 300
  // messages were stored out of order. fsync always keeps the shard busy meanwhile.
  const broker = await memoryBroker(t, { memory: false, dataDir: tempDir(t), shards: 2, fsync: 'always' })
  await createTopics(broker.port, [{ topic: 'py-big', numPartitions: 1 }])
  const config = {
    'enable.idempotence': false,
    'max.in.flight.requests.per.connection': 5,
    acks: 'all',
    'linger.ms': 1,
    // One 500 KB message fits a batch, two do not: one message per batch, one batch per request.
    'batch.size': 600_000,
    'message.max.bytes': 2_000_000,
    retries: 0,
  }
  const size = 500 * 1024
  const r = await run(systemPython, [script('confluent_produce_order.py'), `127.0.0.1:${broker.port}`, 'py-big', '60', String(size), JSON.stringify(config)], { timeoutMs: 60_000 })
  t.equal(r.code, 0, `the script exits 0\n${r.stderr.slice(-2000)}`)
  const res = lastJsonLine(r.stdout)
  t.same(res.errors, [], 'no delivery or client errors')
  t.equal(res.delivered, 60, 'every message acknowledged')
  t.same(res.offsets, range(60), 'message i acknowledged at offset i')

  const stored = await readPartition(broker.port, 'py-big', 0, { valuePrefix: 16 })
  const order = stored.map((r) => r.value!.split('|')[0])
  const misplaced = order.filter((v, i) => v !== `m${i}`).length
  t.equal(misplaced, 0, `no message stored out of order (${misplaced} of ${order.length} misplaced)`)
  t.same(order, range(60).map((i) => `m${i}`), 'stored order equals send order')
  t.ok(stored.every((r) => r.valueLength === size), 'values stored whole')
  t.ok(stored.every((r) => r.producerId === -1), 'non-idempotent batches (no producer id)')
})

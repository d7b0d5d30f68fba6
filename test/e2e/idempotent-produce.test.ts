// The idempotent producer on the wire (KIP-98/KIP-360 as Kafka 4 answers): InitProducerId
// hands out ids never seen before (restarts and crashes included), a retried batch is
// stored once and answered with its first offsets, sequence gaps and stale epochs get
// Kafka's errors with nothing appended, and the state survives clean and unclean restarts.

import t from 'tap'
import { memoryBroker, spawnBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, patientRequest, produce, produceRequest } from '../helpers/wire-requests.ts'
import { describeProducers, readPartition } from '../helpers/partition-records.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { startBroker } from '../../src/broker.ts'
import type { InitProducerIdResponse } from '../../protocol/messages/init-producer-id-response.ts'

const INT32_MAX = 0x7fffffff

async function initProducerId(c: RawClient, version = 4): Promise<InitProducerIdResponse> {
  return patientRequest<InitProducerIdResponse>(c, 22, version, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1, producerEpoch: -1 })
}

function idem(values: string[], producerId: number, baseSequence: number, producerEpoch = 0): Buffer {
  return batchOf(values, { producerId, producerEpoch, baseSequence })
}

/** Every value stored in a partition, in offset order (read on a connection of its own). */
async function storedValues(c: RawClient, topic: string, partition = 0): Promise<string[]> {
  return (await readPartition(c.socket.remotePort!, topic, partition)).map((r) => r.value!)
}

t.test('InitProducerId without a transactional id: fresh ids, epoch 0, on every version', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const ids = new Set<number>()
  for (let v = 0; v <= 5; v++) {
    const res = await initProducerId(c, v)
    t.equal(res.errorCode, 0, `v${v} succeeds`)
    t.equal(res.producerEpoch, 0, `v${v}: epoch 0`)
    ids.add(res.producerId)
  }
  t.equal(ids.size, 6, 'six calls, six different producer ids')
  // v3+ may name an existing id and epoch; without a transactional id Kafka still hands out a new one.
  const first = [...ids][0]!
  const again = await patientRequest<InitProducerIdResponse>(c, 22, 4, { transactionalId: null, transactionTimeoutMs: -1, producerId: first, producerEpoch: 0 })
  t.equal(again.errorCode, 0)
  t.notOk(ids.has(again.producerId), 'a named id is not handed out again')
  for (const [producerId, producerEpoch] of [[first, -1], [-1, 0]] as const) {
    const half = await patientRequest<InitProducerIdResponse>(c, 22, 4, { transactionalId: null, transactionTimeoutMs: -1, producerId, producerEpoch })
    t.same([half.errorCode, half.producerId, half.producerEpoch], [ErrorCode.INVALID_REQUEST, -1, -1], `id ${producerId} with epoch ${producerEpoch}: INVALID_REQUEST`)
  }
})

t.test('a retried batch is stored once and answered with its first offsets', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'idem')
  const { producerId } = await initProducerId(c)

  const a = await produce(c, 'idem', 0, idem(['a0', 'a1', 'a2'], producerId, 0))
  const b = await produce(c, 'idem', 0, idem(['b0', 'b1'], producerId, 3))
  t.same([a.errorCode, a.baseOffset, b.errorCode, b.baseOffset], [0, 0, 0, 3])

  const again = await produce(c, 'idem', 0, idem(['a0', 'a1', 'a2'], producerId, 0))
  t.equal(again.errorCode, 0, 'the duplicate is a success')
  t.equal(again.baseOffset, 0, 'with the base offset the batch got the first time')
  const againB = await produce(c, 'idem', 0, idem(['b0', 'b1'], producerId, 3))
  t.equal(againB.baseOffset, 3)
  t.same(await storedValues(c, 'idem'), ['a0', 'a1', 'a2', 'b0', 'b1'], 'each batch stored once')
  const next = await produce(c, 'idem', 0, idem(['c0'], producerId, 5))
  t.equal(next.baseOffset, 5, 'the producer goes on after the duplicates')
})

t.test('duplicates are recognised among the last five batches; older ones are out of order', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'window')
  const { producerId } = await initProducerId(c)
  for (let i = 0; i < 7; i++) t.equal((await produce(c, 'window', 0, idem([`m${i}`], producerId, i))).baseOffset, i)
  // Batches 2..6 are retained; 1 has fallen out of the window.
  t.equal((await produce(c, 'window', 0, idem(['m2'], producerId, 2))).baseOffset, 2, 'the fifth newest batch is still a duplicate')
  const old = await produce(c, 'window', 0, idem(['m1'], producerId, 1))
  t.equal(old.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'the sixth newest is out of order')
  t.equal((await storedValues(c, 'window')).length, 7, 'nothing appended')
})

t.test('sequence gaps, stale epochs and a new epoch not starting at 0 get Kafka errors and append nothing', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'strict')
  const { producerId } = await initProducerId(c)
  t.equal((await produce(c, 'strict', 0, idem(['x0', 'x1'], producerId, 0, 1))).errorCode, 0)

  const gap = await produce(c, 'strict', 0, idem(['x3'], producerId, 3, 1))
  t.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a skipped sequence')
  t.match(gap.errorMessage, /Out of order sequence number/)
  const stale = await produce(c, 'strict', 0, idem(['old'], producerId, 2, 0))
  t.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'an older epoch')
  const newEpoch = await produce(c, 'strict', 0, idem(['n'], producerId, 5, 2))
  t.equal(newEpoch.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a new epoch must start at sequence 0')
  t.same(await storedValues(c, 'strict'), ['x0', 'x1'], 'none of them was appended')

  const bumped = await produce(c, 'strict', 0, idem(['e0'], producerId, 0, 2))
  t.equal(bumped.errorCode, 0, 'a new epoch from sequence 0 is accepted')
  const replay = await produce(c, 'strict', 0, idem(['x0', 'x1'], producerId, 0, 1))
  t.equal(replay.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced once a newer one wrote')

  // A well-behaved producer on the same connection and partition is unaffected.
  const { producerId: other } = await initProducerId(c)
  t.equal((await produce(c, 'strict', 0, idem(['o0'], other, 0))).errorCode, 0)
  t.same(await storedValues(c, 'strict'), ['x0', 'x1', 'e0', 'o0'])
})

t.test('sequences wrap from 2^31-1 to 0 as in Kafka', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'wrap')
  const { producerId } = await initProducerId(c)
  // A producer with no state here may start anywhere (Kafka 4 accepts it since KIP-360).
  t.equal((await produce(c, 'wrap', 0, idem(['w0', 'w1', 'w2'], producerId, INT32_MAX - 1))).errorCode, 0, 'sequences 2^31-2, 2^31-1, 0')
  t.equal((await produce(c, 'wrap', 0, idem(['w3'], producerId, 1))).errorCode, 0, 'the next batch starts at 1')
  t.equal((await produce(c, 'wrap', 0, idem(['w0', 'w1', 'w2'], producerId, INT32_MAX - 1))).baseOffset, 0, 'the wrapped batch is recognised as a duplicate')
  t.equal((await produce(c, 'wrap', 0, idem(['bad'], producerId, 0))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'sequence 0 again is out of order')
  t.same(await storedValues(c, 'wrap'), ['w0', 'w1', 'w2', 'w3'])
})

t.test('DescribeProducers reports each partition\'s producers', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'described', 2)
  const { producerId } = await initProducerId(c)
  const ts = 1_700_000_000_000
  await produce(c, 'described', 1, batchOf(['d0', 'd1', 'd2'], { producerId, producerEpoch: 0, baseSequence: 0, baseTimestamp: ts }))
  await produce(c, 'described', 0, batchOf(['plain']))
  const [p0, p1, p7] = await describeProducers(broker.port, 'described', [0, 1, 7])
  t.same(p0!.producers, [], 'a partition with only non-idempotent writes has none')
  t.equal(p1!.errorCode, 0)
  t.same(p1!.producers, [{ producerId, producerEpoch: 0, lastSequence: 2, lastTimestamp: ts, coordinatorEpoch: -1, currentTxnStartOffset: -1 }])
  t.equal(p7!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const [unknown] = await describeProducers(broker.port, 'nope', [0])
  t.equal(unknown!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})

t.test('idle producers expire after producer.id.expiration.ms', async (t) => {
  const broker = await memoryBroker(t, { producerIdExpirationMs: 1000, producerIdExpirationCheckIntervalMs: 20 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'expiring')
  const { producerId } = await initProducerId(c)
  // A batch whose timestamp is already older than the expiration: the next check forgets it.
  await produce(c, 'expiring', 0, batchOf(['e'], { producerId, producerEpoch: 0, baseSequence: 0, baseTimestamp: Date.now() - 60_000 }))
  let producers = (await describeProducers(broker.port, 'expiring', [0]))[0]!.producers
  for (let i = 0; i < 200 && producers.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    producers = (await describeProducers(broker.port, 'expiring', [0]))[0]!.producers
  }
  t.same(producers, [], 'the producer was forgotten')
  const fresh = await produce(c, 'expiring', 0, idem(['f'], producerId, 9))
  t.equal(fresh.errorCode, 0, 'an expired producer may continue at any sequence, as a new one')
})

t.test('producer state survives a clean restart: a retry after it is still a duplicate', async (t) => {
  const dataDir = tempDir(t)
  let broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, logLevel: 'silent' })
  let c = await RawClient.connect(broker.port)
  await createTopic(c, 'durable')
  const { producerId } = await initProducerId(c)
  for (let i = 0; i < 3; i++) await produce(c, 'durable', 0, idem([`v${i}`], producerId, i))
  c.close()
  await broker.close()

  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, logLevel: 'silent' })
  t.teardown(() => broker.close())
  c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const retry = await produce(c, 'durable', 0, idem(['v2'], producerId, 2))
  t.same([retry.errorCode, retry.baseOffset], [0, 2], 'the last batch is recognised after the restart')
  t.equal((await produce(c, 'durable', 0, idem(['v4'], producerId, 4))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'and gaps are still refused')
  t.equal((await produce(c, 'durable', 0, idem(['v3'], producerId, 3))).baseOffset, 3)
  const next = await initProducerId(c)
  t.ok(next.producerId > producerId, `producer ids keep growing across restarts (${producerId} then ${next.producerId})`)
})

t.test('after kill -9, producer state is rebuilt from the log and ids are never reused', async (t) => {
  const dataDir = tempDir(t)
  const first = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always', '--shards', '1'])
  t.teardown(() => first.child.kill('SIGKILL'))
  let c = await RawClient.connect(first.port)
  await createTopic(c, 'crashed')
  const ids: number[] = []
  for (let i = 0; i < 3; i++) ids.push((await initProducerId(c)).producerId)
  const producerId = ids[2]!
  for (let i = 0; i < 4; i++) t.equal((await produce(c, 'crashed', 0, idem([`k${i}`, `k${i}b`], producerId, i * 2))).errorCode, 0)
  c.close()
  first.child.kill('SIGKILL')
  await first.exited

  const second = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always', '--shards', '1'])
  t.teardown(() => second.child.kill('SIGKILL'))
  c = await RawClient.connect(second.port)
  t.teardown(() => c.close())
  const retry = await produce(c, 'crashed', 0, idem(['k3', 'k3b'], producerId, 6))
  t.same([retry.errorCode, retry.baseOffset], [0, 6], 'a retry of the last acknowledged batch is a duplicate after the crash')
  const older = await produce(c, 'crashed', 0, idem(['k1', 'k1b'], producerId, 2))
  t.same([older.errorCode, older.baseOffset], [0, 2], 'so is one of the earlier retained batches')
  t.equal((await produce(c, 'crashed', 0, idem(['k4', 'k4b'], producerId, 8))).baseOffset, 8)
  t.same(await storedValues(c, 'crashed'), ['k0', 'k0b', 'k1', 'k1b', 'k2', 'k2b', 'k3', 'k3b', 'k4', 'k4b'])
  const next = await initProducerId(c)
  t.ok(ids.every((id) => next.producerId > id), `no id handed out again after the crash (${ids} then ${next.producerId})`)
})

t.test('transactional input outside a transaction: Kafka\'s errors, nothing appended, others unaffected', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'txn-less', 2)
  const txnInit = await patientRequest<InitProducerIdResponse>(c, 22, 4, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
  t.equal(txnInit.errorCode, ErrorCode.NONE, 'the transactional id gets its own producer id')
  const { producerId } = await initProducerId(c)
  t.not(producerId, txnInit.producerId, 'the idempotent producer has another one')
  const txnBatch = (v: string): Buffer => batchOf([v], { producerId, producerEpoch: 0, baseSequence: 0, isTransactional: true })

  const anonymous = await c.request(0, 9, produceRequest([{ topic: 'txn-less', partition: 0, records: txnBatch('a') }, { topic: 'txn-less', partition: 1, records: batchOf(['plain']) }]))
  t.same(anonymous.responses[0].partitionResponses.map((p: { errorCode: number }) => p.errorCode), [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED], 'a transactional batch without a transactional id fails the whole request')
  const named = produceRequest([{ topic: 'txn-less', partition: 0, records: txnBatch('b') }])
  named.transactionalId = 'tx-1'
  const res = await c.request(0, 9, named)
  t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'a transactional id whose producer id is not the batch\'s (KIP-890 verification)')
  const own = produceRequest([{ topic: 'txn-less', partition: 0, records: batchOf(['c'], { producerId: txnInit.producerId, producerEpoch: txnInit.producerEpoch, baseSequence: 0, isTransactional: true }) }])
  own.transactionalId = 'tx-1'
  t.equal((await c.request(0, 9, own)).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TXN_STATE, 'its own producer id, but the partition is not in an ongoing transaction (v3-10)')
  const v11 = await c.request(0, 11, own)
  t.equal(v11.responses[0].partitionResponses[0].errorCode, ErrorCode.TRANSACTION_ABORTABLE, 'v11: TRANSACTION_ABORTABLE')
  t.same(await storedValues(c, 'txn-less', 0), [], 'nothing appended')
  t.same(await storedValues(c, 'txn-less', 1), [], 'not even the plain batch of the refused request')
  t.equal((await produce(c, 'txn-less', 0, idem(['ok'], producerId, 0))).errorCode, 0, 'the connection keeps working')
})

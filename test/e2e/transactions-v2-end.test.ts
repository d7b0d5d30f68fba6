// EndTxn v5 (transaction version 2, KIP-890 part 2) over the wire: every end bumps the
// epoch and the answer carries it; the markers carry the bumped epoch; the next
// transaction runs at the new epoch with sequences from 0; the old epoch is fenced on
// the coordinator and on the partitions; retries are answered as Kafka 4.x answers them
// (its TransactionCoordinator.endTransaction table for Empty, CompleteCommit and
// CompleteAbort); an abort with nothing in the transaction is allowed; the retry is
// still recognised after a restart; v4 keeps transaction version 1's rules.

import t, { type Test } from 'tap'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, readInt64 } from '../../protocol/records/record-batch.ts'
import { decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { tempDir } from '../helpers/broker.ts'
import { batchOf, createTopic, fetchRequest, produce, produceRequest, splitBatches } from '../helpers/wire-requests.ts'

const Key = { Produce: 0, Fetch: 1, InitProducerId: 22, AddPartitionsToTxn: 24, EndTxn: 26, DescribeTransactions: 65 }

type EndAnswer = { errorCode: number; producerId: number; producerEpoch: number }

async function txnBroker(t: Test, dataDir?: string): Promise<{ broker: RunningBroker; c: RawClient }> {
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, shards: 2, logLevel: 'silent', transactionStateLogNumPartitions: 4, offsetsTopicNumPartitions: 4,
    ...(dataDir === undefined ? { memory: true } : { dataDir }),
  })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  return { broker, c }
}

async function init(c: RawClient, transactionalId: string): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  return c.request(Key.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 })
}

async function addPartitions(c: RawClient, transactionalId: string, producerId: number, producerEpoch: number, partitions: number[]): Promise<number[]> {
  const res = await c.request(Key.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'tx', partitions }], transactions: [] })
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: { partitionErrorCode: number }) => p.partitionErrorCode)
}

async function endTxn(c: RawClient, transactionalId: string, producerId: number, producerEpoch: number, committed: boolean, version = 5): Promise<EndAnswer> {
  return c.request(Key.EndTxn, version, { transactionalId, producerId, producerEpoch, committed })
}

const answer = (r: EndAnswer): [number, number, number] => [r.errorCode, r.producerId, r.producerEpoch]

async function txnProduce(c: RawClient, transactionalId: string, partition: number, values: string[], producerId: number, producerEpoch: number, baseSequence: number): Promise<{ errorCode: number; baseOffset: number }> {
  const req = produceRequest([{ topic: 'tx', partition, records: batchOf(values, { producerId, producerEpoch, baseSequence, isTransactional: true }) }])
  req.transactionalId = transactionalId
  return (await c.request(Key.Produce, 9, req)).responses[0].partitionResponses[0]
}

/** Every batch of a partition, read_uncommitted: data values, and each control batch's producer id and epoch. */
async function readAll(c: RawClient, partition: number, isolationLevel = 0): Promise<{ values: string[]; markers: Array<[number, number]>; aborted: number[] }> {
  const req = fetchRequest([{ topic: 'tx', partition, offset: 0 }])
  req.isolationLevel = isolationLevel
  const p = (await c.request(Key.Fetch, 12, req)).responses[0].partitions[0]
  const values: string[] = []
  const markers: Array<[number, number]> = []
  for (const b of splitBatches(p.records)) {
    if ((b.readInt16BE(21) & 0x20) !== 0) markers.push([readInt64(b, PRODUCER_ID_OFFSET), b.readInt16BE(PRODUCER_EPOCH_OFFSET)])
    else for (const r of decodeRecords(b)) values.push(r.value!.toString())
  }
  return { values, markers, aborted: (p.abortedTransactions ?? []).map((a: { firstOffset: number }) => a.firstOffset) }
}

async function describe(c: RawClient, transactionalId: string): Promise<{ state: string; producerId: number; producerEpoch: number }> {
  const s = (await c.request(Key.DescribeTransactions, 0, { transactionalIds: [transactionalId] })).transactionStates[0]
  return { state: s.transactionState, producerId: s.producerId, producerEpoch: s.producerEpoch }
}

t.test('commit and abort bump the epoch; the markers carry it; the next transaction runs at it; the old epoch is fenced', async (t) => {
  const { c } = await txnBroker(t)
  await createTopic(c, 'tx', 2)
  const p = await init(c, 'tv2')
  t.same([p.errorCode, p.producerEpoch], [ErrorCode.NONE, 0])
  const pid = p.producerId

  t.same(await addPartitions(c, 'tv2', pid, 0, [0]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'tv2', 0, ['a1', 'a2'], pid, 0, 0)).errorCode, ErrorCode.NONE)
  t.same(answer(await endTxn(c, 'tv2', pid, 0, true)), [ErrorCode.NONE, pid, 1], 'EndTxn v5 commit answers the same producer id at epoch 1')
  t.same(await describe(c, 'tv2'), { state: 'CompleteCommit', producerId: pid, producerEpoch: 1 }, 'the coordinator holds epoch 1')
  let seen = await readAll(c, 0)
  t.same(seen.markers, [[pid, 1]], 'the COMMIT marker is written with the bumped epoch')
  t.same((await readAll(c, 0, 1)).values, ['a1', 'a2'], 'read_committed sees the committed records')

  // Kafka's table for CompleteCommit: a retry (epoch 0) of the commit is NONE with the
  // current id and epoch, of an abort INVALID_TXN_STATE; a commit at the current epoch is
  // INVALID_TXN_STATE (no transaction); another epoch PRODUCER_FENCED.
  t.same(answer(await endTxn(c, 'tv2', pid, 0, true)), [ErrorCode.NONE, pid, 1], 'a retried commit is answered as the first one')
  t.same(answer(await endTxn(c, 'tv2', pid, 0, false)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'a retry that says abort: INVALID_TXN_STATE')
  t.same(answer(await endTxn(c, 'tv2', pid, 1, true)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'a commit at the current epoch with nothing open: INVALID_TXN_STATE')
  t.same(answer(await endTxn(c, 'tv2', pid, 3, true)), [ErrorCode.PRODUCER_FENCED, -1, -1], 'an epoch ahead of the coordinator: PRODUCER_FENCED')
  t.same(answer(await endTxn(c, 'tv2', pid + 1000, 1, true)), [ErrorCode.INVALID_PRODUCER_ID_MAPPING, -1, -1], 'another producer id: INVALID_PRODUCER_ID_MAPPING')
  t.equal((await readAll(c, 0)).markers.length, 1, 'no answer above wrote another marker')

  // The next transaction, at epoch 1: sequences start again at 0 on the partition whose
  // marker already carried epoch 1 and on one the producer never wrote to.
  t.same(await addPartitions(c, 'tv2', pid, 1, [0, 1]), [ErrorCode.NONE, ErrorCode.NONE], 'AddPartitionsToTxn at the new epoch')
  t.equal((await txnProduce(c, 'tv2', 0, ['b1'], pid, 1, 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'the new epoch must start at sequence 0')
  const b0 = await txnProduce(c, 'tv2', 0, ['b1'], pid, 1, 0)
  t.same([b0.errorCode, b0.baseOffset], [ErrorCode.NONE, 3], 'sequence 0 at epoch 1 is accepted after the marker (offsets 0-1 data, 2 marker)')
  t.equal((await txnProduce(c, 'tv2', 0, ['b2'], pid, 1, 1)).errorCode, ErrorCode.NONE, 'and continues in sequence')
  t.equal((await txnProduce(c, 'tv2', 1, ['c1'], pid, 1, 0)).errorCode, ErrorCode.NONE)
  t.same(answer(await endTxn(c, 'tv2', pid, 1, false)), [ErrorCode.NONE, pid, 2], 'EndTxn v5 abort answers epoch 2')
  seen = await readAll(c, 0)
  t.same(seen.markers, [[pid, 1], [pid, 2]], 'the ABORT marker carries epoch 2')
  t.same((await readAll(c, 1)).markers, [[pid, 2]], 'on every partition of the transaction')
  const committed = await readAll(c, 0, 1)
  t.same([committed.values, committed.aborted], [['a1', 'a2', 'b1', 'b2'], [3]], 'read_committed is told the aborted transaction starts at 3')
  t.same(answer(await endTxn(c, 'tv2', pid, 1, false)), [ErrorCode.NONE, pid, 2], 'a retried abort is answered as the first one')
  t.same(answer(await endTxn(c, 'tv2', pid, 1, true)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'a retry that says commit: INVALID_TXN_STATE')

  // Epoch 1 is now fenced everywhere.
  t.same(await addPartitions(c, 'tv2', pid, 1, [0]), [ErrorCode.PRODUCER_FENCED], 'AddPartitionsToTxn at the old epoch: PRODUCER_FENCED')
  t.equal((await txnProduce(c, 'tv2', 0, ['z'], pid, 1, 2)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'a transactional batch at the old epoch: INVALID_PRODUCER_EPOCH')
  const plain = await produce(c, 'tx', 1, batchOf(['z'], { producerId: pid, producerEpoch: 1, baseSequence: 1 }))
  t.equal(plain.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'an idempotent batch at the old epoch is refused by the partition\'s producer state (the marker moved it to epoch 2)')
  t.same(answer(await endTxn(c, 'tv2', pid, 0, false)), [ErrorCode.PRODUCER_FENCED, -1, -1], 'EndTxn two epochs back: PRODUCER_FENCED')

  // And epoch 2 works end to end.
  t.same(await addPartitions(c, 'tv2', pid, 2, [1]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'tv2', 1, ['d1'], pid, 2, 0)).errorCode, ErrorCode.NONE, 'sequence 0 at epoch 2 on partition 1')
  t.same(answer(await endTxn(c, 'tv2', pid, 2, true)), [ErrorCode.NONE, pid, 3])
  const last = await readAll(c, 1, 1)
  t.same([last.values, last.aborted], [['c1', 'd1'], [0]], 'the third transaction is committed; the aborted c1 (offset 0) is listed for read_committed clients to drop')
})

t.test('an abort with nothing in the transaction bumps the epoch; a commit does not go through', async (t) => {
  const { c } = await txnBroker(t)
  const p = await init(c, 'empty')
  const pid = p.producerId
  t.same(answer(await endTxn(c, 'empty', pid, 0, true)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'Empty + commit: INVALID_TXN_STATE')
  t.same(answer(await endTxn(c, 'empty', pid, 0, false)), [ErrorCode.NONE, pid, 1], 'Empty + abort: allowed under transaction version 2, epoch 1')
  t.same(await describe(c, 'empty'), { state: 'CompleteAbort', producerId: pid, producerEpoch: 1 })
  t.same(answer(await endTxn(c, 'empty', pid, 0, false)), [ErrorCode.NONE, pid, 1], 'its retry')
  t.same(answer(await endTxn(c, 'empty', pid, 1, false)), [ErrorCode.NONE, pid, 2], 'CompleteAbort + abort at the current epoch: another empty abort, epoch 2')
  t.same(answer(await endTxn(c, 'empty', pid, 2, true)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'CompleteAbort + commit: INVALID_TXN_STATE')

  const q = await init(c, 'empty-v4')
  t.same(answer(await endTxn(c, 'empty-v4', q.producerId, 0, false, 4)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'the same abort on v4 (transaction version 1): INVALID_TXN_STATE')
})

t.test('v4 keeps transaction version 1: no bump, the same epoch for the next transaction', async (t) => {
  const { c } = await txnBroker(t)
  await createTopic(c, 'tx', 1)
  const p = await init(c, 'tv1')
  t.same(await addPartitions(c, 'tv1', p.producerId, 0, [0]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'tv1', 0, ['x'], p.producerId, 0, 0)).errorCode, ErrorCode.NONE)
  t.equal((await endTxn(c, 'tv1', p.producerId, 0, true, 4)).errorCode, ErrorCode.NONE)
  t.same(await describe(c, 'tv1'), { state: 'CompleteCommit', producerId: p.producerId, producerEpoch: 0 }, 'epoch unchanged')
  t.same((await readAll(c, 0)).markers, [[p.producerId, 0]], 'the marker carries the unchanged epoch')
  t.equal((await endTxn(c, 'tv1', p.producerId, 0, true, 4)).errorCode, ErrorCode.NONE, 'a v4 retry at the same epoch: NONE')
  // A v5 EndTxn now finds CompleteCommit at the current epoch: transaction version 2 rules.
  t.same(answer(await endTxn(c, 'tv1', p.producerId, 0, true)), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'v5 at the current epoch after a v4 commit: INVALID_TXN_STATE, as Kafka judges by the request version')
  t.same(await addPartitions(c, 'tv1', p.producerId, 0, [0]), [ErrorCode.NONE], 'the next transaction at epoch 0')
  t.equal((await txnProduce(c, 'tv1', 0, ['y'], p.producerId, 0, 1)).errorCode, ErrorCode.NONE, 'sequence continues at epoch 0')
})

t.test('a retry is still recognised after a restart (the bump is in __transaction_state)', async (t) => {
  const dataDir = tempDir(t)
  let pid: number
  {
    const { broker, c } = await txnBroker(t, dataDir)
    await createTopic(c, 'tx', 1)
    const p = await init(c, 'durable')
    pid = p.producerId
    t.same(await addPartitions(c, 'durable', pid, 0, [0]), [ErrorCode.NONE])
    t.equal((await txnProduce(c, 'durable', 0, ['kept'], pid, 0, 0)).errorCode, ErrorCode.NONE)
    t.same(answer(await endTxn(c, 'durable', pid, 0, true)), [ErrorCode.NONE, pid, 1])
    c.close()
    await broker.close()
  }
  const { c } = await txnBroker(t, dataDir)
  t.same(await describe(c, 'durable'), { state: 'CompleteCommit', producerId: pid, producerEpoch: 1 }, 'replayed at epoch 1')
  t.same(answer(await endTxn(c, 'durable', pid, 0, true)), [ErrorCode.NONE, pid, 1], 'the retried commit gets the same answer after the restart')
  t.same(await addPartitions(c, 'durable', pid, 1, [0]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'durable', 0, ['again'], pid, 1, 0)).errorCode, ErrorCode.NONE, 'sequence 0 at epoch 1 after the restart (producer state rebuilt with the marker\'s epoch)')
  t.equal((await txnProduce(c, 'durable', 0, ['stale'], pid, 0, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'epoch 0 stays fenced')
  t.same(answer(await endTxn(c, 'durable', pid, 1, true)), [ErrorCode.NONE, pid, 2])
  t.same((await readAll(c, 0, 1)).values, ['kept', 'again'])
})

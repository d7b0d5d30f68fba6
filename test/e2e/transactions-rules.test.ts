// Transaction rules over the wire, with Kafka's error codes: EndTxn without a
// transaction, a stale epoch, a wrong producer id, a transactional batch for a partition
// not in the transaction (KIP-890 verification: nothing stored, other clients
// unaffected), the timeout limit, a transaction aborted by the broker once it outlives
// its timeout (its producer fenced), the last stable offset and read_committed fetches
// of an open transaction, and DescribeTransactions / ListTransactions.

import t, { type Test } from 'tap'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { batchOf, createTopic, fetchRequest, produce, produceRequest, splitBatches } from '../helpers/wire-requests.ts'

const Key = { Produce: 0, Fetch: 1, ListOffsets: 2, InitProducerId: 22, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28, DescribeTransactions: 65, ListTransactions: 66 }

async function txnBroker(t: Test, clock = new ManualClock()): Promise<{ broker: RunningBroker; c: RawClient; clock: ManualClock }> {
  const broker = await startBroker(
    { host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', transactionStateLogNumPartitions: 4, offsetsTopicNumPartitions: 4, transactionMaxTimeoutMs: 60_000, transactionAbortTimedOutTransactionCleanupIntervalMs: 1000 },
    { clock },
  )
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'tx', 2)
  return { broker, c, clock }
}

async function init(c: RawClient, transactionalId: string, timeoutMs = 30_000): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  return c.request(Key.InitProducerId, 4, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 })
}

async function addPartitions(c: RawClient, transactionalId: string, producerId: number, producerEpoch: number, partitions: number[], topic = 'tx'): Promise<number[]> {
  const res = await c.request(Key.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions }], transactions: [] })
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: { partitionErrorCode: number }) => p.partitionErrorCode)
}

async function endTxn(c: RawClient, transactionalId: string, producerId: number, producerEpoch: number, committed: boolean, version = 3): Promise<number> {
  return (await c.request(Key.EndTxn, version, { transactionalId, producerId, producerEpoch, committed })).errorCode
}

function txnProduce(c: RawClient, transactionalId: string, partition: number, values: string[], producerId: number, producerEpoch: number, baseSequence: number, version = 9) {
  const req = produceRequest([{ topic: 'tx', partition, records: batchOf(values, { producerId, producerEpoch, baseSequence, isTransactional: true }) }])
  req.transactionalId = transactionalId
  return c.request(Key.Produce, version, req).then((r: any) => r.responses[0].partitionResponses[0])
}

async function fetchCommitted(c: RawClient, partition: number): Promise<{ values: string[]; lastStableOffset: number; highWatermark: number; aborted: number[] }> {
  const req = fetchRequest([{ topic: 'tx', partition, offset: 0 }])
  req.isolationLevel = 1
  const p = (await c.request(Key.Fetch, 12, req)).responses[0].partitions[0]
  const values: string[] = []
  for (const b of splitBatches(p.records)) if ((b.readInt16BE(21) & 0x20) === 0) for (const r of decodeRecords(b)) values.push(r.value!.toString())
  return { values, lastStableOffset: p.lastStableOffset, highWatermark: p.highWatermark, aborted: (p.abortedTransactions ?? []).map((a: { firstOffset: number }) => a.firstOffset) }
}

t.test('error codes for calls outside the rules; nothing stored; others unaffected', async (t) => {
  const { c } = await txnBroker(t)
  t.equal((await init(c, 'bad', 600_000)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'a timeout above transaction.max.timeout.ms')
  t.equal((await init(c, '')).errorCode, ErrorCode.INVALID_REQUEST, 'an empty transactional id')
  const p = await init(c, 'rules')
  t.equal(p.errorCode, ErrorCode.NONE)
  t.equal(p.producerEpoch, 0, 'a new transactional id starts at epoch 0')

  t.equal(await endTxn(c, 'rules', p.producerId, p.producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'EndTxn without a transaction')
  t.equal(await endTxn(c, 'rules', p.producerId + 1000, p.producerEpoch, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'EndTxn with a producer id the transactional id does not hold')
  t.same(await addPartitions(c, 'rules', p.producerId, p.producerEpoch + 1, [0]), [ErrorCode.PRODUCER_FENCED], 'AddPartitionsToTxn v3 with a wrong epoch: PRODUCER_FENCED')
  const v1 = await c.request(Key.AddPartitionsToTxn, 1, { v3AndBelowTransactionalId: 'rules', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch + 1, v3AndBelowTopics: [{ name: 'tx', partitions: [0] }], transactions: [] })
  t.equal(v1.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the same on v1: INVALID_PRODUCER_EPOCH (PRODUCER_FENCED came in v2)')
  t.same(await addPartitions(c, 'rules', p.producerId, p.producerEpoch, [0, 7]), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], 'an unknown partition fails the request; the others are not attempted')

  // Partition 1 is not in the transaction: the batch fails verification and is not stored.
  t.same(await addPartitions(c, 'rules', p.producerId, p.producerEpoch, [0]), [ErrorCode.NONE])
  const stray = await txnProduce(c, 'rules', 1, ['stray'], p.producerId, p.producerEpoch, 0)
  t.equal(stray.errorCode, ErrorCode.INVALID_TXN_STATE, 'a transactional batch for a partition not in the transaction (Produce v9)')
  const strayV11 = await txnProduce(c, 'rules', 1, ['stray'], p.producerId, p.producerEpoch, 0, 11)
  t.equal(strayV11.errorCode, ErrorCode.TRANSACTION_ABORTABLE, 'Produce v11 gets TRANSACTION_ABORTABLE')
  const other = await produce(c, 'tx', 1, batchOf(['plain']))
  t.same([other.errorCode, other.baseOffset], [ErrorCode.NONE, 0], 'another client writes to that partition at offset 0: nothing was stored')
  const stale = await txnProduce(c, 'rules', 0, ['x'], p.producerId, p.producerEpoch - 1, 0)
  t.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'a batch with an older epoch')

  // v4 verify_only: per partition, in the transaction or not.
  const verify = await c.request(Key.AddPartitionsToTxn, 4, { transactions: [{ transactionalId: 'rules', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 'tx', partitions: [0, 1] }] }], v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] })
  t.same(verify.resultsByTransaction[0].topicResults[0].resultsByPartition.map((r: { partitionErrorCode: number }) => r.partitionErrorCode), [ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE], 'verify_only answers per partition')
})

t.test('an open transaction holds the last stable offset; commit and abort move it', async (t) => {
  const { broker, c } = await txnBroker(t)
  const p = await init(c, 'lso')
  t.same(await addPartitions(c, 'lso', p.producerId, p.producerEpoch, [0]), [ErrorCode.NONE])
  t.equal((await produce(c, 'tx', 0, batchOf(['before']))).baseOffset, 0)
  t.equal((await txnProduce(c, 'lso', 0, ['t1', 't2'], p.producerId, p.producerEpoch, 0)).baseOffset, 1)
  t.equal((await produce(c, 'tx', 0, batchOf(['after']))).baseOffset, 3)

  let seen = await fetchCommitted(c, 0)
  t.same([seen.values, seen.lastStableOffset, seen.highWatermark], [['before'], 1, 4], 'read_committed stops at the open transaction (LSO 1) though the log ends at 4')
  const latest = await c.request(Key.ListOffsets, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] })
  t.equal(latest.topics[0].partitions[0].offset, 1, 'ListOffsets latest for read_committed is the LSO')
  const latestAll = await c.request(Key.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] })
  t.equal(latestAll.topics[0].partitions[0].offset, 4, 'and the high watermark for read_uncommitted')

  await c.request(8, 2, { groupId: 'lagger', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] })
  const lag = broker.groupLag('lagger')[0]!
  t.same([lag.lag, lag.lastStableOffset, lag.stableLag], [4, 1, 1], 'a read_committed group lags by what it can read: up to the LSO (1), not the log end (4)')

  const described = await c.request(Key.DescribeTransactions, 0, { transactionalIds: ['lso', 'nobody'] })
  t.same(described.transactionStates.map((s: any) => [s.transactionalId, s.errorCode, s.transactionState, s.topics]), [['lso', 0, 'Ongoing', [{ topic: 'tx', partitions: [0] }]], ['nobody', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, '', []]], 'DescribeTransactions')
  const listed = await c.request(Key.ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1 })
  t.same([listed.transactionStates.map((s: any) => s.transactionalId), listed.unknownStateFilters], [['lso'], ['Bogus']], 'ListTransactions filters by state and names unknown filters')

  t.equal(await endTxn(c, 'lso', p.producerId, p.producerEpoch, false), ErrorCode.NONE, 'abort')
  seen = await fetchCommitted(c, 0)
  t.same([seen.values, seen.lastStableOffset, seen.aborted], [['before', 't1', 't2', 'after'], 5, [1]], 'after the abort: everything up to the marker is stable, and the aborted transaction (first offset 1) is listed so the client drops t1 and t2')
  t.equal(await endTxn(c, 'lso', p.producerId, p.producerEpoch, false), ErrorCode.NONE, 'a retried abort answers NONE')
  t.equal(await endTxn(c, 'lso', p.producerId, p.producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'a commit after the abort: INVALID_TXN_STATE')
})

t.test('a transaction past its timeout is aborted by the broker and its producer fenced', async (t) => {
  const { c, clock } = await txnBroker(t)
  const p = await init(c, 'slow', 5_000)
  t.same(await addPartitions(c, 'slow', p.producerId, p.producerEpoch, [0]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'slow', 0, ['late'], p.producerId, p.producerEpoch, 0)).errorCode, ErrorCode.NONE)
  clock.advance(4_000)
  t.equal((await c.request(Key.DescribeTransactions, 0, { transactionalIds: ['slow'] })).transactionStates[0].transactionState, 'Ongoing', 'still open before its timeout')
  clock.advance(2_000)
  let state = ''
  for (let i = 0; i < 200 && state !== 'CompleteAbort'; i++) state = (await c.request(Key.DescribeTransactions, 0, { transactionalIds: ['slow'] })).transactionStates[0].transactionState
  t.equal(state, 'CompleteAbort', 'aborted by the broker once past 5 s')
  const seen = await fetchCommitted(c, 0)
  t.same([seen.values, seen.aborted], [['late'], [0]], 'its record is listed as aborted to read_committed clients')
  t.equal(await endTxn(c, 'slow', p.producerId, p.producerEpoch, true), ErrorCode.PRODUCER_FENCED, 'the producer is fenced on its next call')
  const again = await init(c, 'slow', 5_000)
  t.same([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, p.producerId, p.producerEpoch + 2], 'a new InitProducerId gets the epoch after the fencing one')
})

t.test('InitProducerId fences the holder and aborts its open transaction first', async (t) => {
  const { c } = await txnBroker(t)
  const first = await init(c, 'handover')
  t.same(await addPartitions(c, 'handover', first.producerId, first.producerEpoch, [1]), [ErrorCode.NONE])
  t.equal((await txnProduce(c, 'handover', 1, ['orphan'], first.producerId, first.producerEpoch, 0)).errorCode, ErrorCode.NONE)
  let second = await init(c, 'handover')
  for (let i = 0; i < 100 && second.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS; i++) second = await init(c, 'handover')
  t.equal(second.errorCode, ErrorCode.NONE, 'the new holder gets its id once the old transaction is aborted (CONCURRENT_TRANSACTIONS meanwhile)')
  t.ok(second.producerEpoch > first.producerEpoch, `epoch bumped (${first.producerEpoch} -> ${second.producerEpoch})`)
  const seen = await fetchCommitted(c, 1)
  t.same([seen.values, seen.aborted], [['orphan'], [0]], 'the old holder\'s open transaction was aborted')
  t.equal((await txnProduce(c, 'handover', 1, ['zombie'], first.producerId, first.producerEpoch, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old holder cannot write')
  t.equal(await endTxn(c, 'handover', first.producerId, first.producerEpoch, true), ErrorCode.PRODUCER_FENCED, 'nor end a transaction')
  t.equal(await endTxn(c, 'handover', first.producerId, first.producerEpoch, true, 1), ErrorCode.INVALID_PRODUCER_EPOCH, 'EndTxn v1 says INVALID_PRODUCER_EPOCH')
})

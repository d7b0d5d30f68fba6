// Transactions across kill -9 (a child broker with a data dir, --fsync always): killed
// with a transaction open, the transaction is still open after the restart (as in Kafka,
// until its timeout or its producer's successor ends it), and a new InitProducerId
// aborts it; killed between the commit decision and the markers, the restart finishes
// the commit. A read_committed reader never sees part of a transaction, and the
// producer starts a new one afterwards.

import t, { type Test } from 'tap'
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, fetchRequest, produceRequest, splitBatches } from '../helpers/wire-requests.ts'
import { decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const args = (dataDir: string): string[] => ['--data-dir', dataDir, '--fsync', 'always', '--set', 'transaction.state.log.num.partitions=2', '--set', 'offsets.topic.num.partitions=2']

async function start(t: Test, dataDir: string, env: Record<string, string> = {}): Promise<{ broker: ChildBroker; c: RawClient }> {
  const broker = await spawnBroker(args(dataDir), env)
  t.teardown(() => {
    broker.child.kill('SIGKILL')
  })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  return { broker, c }
}

async function kill(broker: ChildBroker): Promise<void> {
  broker.child.kill('SIGKILL')
  await broker.exited
}

async function init(c: RawClient, id: string): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  for (let i = 0; ; i++) {
    const r = await c.request(22, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    // Retriable while the coordinator loads or an earlier holder's transaction is aborted.
    if ((r.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS && r.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) || i >= 200) return r
  }
}

async function openTxn(c: RawClient, id: string, p: { producerId: number; producerEpoch: number }, values: string[]): Promise<void> {
  const add = await c.request(24, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'tx', partitions: [0, 1] }], transactions: [] })
  if (add.resultsByTopicV3AndBelow[0].resultsByPartition.some((r: { partitionErrorCode: number }) => r.partitionErrorCode !== 0)) throw new Error(`AddPartitionsToTxn failed: ${JSON.stringify(add)}`)
  for (const partition of [0, 1]) {
    const req = produceRequest([{ topic: 'tx', partition, records: batchOf(values.map((v) => `${v}@${partition}`), { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, isTransactional: true }) }])
    req.transactionalId = id
    const r = (await c.request(0, 9, req)).responses[0].partitionResponses[0]
    if (r.errorCode !== 0) throw new Error(`transactional produce failed: ${r.errorCode}`)
  }
}

/** What a read_committed consumer keeps: records below the LSO, minus aborted transactions. */
async function committedValues(c: RawClient): Promise<string[]> {
  const out: string[] = []
  for (const partition of [0, 1]) {
    const req = fetchRequest([{ topic: 'tx', partition, offset: 0 }])
    req.isolationLevel = 1
    const p = (await c.request(1, 12, req)).responses[0].partitions[0]
    // As a consumer does: an aborted transaction applies from its first offset to its producer's next marker.
    const pending = [...(p.abortedTransactions ?? [])].sort((a: { firstOffset: number }, b: { firstOffset: number }) => a.firstOffset - b.firstOffset)
    const active = new Set<number>()
    for (const b of splitBatches(p.records)) {
      const producerId = Number(b.readBigInt64BE(43))
      while (pending.length > 0 && pending[0].firstOffset <= Number(b.readBigInt64BE(0))) active.add(pending.shift().producerId)
      if ((b.readInt16BE(21) & 0x20) !== 0) {
        active.delete(producerId)
        continue
      }
      if (active.has(producerId)) continue
      for (const r of decodeRecords(b)) out.push(r.value!.toString())
    }
  }
  return out.sort()
}

async function state(c: RawClient, id: string): Promise<string> {
  return (await c.request(65, 0, { transactionalIds: [id] })).transactionStates[0].transactionState
}

t.test('kill -9 with a transaction open: still open after restart, aborted by the next InitProducerId', async (t) => {
  const dataDir = tempDir(t)
  let { broker, c } = await start(t, dataDir)
  await createTopic(c, 'tx', 2)
  const p = await init(c, 'crash-open')
  await openTxn(c, 'crash-open', p, ['committed'])
  t.equal((await c.request(26, 3, { transactionalId: 'crash-open', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true })).errorCode, 0, 'first transaction committed')
  const again = await init(c, 'crash-open')
  await openTxn(c, 'crash-open', again, ['open'])
  await kill(broker)
  ;({ broker, c } = await start(t, dataDir))

  t.equal(await state(c, 'crash-open'), 'Ongoing', 'the open transaction is open again after the restart')
  t.same(await committedValues(c), ['committed@0', 'committed@1'], 'read_committed sees the committed transaction only; the open one is held back by the LSO')
  const successor = await init(c, 'crash-open')
  t.equal(successor.errorCode, 0, 'a new producer instance gets its id')
  t.ok(successor.producerEpoch > again.producerEpoch, 'with a bumped epoch')
  t.equal(await state(c, 'crash-open'), 'Empty', 'the open transaction was aborted first')
  t.same(await committedValues(c), ['committed@0', 'committed@1'], 'the aborted records never become visible')
  await openTxn(c, 'crash-open', successor, ['after'])
  t.equal((await c.request(26, 3, { transactionalId: 'crash-open', producerId: successor.producerId, producerEpoch: successor.producerEpoch, committed: true })).errorCode, 0, 'the producer commits a new transaction')
  t.same(await committedValues(c), ['after@0', 'after@1', 'committed@0', 'committed@1'], 'and it becomes visible')
})

t.test('kill -9 between the commit decision and the markers: the restart completes the commit', async (t) => {
  const dataDir = tempDir(t)
  let { broker, c } = await start(t, dataDir, { SAMSA_TEST_KILL_AFTER_TXN_DECISION: '1' })
  await createTopic(c, 'tx', 2)
  const p = await init(c, 'crash-decided')
  await openTxn(c, 'crash-decided', p, ['decided'])
  const answer = await c.request(26, 3, { transactionalId: 'crash-decided', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }).then(() => 'answered', (err: Error) => err.message)
  t.match(answer, /closed|no answer/, 'the broker died before answering EndTxn')
  t.equal(await broker.exited, null, 'killed by the signal')
  ;({ broker, c } = await start(t, dataDir))

  let s = await state(c, 'crash-decided')
  for (let i = 0; i < 200 && s !== 'CompleteCommit'; i++) s = await state(c, 'crash-decided')
  t.equal(s, 'CompleteCommit', 'the prepared commit was completed at start-up')
  t.same(await committedValues(c), ['decided@0', 'decided@1'], 'both partitions of the transaction are committed, not one')
  const next = await init(c, 'crash-decided')
  t.equal(next.errorCode, 0, 'the producer can start again')
  await openTxn(c, 'crash-decided', next, ['next'])
  t.equal((await c.request(26, 3, { transactionalId: 'crash-decided', producerId: next.producerId, producerEpoch: next.producerEpoch, committed: false })).errorCode, 0, 'and abort a new transaction')
  t.same(await committedValues(c), ['decided@0', 'decided@1'], 'the aborted one stays invisible')
})

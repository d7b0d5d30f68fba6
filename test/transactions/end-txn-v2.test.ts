// The transaction coordinator's transaction version 2 end (EndTxn v5) where the wire
// cannot reach in reasonable time or on purpose: the epoch running out (Short.MAX_VALUE
// − 1 is the last a client may hold: the end writes its markers at Short.MAX_VALUE and
// moves the producer to a new id at epoch 0; a retry with the old id is recognised), a
// retry while the markers are being written, and markers that cannot be written yet.
// The coordinator runs on a stand-in for the partition layer that records every marker.

import t from 'tap'
import { TransactionCoordinator, TxnState } from '../../src/transactions/transaction-coordinator.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { createLogger } from '../../src/logger.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { ReplicaManager } from '../../src/partitions/replica-manager.ts'
import type { TopicInfo } from '../../src/topics/topic-registry.ts'

type Marker = { topic: string; partition: number; producerId: number; producerEpoch: number; commit: boolean }

function coordinator() {
  const markers: Marker[] = []
  let nextId = 100
  // When set, markers wait for it (a slow partition) or fail (an offline one).
  const gate = { hold: null as Promise<void> | null, fail: false }
  const replicas = {
    append: async () => ({ ok: true }),
    bounds: () => undefined,
    read: async () => ({ ok: true, records: null }),
    writeMarker: async (topic: string, partition: number, m: { producerId: number; producerEpoch: number; commit: boolean }) => {
      if (gate.hold !== null) await gate.hold
      if (gate.fail) return { ok: false, error: ErrorCode.KAFKA_STORAGE_ERROR, message: 'offline' }
      markers.push({ topic, partition, producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit })
      return { ok: true }
    },
  } as unknown as ReplicaManager
  const clock = new ManualClock(1_000_000)
  const txns = new TransactionCoordinator({
    host: { logger: createLogger('silent'), replicas, topics: { get: () => ({ partitions: 1 }) as unknown as TopicInfo }, createTopic: async () => ({ error: 0, message: null }) },
    newProducerId: () => nextId++,
    onOffsetsMarker: () => {},
    offsetsTopic: '__consumer_offsets',
    clock,
    options: { transactionStateLogNumPartitions: 1, transactionMaxTimeoutMs: 900_000, transactionAbortTimedOutTransactionCleanupIntervalMs: 10_000 },
  })
  t.teardown(() => txns.close())
  return { txns, markers, gate, clock }
}

const tp = [{ topic: 't', partition: 0 }]

t.test('the epoch runs out: markers at Short.MAX_VALUE, then a new producer id at epoch 0; the retry is recognised', async (t) => {
  const { txns, markers } = coordinator()
  await txns.load()
  let p = await txns.initProducerId('ovf', 60_000, -1, -1)
  t.same([p.error, p.producerId, p.producerEpoch], [ErrorCode.NONE, 100, 0])
  // InitProducerId bumps one epoch at a time: walk the id up to 32765.
  while (p.producerEpoch < 32765) p = await txns.initProducerId('ovf', 60_000, -1, -1)
  t.same([p.producerId, p.producerEpoch], [100, 32765])

  t.equal(await txns.addPartitions('ovf', 100, 32765, tp), ErrorCode.NONE)
  t.same(await txns.endTxn('ovf', 100, 32765, true, true), { error: ErrorCode.NONE, producerId: 100, producerEpoch: 32766 }, '32765 -> 32766: still the same id')

  t.equal(await txns.addPartitions('ovf', 100, 32766, tp), ErrorCode.NONE)
  t.same(await txns.endTxn('ovf', 100, 32766, true, true), { error: ErrorCode.NONE, producerId: 101, producerEpoch: 0 }, 'the end at 32766 answers a new producer id at epoch 0')
  t.same(markers.map((m) => [m.producerId, m.producerEpoch]), [[100, 32766], [100, 32767]], 'its markers were written by the old id at Short.MAX_VALUE, fencing it on the partition')
  const m = txns.txns.get('ovf')!
  t.same([m.state, m.producerId, m.producerEpoch], [TxnState.CompleteCommit, 101, 0])

  t.same(await txns.endTxn('ovf', 100, 32766, true, true), { error: ErrorCode.NONE, producerId: 101, producerEpoch: 0 }, 'a retry from the old id and epoch gets the same answer')
  t.same(await txns.endTxn('ovf', 100, 32766, false, true), { error: ErrorCode.INVALID_TXN_STATE, producerId: -1, producerEpoch: -1 }, 'a retry that says abort: INVALID_TXN_STATE')
  t.same(await txns.endTxn('ovf', 100, 32765, true, true), { error: ErrorCode.INVALID_PRODUCER_ID_MAPPING, producerId: -1, producerEpoch: -1 }, 'the old id at another epoch: INVALID_PRODUCER_ID_MAPPING')
  t.equal(await txns.addPartitions('ovf', 100, 32766, tp), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'the old id cannot open a transaction')

  t.equal(await txns.addPartitions('ovf', 101, 0, tp), ErrorCode.NONE, 'the new id at epoch 0 can')
  t.same(await txns.endTxn('ovf', 101, 0, false, true), { error: ErrorCode.NONE, producerId: 101, producerEpoch: 1 })
  t.same(markers.at(-1), { topic: 't', partition: 0, producerId: 101, producerEpoch: 1, commit: false })
})

t.test('a retry while the markers are written is CONCURRENT_TRANSACTIONS; then the answer', async (t) => {
  const { txns, markers, gate } = coordinator()
  await txns.load()
  const p = await txns.initProducerId('slow', 60_000, -1, -1)
  t.equal(await txns.addPartitions('slow', p.producerId, 0, tp), ErrorCode.NONE)
  let release!: () => void
  gate.hold = new Promise((resolve) => (release = resolve))
  const first = txns.endTxn('slow', p.producerId, 0, true, true)
  // Let the decision reach its marker write.
  for (let i = 0; i < 50 && txns.txns.get('slow')!.state !== TxnState.PrepareCommit; i++) await new Promise((resolve) => setImmediate(resolve))
  t.equal(txns.txns.get('slow')!.state, TxnState.PrepareCommit)
  t.equal(txns.txns.get('slow')!.producerEpoch, 1, 'the decision already carries the bumped epoch')
  t.same(await txns.endTxn('slow', p.producerId, 0, true, true), { error: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1, producerEpoch: -1 }, 'the retry meanwhile')
  t.same(await txns.endTxn('slow', p.producerId, 1, true, true), { error: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1, producerEpoch: -1 }, 'a call at the new epoch meanwhile')
  gate.hold = null
  release()
  t.same(await first, { error: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 })
  t.same(markers.map((m) => m.producerEpoch), [1])
})

t.test('markers that cannot be written yet: the answer still names the next epoch; they land on the retry timer', async (t) => {
  const { txns, markers, gate, clock } = coordinator()
  await txns.load()
  const p = await txns.initProducerId('offline', 60_000, -1, -1)
  t.equal(await txns.addPartitions('offline', p.producerId, 0, tp), ErrorCode.NONE)
  gate.fail = true
  t.same(await txns.endTxn('offline', p.producerId, 0, false, true), { error: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 }, 'the decision is durable: NONE with epoch 1')
  t.equal(txns.txns.get('offline')!.state, TxnState.PrepareAbort)
  t.same(await txns.endTxn('offline', p.producerId, 0, false, true), { error: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1, producerEpoch: -1 }, 'a retry before the markers land')
  gate.fail = false
  clock.advance(1000)
  for (let i = 0; i < 50 && txns.txns.get('offline')!.state !== TxnState.CompleteAbort; i++) await new Promise((resolve) => setImmediate(resolve))
  t.same(markers.map((m) => [m.producerEpoch, m.commit]), [[1, false]], 'the ABORT marker at epoch 1')
  t.same(await txns.endTxn('offline', p.producerId, 0, false, true), { error: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 }, 'then the retry is answered')
})

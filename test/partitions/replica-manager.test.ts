// The ordering invariant of the one way into partition data: operations on a partition
// run in the order they were called, because a shard never has more than one task in
// flight and what arrives meanwhile leaves as the next task, in order. Piscina's own
// queue (which can requeue a task at its tail) must never hold a task of ours.

import t from 'tap'
import { ShardPool } from '../../src/workers/shard-pool.ts'
import { ReplicaManager } from '../../src/partitions/replica-manager.ts'
import { TopicRegistry } from '../../src/topics/topic-registry.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'

t.test('appends submitted over many event-loop turns while the shard is busy land in call order', async (t) => {
  const pool = new ShardPool(1, { dataDir: null, fsync: 'never', producerIdExpirationMs: 86_400_000 })
  const replicas = new ReplicaManager(pool)
  t.teardown(() => replicas.shutdown())
  const topics = new TopicRegistry(null, null, {})
  const topic = topics.create('ordered', 1, {}, false)
  const opened = await replicas.open(topic, 0, { clean: true, recoveryPoint: 0 })
  t.ok(opened.ok)

  const piscina = pool.shards[0]!.pool
  let queuedInPiscina = 0
  const appends: Promise<number>[] = []
  const value = Buffer.alloc(256 * 1024, 1)
  for (let i = 0; i < 60; i++) {
    // Large batches keep the worker busy across turns, so later ones pile up meanwhile.
    appends.push(replicas.append('ordered', 0, buildRecordBatch({ records: [{ value }, { value: Buffer.from(String(i)) }] })).then((r) => (r.ok ? r.baseOffset : -1)))
    await new Promise((resolve) => setImmediate(resolve))
    queuedInPiscina = Math.max(queuedInPiscina, piscina.queueSize)
  }
  const offsets = await Promise.all(appends)
  t.same(offsets, Array.from({ length: 60 }, (_, i) => i * 2), 'base offsets follow call order')
  t.equal(queuedInPiscina, 0, 'no task ever waited in piscina\'s queue: one task in flight per shard')
  const tasks = replicas.tasksSent()[0]! - 1
  t.ok(tasks < 60, `appends that arrived while a task ran were batched into later tasks (${tasks} tasks for 60 appends)`)

  // Reads see every append before them, whatever task they travel in.
  const read = await replicas.read('ordered', 0, 0, 64 << 20)
  t.ok(read.ok && read.highWatermark === 120, 'the log end covers all 60 batches')
})

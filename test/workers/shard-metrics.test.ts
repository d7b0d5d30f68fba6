// What the shards report for /metrics: the pool's queue depth per shard (operations
// waiting for the next task plus those in the running one), one task-time observation per
// task (not per operation), and fdatasync times carried back inside task results.

import t from 'tap'
import { Piscina } from 'piscina'
import { ShardPool } from '../../src/workers/shard-pool.ts'
import { createShardRunner } from '../../src/workers/shard-worker.ts'
import { NodeFileIO } from '../../storage/file-io.ts'
import { defaultLogConfig } from '../../storage/log-config.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import type { ShardTask, ShardTaskResult } from '../../src/workers/shard-protocol.ts'
import { tempDir } from '../helpers/broker.ts'

t.test('queue depth counts queued and running operations; one task time per task', async (t) => {
  const pool = new ShardPool(2, { dataDir: null, fsync: 'never', producerIdExpirationMs: 86_400_000 })
  t.teardown(() => pool.close())
  const tasks: Array<{ shard: number; seconds: number }> = []
  pool.observer = { taskDone: (shard, seconds) => tasks.push({ shard, seconds }), flushed: () => t.fail('memory storage runs no fdatasync') }

  const first = [0, 1, 2].map(() => pool.submit(1, { op: 'logSizes' }))
  t.same(pool.queueDepths(), [0, 3], 'three operations waiting for shard 1')
  // The shard's task leaves on the next turn; its operations stay counted until answered.
  await new Promise((resolve) => setImmediate(resolve))
  t.same(pool.queueDepths(), [0, 3], 'and still counted while its task runs')
  const second = pool.submit(1, { op: 'logSizes' })
  t.same(pool.queueDepths(), [0, 4], 'plus one waiting for the next task')
  await Promise.all([...first, second])
  t.same(pool.queueDepths(), [0, 0], 'nothing once all are answered')
  t.same(tasks.map((x) => x.shard), [1, 1], 'two tasks on shard 1: the three operations together, then the one that waited')
  t.ok(tasks.every((x) => x.seconds > 0 && x.seconds < 60), 'round trips in seconds')
})

t.test('a shard task result carries its fdatasync times, and only once', async (t) => {
  const io = new NodeFileIO()
  const runner = createShardRunner({ shardId: 0, dataDir: tempDir(t), fsync: 'always', producerIdExpirationMs: 86_400_000 }, io)
  const run = (task: ShardTask): ShardTaskResult => {
    const out = runner(task) as Record<symbol, unknown>
    return (Piscina.valueSymbol in out ? out[Piscina.valueSymbol] : out) as ShardTaskResult
  }
  const ref = { topic: 'timed', partition: 0 }
  const opened = run({ ops: [{ ...ref, op: 'open', config: defaultLogConfig, clean: true, recoveryPoint: 0 }], data: null, now: Date.now() })
  t.equal(opened.flushMs, undefined, 'opening synced nothing: no field at all')
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('v') }] })
  const data = batch.buffer.slice(batch.byteOffset, batch.byteOffset + batch.length) as ArrayBuffer
  const appended = run({ ops: [{ ...ref, op: 'append', offset: 0, length: batch.length }], data, now: Date.now() })
  t.equal(appended.results[0]!.ok, true)
  t.equal(appended.flushMs?.length, 1, '--fsync always: the one fdatasync of the .log, timed')
  t.ok(appended.flushMs![0]! >= 0)
  const sizes = run({ ops: [{ op: 'logSizes' }], data: null, now: Date.now() })
  t.equal(sizes.flushMs, undefined, 'reported once: the next task that syncs nothing carries none')
  const closed = run({ ops: [{ op: 'close' }], data: null, now: Date.now() })
  t.ok((closed.flushMs?.length ?? 0) >= 1, `close flushes the indexes too (${closed.flushMs?.length} fdatasyncs)`)
})

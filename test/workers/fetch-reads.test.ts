// A Fetch request's reads on one shard (one "group"): the response budget is applied
// inside the shard task in request order, as Kafka's readFromLog does, the bytes land
// back to back in one buffer, and that buffer is the one the main thread handed back.
// Runs the shard's task runner in-process on MemoryFileIO.

import t from 'tap'
import { Piscina } from 'piscina'
import { createShardRunner } from '../../src/workers/shard-worker.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import { defaultLogConfig } from '../../storage/log-config.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import type { ShardOp, ShardTask, ShardTaskResult } from '../../src/workers/shard-protocol.ts'

type Loose = Record<string, any> & { ok: boolean }
const TOPIC = 'reads'
const BATCHES = 4

function run(runner: (task: ShardTask) => unknown, task: ShardTask): ShardTaskResult {
  const out = runner(task) as Record<symbol, unknown>
  return (Piscina.valueSymbol in out ? out[Piscina.valueSymbol] : out) as ShardTaskResult
}

// Every batch of partition p has the same size; values carry the partition and batch number.
function batch(p: number, i: number): Buffer {
  return buildRecordBatch({ records: Array.from({ length: 4 }, (_, r) => ({ value: Buffer.alloc(200, `${p}${i}${r}`) })) })
}

/** A runner whose partitions 0-2 each hold BATCHES batches; returns it and one batch's size. */
function filledShard(): { runner: (task: ShardTask) => unknown; size: number } {
  const runner = createShardRunner({ shardId: 0, dataDir: '/data', fsync: 'never', producerIdExpirationMs: 86_400_000 }, new MemoryFileIO())
  const opens: ShardOp[] = [0, 1, 2].map((partition) => ({ op: 'open', topic: TOPIC, partition, config: defaultLogConfig, clean: true, recoveryPoint: 0 }))
  run(runner, { ops: opens, data: null, now: Date.now() })
  const batches: Buffer[] = []
  const ops: ShardOp[] = []
  let offset = 0
  for (let p = 0; p < 3; p++) {
    for (let i = 0; i < BATCHES; i++) {
      const b = batch(p, i)
      ops.push({ op: 'append', topic: TOPIC, partition: p, offset, length: b.length })
      batches.push(b)
      offset += b.length
    }
  }
  const data = Buffer.concat(batches)
  const res = run(runner, { ops, data: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer, now: Date.now() })
  if ((res.results as Loose[]).some((r) => !r.ok)) throw new Error('append failed')
  return { runner, size: batches[0]!.length }
}

interface Want {
  partition: number
  fetchOffset: number
  maxBytes: number
}

/** One grouped read task; returns each read's byte count and records, plus the result. */
function groupRead(runner: (task: ShardTask) => unknown, wants: Want[], responseMaxBytes: number, readBuffers?: ArrayBuffer[]): { lengths: number[]; records: Buffer[]; res: ShardTaskResult } {
  const ops: ShardOp[] = wants.map((w) => ({ op: 'read', topic: TOPIC, partition: w.partition, fetchOffset: w.fetchOffset, maxBytes: w.maxBytes, group: 7, responseMaxBytes }))
  const task: ShardTask = { ops, data: null, now: Date.now() }
  if (readBuffers !== undefined) task.readBuffers = readBuffers
  const res = run(runner, task)
  const results = res.results as Loose[]
  const records = results.map((r) => {
    if (!r.ok) throw new Error(`read failed: ${r.message}`)
    if (r.recordsLength === 0) return Buffer.alloc(0)
    return Buffer.from(res.owned![r.recordsBuffer]!).subarray(r.recordsOffset, r.recordsOffset + r.recordsLength)
  })
  return { lengths: results.map((r) => r.recordsLength as number), records, res }
}

/** The same partition read alone, ungrouped: what the bytes must equal. */
function plainRead(runner: (task: ShardTask) => unknown, partition: number, fetchOffset: number, maxBytes: number): Buffer {
  const res = run(runner, { ops: [{ op: 'read', topic: TOPIC, partition, fetchOffset, maxBytes }], data: null, now: Date.now() })
  const r = res.results[0] as Loose
  if (r.recordsLength === 0) return Buffer.alloc(0)
  const from = r.recordsBuffer === undefined ? Buffer.from(res.data!) : Buffer.from(res.owned![r.recordsBuffer]!)
  return from.subarray(r.recordsOffset, r.recordsOffset + r.recordsLength)
}

t.test('the response budget is spent in request order inside the shard', async (t) => {
  const { runner, size } = filledShard()
  const all = BATCHES * size
  const wants = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0, maxBytes: all }))

  let r = groupRead(runner, wants, 2 * size + size / 2)
  t.same(r.lengths, [2 * size, 0, 0], 'the first partition takes the whole batches that fit; nothing is left for a whole batch of the others')

  r = groupRead(runner, wants, 5 * size)
  t.same(r.lengths, [all, size, 0], 'the second partition gets what is left, in whole batches')

  r = groupRead(runner, [{ partition: 0, fetchOffset: 0, maxBytes: size + 1 }, { partition: 1, fetchOffset: 0, maxBytes: all }, { partition: 2, fetchOffset: 0, maxBytes: all }], 3 * size)
  t.same(r.lengths, [size, 2 * size, 0], 'a partition limit below the budget leaves the rest to the next ones')

  r = groupRead(runner, wants, 10)
  t.same(r.lengths, [size, 0, 0], 'KIP-74: a budget below one batch still returns the first batch whole, and only that one')

  r = groupRead(runner, [{ partition: 0, fetchOffset: BATCHES * 4, maxBytes: all }, { partition: 1, fetchOffset: 0, maxBytes: 10 }, { partition: 2, fetchOffset: 0, maxBytes: all }], 10)
  t.same(r.lengths, [0, size, 0], 'a caught-up first partition passes the whole-first-batch exemption on to the next one')

  r = groupRead(runner, wants, 0x7fffffff)
  t.same(r.lengths, [all, all, all])
  for (let p = 0; p < 3; p++) t.ok(r.records[p]!.equals(plainRead(runner, p, 0, all)), `partition ${p}: the same bytes as a read of its own`)
  const results = r.res.results as Loose[]
  t.equal(r.res.owned!.length, 1, 'one buffer for the whole group')
  t.same(results.map((x) => x.recordsOffset), [0, all, 2 * all], 'placed back to back')
  t.same(r.res.recyclable, [0], 'and marked as a fetch buffer to hand back')

  r = groupRead(runner, [{ partition: 1, fetchOffset: 5, maxBytes: all }], 0x7fffffff)
  t.ok(r.records[0]!.equals(plainRead(runner, 1, 4, all)), 'an offset inside a batch starts at that batch')
})

t.test('a fetch buffer handed back is read into again', async (t) => {
  const { runner, size } = filledShard()
  const wants = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0, maxBytes: BATCHES * size }))
  const first = groupRead(runner, wants, 0x7fffffff)
  const buffer = first.res.owned![0]!
  const again = groupRead(runner, wants, 0x7fffffff, [buffer])
  t.equal(again.res.owned![0], buffer, 'the returned ArrayBuffer, not a fresh one')
  const third = groupRead(runner, wants, 0x7fffffff)
  t.not(third.res.owned![0], buffer, 'while it is out with a response, the shard reads into another')

  const empty = groupRead(runner, [{ partition: 0, fetchOffset: BATCHES * 4, maxBytes: 1 << 20 }], 0x7fffffff, [buffer])
  t.equal(empty.res.owned, undefined, 'a group that read nothing sends no buffer')
  t.equal(empty.res.recyclable, undefined)
  const next = groupRead(runner, wants, 0x7fffffff)
  t.equal(next.res.owned![0], buffer, 'and kept the one it was given for the next read')
})

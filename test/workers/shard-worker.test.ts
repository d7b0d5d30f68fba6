// A shard's task runner, in-process on the fault-injecting MemoryFileIO: with
// --fsync always an append is acknowledged only once it is durable (it survives a
// simulated power loss), with never it is not; and validation failures append nothing.

import t from 'tap'
import { Piscina } from 'piscina'
import { createShardRunner } from '../../src/workers/shard-worker.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import { defaultLogConfig } from '../../storage/log-config.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { ShardTask, ShardTaskResult } from '../../src/workers/shard-protocol.ts'

const config = defaultLogConfig
const ref = { topic: 'orders', partition: 0 }
const init = (fsync: 'always' | 'never') => ({ shardId: 0, dataDir: '/data', fsync, producerIdExpirationMs: 86_400_000 })
// Tests read fields of whichever result an op got; the error code of a success is 0.
type Loose = Record<string, any> & { ok: boolean }
const errorOf = (r: Loose): number => (r.ok ? 0 : r.error)
const results = (res: ShardTaskResult): Loose[] => res.results as Loose[]

function appendTask(batches: Buffer[]): ShardTask {
  const data = Buffer.concat(batches)
  let offset = 0
  const ops = batches.map((b) => {
    const op = { ...ref, op: 'append' as const, offset, length: b.length }
    offset += b.length
    return op
  })
  return { ops, data: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer, now: Date.now() }
}

// Results that carry bytes come wrapped for piscina to transfer; unwrap as piscina would.
function openTask(): ShardTask {
  return { ops: [{ ...ref, op: 'open', config, clean: true, recoveryPoint: 0 }], data: null, now: Date.now() }
}

function run(runner: (task: ShardTask) => unknown, task: ShardTask): ShardTaskResult {
  const out = runner(task) as Record<symbol, unknown>
  return (Piscina.valueSymbol in out ? out[Piscina.valueSymbol] : out) as ShardTaskResult
}

function batch(n: number): Buffer {
  return buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })) })
}

function endAfterCrash(fsync: 'always' | 'never'): number {
  const io = new MemoryFileIO()
  const runner = createShardRunner(init(fsync), io)
  run(runner, openTask())
  const res = run(runner, appendTask([batch(3), batch(2)]))
  if (results(res).some((r) => !r.ok)) throw new Error('append failed')
  io.crash()
  const after = createShardRunner(init(fsync), io)
  const open = run(after, { ops: [{ ...ref, op: 'open', config, clean: false, recoveryPoint: 0 }], data: null, now: Date.now() })
  return results(open)[0]!.highWatermark
}

t.test('fsync always: acknowledged appends survive a power loss', async (t) => {
  t.equal(endAfterCrash('always'), 5, 'both batches (5 records) are still there')
})

t.test('fsync never: the same appends are lost, which is what the always mode prevents', async (t) => {
  t.equal(endAfterCrash('never'), 0, 'nothing was durable')
})

t.test('one task carries several partitions and reports each result in order', async (t) => {
  const io = new MemoryFileIO()
  const runner = createShardRunner(init('never'), io)
  run(runner, openTask())
  const corrupt = batch(2)
  corrupt[corrupt.length - 1]! ^= 1
  const res = run(runner, appendTask([batch(2), corrupt, batch(4)]))
  t.same(results(res).map(errorOf), [0, ErrorCode.CORRUPT_MESSAGE, 0])
  t.same(results(res).map((r) => r.baseOffset), [0, undefined, 2], 'the corrupt batch took no offsets')
  const read = run(runner, { ops: [{ ...ref, op: 'read', fetchOffset: 0, maxBytes: 1 << 20 }], data: null, now: Date.now() })
  t.equal(results(read)[0]!.recordsLength, read.data!.byteLength, 'fetched bytes come back packed in one transferable buffer')
  t.equal(results(read)[0]!.highWatermark, 6)
})

t.test('only open creates a log: a read or append for a deleted partition does not bring it back', async (t) => {
  const io = new MemoryFileIO()
  const runner = createShardRunner(init('never'), io)
  run(runner, openTask())
  run(runner, { ops: [{ op: 'delete', topic: 'orders', partition: 0, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], data: null, now: Date.now() })
  const read = run(runner, { ops: [{ ...ref, op: 'read', fetchOffset: 0, maxBytes: 1024 }], data: null, now: Date.now() })
  t.equal(errorOf(results(read)[0]!), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const append = run(runner, appendTask([batch(1)]))
  t.equal(errorOf(results(append)[0]!), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  t.notOk(io.exists('/data/orders-0'), 'the directory stays deleted')
})

t.test('large reads travel in their own buffer, pooled ones are packed; both arrive intact', async (t) => {
  const io = new MemoryFileIO()
  const runner = createShardRunner(init('never'), io)
  run(runner, openTask())
  const big = buildRecordBatch({ records: [{ value: Buffer.alloc(200 * 1024, 7) }] })
  const small = buildRecordBatch({ records: [{ value: Buffer.from('tiny') }] })
  run(runner, appendTask([big, small]))
  const read = (fetchOffset: number, maxBytes: number) => ({ ...ref, op: 'read' as const, fetchOffset, maxBytes })
  const res = run(runner, { ops: [read(0, 1 << 20), read(1, 1 << 20)], data: null, now: Date.now() })
  const [whole, tail] = results(res)
  t.equal(whole!.recordsBuffer, 0, 'the 200 KiB read is handed over without a copy')
  t.equal(res.owned![0]!.byteLength >= whole!.recordsLength!, true)
  t.equal(tail!.recordsBuffer, undefined, 'the small read is packed into data')
  const wholeBytes = Buffer.from(res.owned![0]!, whole!.recordsOffset!, whole!.recordsLength!)
  t.equal(wholeBytes.length, big.length + small.length)
  t.same(wholeBytes.subarray(61 + 10, 61 + 30), big.subarray(61 + 10, 61 + 30), 'record bytes intact')
  const tailBytes = Buffer.from(res.data!, tail!.recordsOffset!, tail!.recordsLength!)
  t.equal(tailBytes.length, small.length)
  t.equal(tailBytes.readInt32BE(8), small.readInt32BE(8), 'batch length intact')
})

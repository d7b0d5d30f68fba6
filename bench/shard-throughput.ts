// The shard runner alone, in-process on the in-memory file layer: appends per second for
// batches of one codec (1 KiB × 16 records, 64 per task over 8 partitions). Isolates what
// validation and decompression cost a shard, without sockets or the main thread. With a
// topic compression.type other than `producer`, batches in another codec are recompressed.
//   node bench/shard-throughput.ts [codec 0-4] [seconds] [topic compression.type]

import { Piscina } from 'piscina'
import { createShardRunner } from '../src/workers/shard-worker.ts'
import { MemoryFileIO } from '../storage/file-io.ts'
import { TOPIC_CONFIGS, resolveLogConfig, type TopicCompressionType } from '../storage/log-config.ts'
import { buildBatch } from './load/produce.ts'
import type { ShardOp, ShardTask, ShardTaskResult } from '../src/workers/shard-protocol.ts'

const codec = Number(process.argv[2] ?? 0)
const seconds = Number(process.argv[3] ?? 3)
const topicCodec = process.argv[4] ?? 'producer'
if (!TOPIC_CONFIGS['compression.type']!.parse(topicCodec).ok) throw new Error(`not a compression.type: ${topicCodec}`)
const config = resolveLogConfig({ compressionType: topicCodec as TopicCompressionType })
const runner = createShardRunner({ shardId: 0, dataDir: '/bench', fsync: 'never', producerIdExpirationMs: 86_400_000 }, new MemoryFileIO())
const unwrap = (r: unknown): ShardTaskResult => {
  const o = r as Record<symbol, unknown>
  return (Piscina.valueSymbol in o ? o[Piscina.valueSymbol] : o) as ShardTaskResult
}

const opens: ShardOp[] = Array.from({ length: 8 }, (_, partition) => ({ op: 'open', topic: 'bench', partition, config, clean: true, recoveryPoint: 0 }))
await runner({ ops: opens, data: null, now: Date.now() })
const batch = buildBatch(1024, 16, codec)
const perTask = 64
const data = Buffer.concat(Array.from({ length: perTask }, () => batch))
const ops: ShardOp[] = Array.from({ length: perTask }, (_, i) => ({ op: 'append', topic: 'bench', partition: i % 8, offset: i * batch.length, length: batch.length }))
const start = performance.now()
let tasks = 0
while (performance.now() - start < seconds * 1000) {
  const task: ShardTask = { ops, data: new Uint8Array(data).buffer, now: Date.now() }
  const res = unwrap(await runner(task))
  const failed = res.results.find((r) => !r.ok)
  if (failed !== undefined) throw new Error(`append failed: ${JSON.stringify(failed)}`)
  tasks++
}
const elapsed = (performance.now() - start) / 1000
const batches = tasks * perTask
process.stdout.write(`codec ${codec}, topic ${topicCodec}: ${(batches / elapsed).toFixed(0)} batches/s, ${((batches * 16 * 1024) / elapsed / 1e6).toFixed(0)} MB/s of records (${batch.length} B per batch on the wire)\n`)

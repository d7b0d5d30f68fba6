// Throughput as partitions grow (1, 10, 100, 1000) and as shards grow (1 … CPUs), with
// the default produce case otherwise; each point is also a ratio to its own TCP sink.

import { availableParallelism } from 'node:os'
import { type SuiteContext } from '../lib/result.ts'
import { DEFAULT_CASE, produceCase } from './throughput.ts'

export async function scalingSuite(ctx: SuiteContext): Promise<void> {
  const partitionCounts = ctx.mode === 'test' ? [1, 10] : [1, 10, 100, 1000]
  const byPartitions = []
  for (const partitions of partitionCounts) {
    const r = await produceCase(ctx, { ...DEFAULT_CASE, partitions }, { id: `scaling/partitions/${partitions}` })
    byPartitions.push({ x: partitions, y: r.mbPerSec, label: `${Math.round((r.ratio ?? 0) * 100)} %` })
  }
  ctx.run.series.push({ id: 'scaling-partitions', title: 'Produce throughput vs partitions (1 KiB × 16, acks=1)', xLabel: 'partitions', yLabel: 'MB/s', points: byPartitions, logX: true })

  const cpus = availableParallelism()
  const byShards = []
  for (let shards = 1; shards <= Math.max(cpus, 2); shards++) {
    const r = await produceCase(ctx, { ...DEFAULT_CASE, shards }, { id: `scaling/shards/${shards}` })
    byShards.push({ x: shards, y: r.mbPerSec, label: `${Math.round((r.ratio ?? 0) * 100)} %` })
  }
  ctx.run.series.push({ id: 'scaling-shards', title: `Produce throughput vs shards (8 partitions, ${cpus} CPUs)`, xLabel: 'shards', yLabel: 'MB/s', points: byShards })
}

// Sustained produce (issue 13, "no decay"): the headline load (1 KiB × 16, 8 partitions,
// acks=1, 1 connection × 8 in flight) for N minutes against one broker, in windows, with
// the throughput, broker CPU per MB and RSS of each window. The topic keeps at most
// retention.bytes per partition and the broker checks retention every few seconds, so
// disk use and the page cache stay bounded as they would in service; without that, the
// page cache grows by every window's bytes and on these VMs that alone slows writes
// several times (docs/performance.md). The machine's own drift is measured beside it:
// the same sequential page-cache write probe before the first window and after the last.

import { KafkaConn, createTopic } from '../lib/wire.ts'
import { runProduce } from '../load/produce.ts'
import { sequentialWrite } from '../baselines/disk.ts'
import { cpuMeter, sampleRss } from '../lib/proc.ts'
import { addBaseline, addResult, addTarget, fmt, withBroker, type SuiteContext } from '../lib/result.ts'

export interface SustainedOptions {
  minutes: number
  windowSeconds: number
}

export const SUSTAINED_DEFAULTS: SustainedOptions = { minutes: 10, windowSeconds: 60 }
let options: SustainedOptions = { ...SUSTAINED_DEFAULTS }

export function configureSustained(o: Partial<SustainedOptions>): void {
  options = { ...SUSTAINED_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) }
}

const PARTITIONS = 8
// 256 MiB per partition in 64 MiB segments: 2 GiB of log at most, a few GB of page cache.
const RETENTION_BYTES = 256 * 1024 * 1024
const SEGMENT_BYTES = 64 * 1024 * 1024
const RETENTION_CHECK_MS = 5_000

export async function sustainedSuite(ctx: SuiteContext): Promise<void> {
  const windowMs = ctx.mode === 'test' ? 1_000 : options.windowSeconds * 1000
  const windows = ctx.mode === 'test' ? 2 : Math.max(2, Math.round((options.minutes * 60_000) / windowMs))
  const probeMs = ctx.mode === 'test' ? 300 : 3_000
  const probe = (): number => sequentialWrite(ctx.scratch, 16 * 1024 + 61, probeMs, { files: PARTITIONS }).mbPerSec

  ctx.progress.step('sustained: sequential-write probe before')
  const before = probe()
  const rows: Array<{ mbPerSec: number; cpuMsPerMB: number; rssMB: number; errors: number }> = []
  await withBroker(ctx, { extraArgs: ['--set', `log.retention.check.interval.ms=${RETENTION_CHECK_MS}`] }, async (b) => {
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'sustained', PARTITIONS, { 'retention.bytes': String(RETENTION_BYTES), 'segment.bytes': String(SEGMENT_BYTES) })
    conn.close()
    for (let w = 0; w < windows; w++) {
      ctx.progress.step(`sustained: window ${w + 1}/${windows} (${windowMs / 1000} s)`)
      const cpu = cpuMeter(b.pid)
      const rss = sampleRss(b.pid, 500)
      const r = await runProduce({ port: b.port, topic: 'sustained', partitions: PARTITIONS, recordSize: 1024, recordsPerBatch: 16, connections: 1, inFlight: 8, acks: 1, compression: 0, durationMs: windowMs })
      const used = cpu.stop()
      const mb = r.batchBytes / 1e6
      rows.push({ mbPerSec: r.mbPerSec, cpuMsPerMB: mb > 0 ? (used.cpuSeconds * 1000) / mb : 0, rssMB: rss.stop() / 1e6, errors: r.errors })
      ctx.progress.log(`  window ${w + 1}: ${fmt(r.mbPerSec)} MB/s, broker ${fmt(rows[w]!.cpuMsPerMB)} ms CPU per MB, RSS ${fmt(rows[w]!.rssMB)} MB${r.errors > 0 ? `, ${r.errors} errors (first ${r.firstError})` : ''}`)
    }
  })
  ctx.progress.step('sustained: sequential-write probe after')
  const after = probe()

  const base = addBaseline(ctx, {
    id: 'sustained-write-probe', suite: 'sustained', title: 'sequential page-cache writes, 16 KiB × 8 files (before the windows)',
    durability: { acks: null, fsync: 'n/a', storage: 'disk' }, settings: { seconds: probeMs / 1000 }, value: before, unit: 'MB/s', metrics: { after }, backgroundCores: null,
  })
  const first = rows[0]!
  const last = rows[rows.length - 1]!
  const errors = rows.reduce((s, r) => s + r.errors, 0)
  const maxRss = Math.max(...rows.map((r) => r.rssMB))
  const lastRatio = last.mbPerSec / first.mbPerSec
  addResult(ctx, {
    id: 'sustained/last-window', suite: 'sustained', title: `produce, last of ${windows} windows of ${windowMs / 1000} s (1 KiB × 16, 8 part., acks=1, retention.bytes ${RETENTION_BYTES / 2 ** 20} MiB/part.)`,
    durability: { acks: 1, fsync: 'interval', storage: 'disk' }, settings: { windows, windowSeconds: windowMs / 1000 },
    value: last.mbPerSec, unit: 'MB/s',
    metrics: { firstWindowMBps: first.mbPerSec, lastOverFirst: lastRatio, minWindowMBps: Math.min(...rows.map((r) => r.mbPerSec)), maxRssMB: maxRss, firstCpuMsPerMB: first.cpuMsPerMB, lastCpuMsPerMB: last.cpuMsPerMB, probeBeforeMBps: before, probeAfterMBps: after, errors },
    baseline: base, backgroundCores: null,
  })
  ctx.run.series.push({ id: 'sustained', title: `Sustained produce per ${windowMs / 1000} s window (1 KiB × 16, acks=1)`, xLabel: 'window', yLabel: 'MB/s', points: rows.map((r, i) => ({ x: i + 1, y: r.mbPerSec })) })
  addTarget(ctx, {
    id: 'sustained-no-decay', target: `${fmt((windows * windowMs) / 60_000)} min of sustained produce: last window within 10 % of the first, no errors`,
    measured: `${fmt(first.mbPerSec)} → ${fmt(last.mbPerSec)} MB/s (${fmt(lastRatio * 100)} %); write probe ${fmt(before)} → ${fmt(after)} MB/s`,
    met: errors === 0 && lastRatio >= 0.9, note: 'the probe shows how much the machine itself drifted over the same time',
  })
  addTarget(ctx, {
    id: 'sustained-rss', target: 'RSS bounded under sustained produce (the last window\'s peak ≤ 1.25 × the first\'s)',
    measured: `${fmt(first.rssMB)} → ${fmt(last.rssMB)} MB (max ${fmt(maxRss)} MB)`,
    met: last.rssMB <= first.rssMB * 1.25, note: '',
  })
}

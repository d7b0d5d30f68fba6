// Log cleaner throughput: fills a compacted log on real files (temp dir) with keyed
// records in small segments, cleans it once, and prints MB/s of source log read, by wall
// clock and by the process's CPU time (the machine is shared: CPU time is the steadier
// figure), and the CPU cost per record per pass.
//   npx node bench/cleaner-throughput.ts [records=500000] [keys=10000] [valueBytes=100] [codec=0]

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRecordBatch } from '../protocol/records/record-batch-builder.ts'
import { NodeFileIO } from '../storage/file-io.ts'
import { resolveLogConfig } from '../storage/log-config.ts'
import { PartitionLog } from '../storage/partition-log.ts'
import { LogCleaner } from '../storage/log-cleaner.ts'

const [records = 500_000, keys = 10_000, valueBytes = 100, codec = 0] = process.argv.slice(2).map(Number)
const root = mkdtempSync(join(tmpdir(), 'samsa-cleaner-bench-'))
try {
  const io = new NodeFileIO()
  const log = PartitionLog.open(io, join(root, 't-0'), resolveLogConfig({ cleanupPolicy: 'compact', segmentBytes: 4 * 1024 * 1024 }), { clean: true, recoveryPoint: 0, now: 0 })
  const value = Buffer.alloc(valueBytes, 'v')
  for (let i = 0; i < records; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => ({ key: Buffer.from(`key-${(i + j) * 7919 % keys}`), value, timestamp: 1_000 }))
    log.append(buildRecordBatch({ records: batch, compression: codec }), 1_000)
  }
  log.roll(1_000)
  log.flush()
  const before = log.size
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  const stats = new LogCleaner().cleanNow(log, 2_000)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStarted)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const mb = stats.bytesRead / 1e6
  console.log(`cleaned ${(before / 1e6).toFixed(1)} MB -> ${(log.size / 1e6).toFixed(1)} MB (${records} records, ${keys} keys, codec ${codec}) in ${seconds.toFixed(2)} s`)
  console.log(`read ${mb.toFixed(1)} MB (map + clean passes), wrote ${(stats.bytesWritten / 1e6).toFixed(1)} MB: ${(mb / seconds).toFixed(1)} MB/s read, ${(before / 1e6 / seconds).toFixed(1)} MB/s of log cleaned`)
  console.log(`CPU ${cpuSeconds.toFixed(2)} s: ${(mb / cpuSeconds).toFixed(1)} MB/s read per CPU second, ${(cpuSeconds * 1e6 / stats.recordsRead).toFixed(2)} µs per record per pass (${stats.recordsRead} records read)`)
  console.log(`command: npx node bench/cleaner-throughput.ts ${records} ${keys} ${valueBytes} ${codec}`)
  log.close()
} finally {
  rmSync(root, { recursive: true, force: true })
}

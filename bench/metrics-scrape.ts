// Does a Prometheus scrape every second slow produce? The headline produce load
// (1 KiB × 16 records, 8 partitions, acks=1) against one broker with its HTTP listener,
// alternating rounds with and without a /metrics scrape every second; medians and their
// ratio, as docs/performance.md reports them.
//   node bench/metrics-scrape.ts [--rounds 3] [--seconds 4]
// The scraped text includes the shard queue depth, task-time and fsync histograms.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KafkaConn, createTopic } from './lib/wire.ts'
import { runProduce } from './load/produce.ts'
import { spawnBroker } from './lib/proc.ts'

const usage = 'usage: node bench/metrics-scrape.ts [--rounds N (3)] [--seconds S per run (4)]\n'
const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
if (values.help === true) {
  process.stdout.write(usage)
  process.exit(0)
}
const rounds = Number(values.rounds ?? 3)
const durationMs = Number(values.seconds ?? 4) * 1000
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function once(scrape: boolean): Promise<{ mbPerSec: number; scrapes: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-scrape-'))
  const b = await spawnBroker({ build: 'source', dataDir, fsync: 'interval', extraArgs: ['--http-port', '0'] })
  try {
    const http = Number(/http on [^\s]+:(\d+)/.exec(b.output())?.[1])
    if (!(http > 0)) throw new Error(`no HTTP port in the banner:\n${b.output()}`)
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'scraped', 8)
    conn.close()
    let scrapes = 0
    const timer = scrape
      ? setInterval(() => {
          void fetch(`http://127.0.0.1:${http}/metrics`).then((r) => r.text()).then(() => scrapes++)
        }, 1000)
      : null
    const r = await runProduce({ port: b.port, topic: 'scraped', partitions: 8, recordSize: 1024, recordsPerBatch: 16, connections: 1, inFlight: 8, compression: 0, acks: 1, durationMs })
    if (timer !== null) clearInterval(timer)
    return { mbPerSec: r.mbPerSec, scrapes }
  } finally {
    await b.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const without: number[] = []
const withScrape: number[] = []
for (let i = 0; i < rounds; i++) {
  const a = await once(false)
  without.push(a.mbPerSec)
  const s = await once(true)
  withScrape.push(s.mbPerSec)
  process.stdout.write(`round ${i + 1}: no scrape ${a.mbPerSec.toFixed(1)} MB/s, scrape every 1 s ${s.mbPerSec.toFixed(1)} MB/s (${s.scrapes} scrapes)\n`)
}
const ratio = median(withScrape) / median(without)
process.stdout.write(`command: node bench/metrics-scrape.ts --rounds ${rounds} --seconds ${durationMs / 1000}\n`)
process.stdout.write(`median: no scrape ${median(without).toFixed(1)} MB/s, with scrape ${median(withScrape).toFixed(1)} MB/s, ratio ${ratio.toFixed(3)}\n`)

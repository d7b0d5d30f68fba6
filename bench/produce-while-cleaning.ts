// Produce throughput while the log cleaner works, against the same without cleaning, in
// one run. One in-process broker (real files in a temp dir); before each measured window
// a compacted topic is refilled with keyed records (dirty data); then, alternating,
// keyless 1 KiB batches go to another topic for the window's length either with the
// cleaner idle or while `cleanLogs()` compacts the refilled topic on the shards. The load
// generator shares the process with the broker in both halves, so the ratio is fair even
// where the absolute figures are not Samsa's best.
//   npx node bench/produce-while-cleaning.ts [rounds=3] [seconds=3] [tableMB=300]

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { startBroker } from '../src/broker.ts'
import { buildRecordBatch } from '../protocol/records/record-batch-builder.ts'
import { runProduce } from './load/produce.ts'
import { KafkaConn, createTopic, produceFrame, readProduceResponse } from './lib/wire.ts'

const [rounds = 3, seconds = 3, tableMb = 300] = process.argv.slice(2).map(Number)
const TABLE_PARTITIONS = 4
const KEYS = 20_000
const VALUE = Buffer.alloc(100, 'v')
const RECORDS_PER_BATCH = 100
const IN_FLIGHT = 32

const root = mkdtempSync(join(tmpdir(), 'samsa-clean-produce-'))
const broker = await startBroker(
  { host: '127.0.0.1', port: 0, dataDir: root, httpPort: -1, logCleanerBackoffMs: 3_600_000 },
  { logger: pino({ level: 'warn' }) },
)
let round = 0
let sequence = 0

/** Writes about tableMb of keyed records (every key many times over) into `table`. */
async function refillTable(conn: KafkaConn): Promise<void> {
  const batchBytes = RECORDS_PER_BATCH * (VALUE.length + 20)
  const batches = Math.ceil((tableMb * 1e6) / batchBytes)
  let pending: Array<Promise<Buffer>> = []
  for (let i = 0; i < batches; i++) {
    const records = Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: Buffer.from(`key-${(sequence++ * 7919) % KEYS}`), value: VALUE, timestamp: Date.now() }))
    pending.push(conn.request(produceFrame('table', [i % TABLE_PARTITIONS], buildRecordBatch({ records }), 1, i + 1)))
    if (pending.length >= IN_FLIGHT) {
      for (const f of await Promise.all(pending)) if (readProduceResponse(f).errors > 0) throw new Error('table refill failed')
      pending = []
    }
  }
  for (const f of await Promise.all(pending)) if (readProduceResponse(f).errors > 0) throw new Error('table refill failed')
}

async function produceEvents(): Promise<number> {
  const r = await runProduce({ port: broker.port, topic: 'events', partitions: 8, recordSize: 1024, recordsPerBatch: 16, connections: 1, inFlight: 4, acks: 1, compression: 0, durationMs: seconds * 1000 })
  if (r.errors > 0) throw new Error(`produce failed: ${r.firstError}`)
  return r.mbPerSec
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
try {
  const conn = await KafkaConn.open(broker.port)
  conn.socket.setMaxListeners(IN_FLIGHT + 10)
  // Small segments so most of the table is below the active segment, hence cleanable.
  await createTopic(conn, 'table', TABLE_PARTITIONS, { 'cleanup.policy': 'compact', 'segment.bytes': String(4 * 1024 * 1024), 'min.cleanable.dirty.ratio': '0.01' })
  await createTopic(conn, 'events', 8)
  const idle: number[] = []
  const cleaning: number[] = []
  for (round = 1; round <= rounds; round++) {
    process.stderr.write(`round ${round}/${rounds}: refilling the compacted topic (${tableMb} MB)\n`)
    await refillTable(conn)
    const order = round % 2 === 1 ? ['idle', 'cleaning'] : ['cleaning', 'idle']
    for (const mode of order) {
      if (mode === 'idle') {
        idle.push(await produceEvents())
        continue
      }
      const started = performance.now()
      let cleanMs = -1
      const clean = broker.cleanLogs().then((n) => {
        cleanMs = performance.now() - started
        return n
      })
      cleaning.push(await produceEvents())
      const cleans = await clean
      const overlap = cleanMs < 0 || cleanMs >= seconds * 1000 ? 'the whole window' : `${(cleanMs / 1000).toFixed(1)} s of the ${seconds} s window`
      process.stderr.write(`  cleaner: ${cleans} cleans, running for ${overlap}\n`)
    }
    console.log(`round ${round}: idle cleaner ${idle.at(-1)!.toFixed(1)} MB/s, while cleaning ${cleaning.at(-1)!.toFixed(1)} MB/s`)
  }
  conn.close()
  console.log(`command: npx node bench/produce-while-cleaning.ts ${rounds} ${seconds} ${tableMb}`)
  console.log(`median: idle cleaner ${median(idle).toFixed(1)} MB/s, while cleaning ${median(cleaning).toFixed(1)} MB/s, ratio ${(median(cleaning) / median(idle)).toFixed(3)}`)
} finally {
  await broker.close()
  rmSync(root, { recursive: true, force: true })
}

// Reads back what a broker stored in a partition, over the wire with RawClient fetches:
// every record with its offset and the producer id, epoch and sequence of its batch, so
// tests can check order, density and idempotent-producer bookkeeping independently of the
// client that produced. Also DescribeProducers and a free TCP port for fixed-port restarts.

import { createServer } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { RawClient } from './raw-client.ts'
import { fetch, splitBatches } from './wire-requests.ts'
import { decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { readBatchHeader, LOG_OVERHEAD, BATCH_LENGTH_OFFSET, RECORD_COUNT_OFFSET, BATCH_HEADER_SIZE } from '../../protocol/records/record-batch.ts'
import type { DescribeProducersResponse, ProducerState } from '../../protocol/messages/describe-producers-response.ts'

export interface StoredRecord {
  offset: number
  key: string | null
  /** The value's first `valuePrefix` bytes (latin1), enough to identify a message. */
  value: string | null
  valueLength: number
  producerId: number
  producerEpoch: number
  /** The record's sequence (batch base sequence + offset delta), or -1 for a non-idempotent batch. */
  sequence: number
}

/**
 * Every record of one partition from offset 0 up to its high watermark (read at the
 * start), in offset order. Throws if a fetch errors or stops making progress.
 */
export async function readPartition(port: number, topic: string, partition: number, opts: { valuePrefix?: number; partitionMaxBytes?: number } = {}): Promise<StoredRecord[]> {
  const valuePrefix = opts.valuePrefix ?? 64
  const c = await RawClient.connect(port)
  try {
    const out: StoredRecord[] = []
    let offset = 0
    let end = -1
    for (let round = 0; round < 100_000; round++) {
      const res = await fetch(c, 12, [{ topic, partition, offset, partitionMaxBytes: opts.partitionMaxBytes ?? 4 << 20 }], { maxBytes: 16 << 20 })
      const p = res.responses[0]!.partitions[0]!
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p.errorCode}`)
      if (end < 0) end = p.highWatermark
      if (offset >= end) return out
      const batches = splitBatches(p.records)
      if (batches.length === 0) throw new Error(`fetch ${topic}-${partition} at ${offset} returned no whole batch (high watermark ${p.highWatermark})`)
      for (const b of batches) {
        const h = readBatchHeader(b)
        for (const r of decodeAllRecords(b)) {
          if (r.offset < offset) continue
          if (r.offset >= end) break
          out.push({
            offset: r.offset,
            key: r.key === null ? null : r.key.toString('latin1'),
            value: r.value === null ? null : r.value.toString('latin1', 0, Math.min(valuePrefix, r.value.length)),
            valueLength: r.value === null ? -1 : r.value.length,
            producerId: h.producerId,
            producerEpoch: h.producerEpoch,
            sequence: h.baseSequence < 0 ? -1 : (h.baseSequence + (r.offset - h.baseOffset)) % 0x80000000,
          })
          offset = r.offset + 1
        }
      }
    }
    throw new Error(`reading ${topic}-${partition} did not finish`)
  } finally {
    c.close()
  }
}

/** DescribeProducers v0 for some partitions of one topic. */
export async function describeProducers(port: number, topic: string, partitions: number[]): Promise<Array<{ partition: number; errorCode: number; producers: ProducerState[] }>> {
  const c = await RawClient.connect(port)
  try {
    const res = await c.request<DescribeProducersResponse>(61, 0, { topics: [{ name: topic, partitionIndexes: partitions }] })
    return res.topics[0]!.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, producers: p.activeProducers }))
  } finally {
    c.close()
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (listen on 0, note the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/**
 * Records in the whole batches of a partition's segment files on disk (a torn trailing
 * batch is not counted): the log end a restart will recover to, read while no broker runs.
 */
export function recordsOnDisk(dataDir: string, topic: string, partition: number): number {
  const dir = join(dataDir, `${topic}-${partition}`)
  let records = 0
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const log = readFileSync(join(dir, f))
    let pos = 0
    while (pos + BATCH_HEADER_SIZE <= log.length) {
      const size = LOG_OVERHEAD + log.readInt32BE(pos + BATCH_LENGTH_OFFSET)
      if (size < BATCH_HEADER_SIZE || pos + size > log.length) break
      records += log.readInt32BE(pos + RECORD_COUNT_OFFSET)
      pos += size
    }
  }
  return records
}

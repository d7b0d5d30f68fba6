// After fuzzing: every partition of every topic is read from its log start to its high
// watermark with plain fetches, as a consumer would, and every stored batch must be one
// a client can read: magic 2, CRC-valid, its records decode (decodeRecords) to exactly
// recordCount records at consecutive offsets, each batch starting where the last ended.

import { fetchRequest, splitBatches } from '../helpers/wire-requests.ts'
import { WireClient } from './wire-client.ts'
import { defaultMetadataRequest, type MetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'
import type { ListOffsetsResponse } from '../../protocol/messages/list-offsets-response.ts'
import { decodeRecords } from '../../protocol/records/record-decoder.ts'
import { batchBaseOffset, batchMagic, batchRecordCount, batchLastOffsetDelta, isCrcValid, LOG_OVERHEAD, BATCH_LENGTH_OFFSET } from '../../protocol/records/record-batch.ts'

export interface UnreadableBatch {
  topic: string
  partition: number
  offset: number
  reason: string
  /** The stored batch (or what the fetch returned at that offset). */
  bytes: Buffer
}

export interface ReadbackResult {
  topics: number
  partitions: number
  batches: number
  records: number
  bytes: number
  problems: UnreadableBatch[]
}

const TIMEOUT_MS = 60_000

export async function readEverything(port: number, maxProblems = 20): Promise<ReadbackResult> {
  const c = await WireClient.connect(port)
  const request = <T>(apiKey: number, version: number, body: unknown): Promise<T> => c.request<T>(apiKey, version, body, TIMEOUT_MS)
  const out: ReadbackResult = { topics: 0, partitions: 0, batches: 0, records: 0, bytes: 0, problems: [] }
  try {
    const md: MetadataRequest = { ...defaultMetadataRequest(), topics: null, allowAutoTopicCreation: false }
    const meta = await request<MetadataResponse>(3, 12, md)
    for (const t of meta.topics) {
      if (t.errorCode !== 0 || t.name === null) continue
      out.topics++
      const partitions = t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
      out.partitions += partitions.length
      // Log start and end of every partition (ListOffsets earliest and latest).
      const bounds = new Map<number, { start: number; end: number; error: number }>()
      for (const timestamp of [-2, -1]) {
        const res = await request<ListOffsetsResponse>(2, 7, {
          replicaId: -1,
          isolationLevel: 0,
          timeoutMs: 0,
          topics: [{ name: t.name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
        })
        for (const p of res.topics[0]?.partitions ?? []) {
          const b = bounds.get(p.partitionIndex) ?? { start: 0, end: 0, error: 0 }
          if (p.errorCode !== 0) b.error = p.errorCode
          else if (timestamp === -2) b.start = Number(p.offset)
          else b.end = Number(p.offset)
          bounds.set(p.partitionIndex, b)
        }
      }
      for (const partition of partitions) {
        const b = bounds.get(partition)
        if (b === undefined || b.error !== 0) {
          out.problems.push({ topic: t.name, partition, offset: 0, reason: b === undefined ? 'ListOffsets left the partition out' : `ListOffsets error ${b.error}`, bytes: Buffer.alloc(0) })
          continue
        }
        const { start, end } = b
        if (end <= start) continue
        await readPartition(request, t.name, partition, start, end, out)
        if (out.problems.length >= maxProblems) return out
      }
    }
    return out
  } finally {
    c.close()
  }
}

async function readPartition(request: <T>(apiKey: number, version: number, body: unknown) => Promise<T>, topic: string, partition: number, start: number, end: number, out: ReadbackResult): Promise<void> {
  let next = start
  let first = true
  while (next < end) {
    const f = await request<FetchResponse>(1, 12, fetchRequest([{ topic, partition, offset: next, partitionMaxBytes: 8 << 20 }], { maxWaitMs: 0, maxBytes: 64 << 20 }))
    const p = f.responses[0]?.partitions[0]
    if (p === undefined || p.errorCode !== 0) {
      out.problems.push({ topic, partition, offset: next, reason: `fetch at ${next} (high watermark ${end}): error ${p?.errorCode ?? 'no partition'}`, bytes: Buffer.alloc(0) })
      return
    }
    const records = p.records ?? Buffer.alloc(0)
    const batches = splitBatches(records)
    if (batches.length === 0) {
      const size = records.length >= LOG_OVERHEAD ? records.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD : -1
      out.problems.push({ topic, partition, offset: next, reason: `stalled at ${next} below the high watermark ${end}: the fetch returned ${records.length} bytes and no whole batch (first batch declares ${size} bytes)`, bytes: Buffer.from(records) })
      return
    }
    for (const b of batches) {
      const base = batchBaseOffset(b)
      const last = base + batchLastOffsetDelta(b)
      if (last < next) continue // the batch holding the fetch offset, already read
      const problem = checkBatch(b, next, first)
      first = false
      if (problem !== null) {
        out.problems.push({ topic, partition, offset: base, reason: problem, bytes: Buffer.from(b) })
        return
      }
      out.batches++
      out.records += batchRecordCount(b)
      out.bytes += b.length
      next = last + 1
    }
  }
}

function checkBatch(b: Buffer, expectedBase: number, first: boolean): string | null {
  if (batchMagic(b) !== 2) return `magic ${batchMagic(b)}`
  if (!isCrcValid(b)) return 'CRC mismatch'
  const base = batchBaseOffset(b)
  if (base > expectedBase || (base < expectedBase && !first)) return `batch starts at ${base}, the previous one ended before ${expectedBase}`
  const count = batchRecordCount(b)
  if (batchLastOffsetDelta(b) !== count - 1) return `recordCount ${count} with lastOffsetDelta ${batchLastOffsetDelta(b)}`
  let records
  try {
    records = decodeRecords(b)
  } catch (err) {
    return `records do not decode: ${(err as Error).message}`
  }
  if (records.length !== count) return `${records.length} records decoded, recordCount says ${count}`
  for (let i = 0; i < records.length; i++) if (records[i]!.offset !== base + i) return `record ${i} at offset ${records[i]!.offset}, expected ${base + i}`
  return null
}

// Builds magic-2 record batches (header + DefaultRecord records + CRC-32C) for tests,
// benchmarks and the broker's own internal topics. Clients' batches never pass through
// here: the broker stores what it receives.

import { compress } from './compression.ts'
import {
  ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK, CURRENT_MAGIC, Compression, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD,
  MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_FLAG_MASK, setBaseOffset, updateBatchCrc, writeInt64,
} from './record-batch.ts'
import { sizeOfVarint, writeVarint } from './varint.ts'

export { decodeRecords, decodeAllRecords, type DecodedRecord, type RecordHeader } from './record-decoder.ts'

export interface RecordInput {
  key?: Buffer | null
  value: Buffer | null
  headers?: { key: string; value: Buffer | null }[]
  /** Defaults to the batch's baseTimestamp. */
  timestamp?: number
}

export interface BuildBatchOptions {
  records: RecordInput[]
  baseOffset?: number
  /** Defaults to the first record's timestamp, else Date.now(). */
  baseTimestamp?: number
  partitionLeaderEpoch?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  isTransactional?: boolean
  isControl?: boolean
  /** Marks the batch LogAppendTime (attribute bit 3); maxTimestamp then holds that time. */
  logAppendTime?: number
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression?: number
}

function recordBodySize(r: RecordInput, timestampDelta: number, offsetDelta: number): number {
  let size = 1 + sizeOfVarint(timestampDelta) + sizeOfVarint(offsetDelta)
  const key = r.key ?? null
  size += key === null ? sizeOfVarint(-1) : sizeOfVarint(key.length) + key.length
  size += r.value === null ? sizeOfVarint(-1) : sizeOfVarint(r.value.length) + r.value.length
  const headers = r.headers ?? []
  size += sizeOfVarint(headers.length)
  for (const h of headers) {
    const k = Buffer.byteLength(h.key)
    size += sizeOfVarint(k) + k
    size += h.value === null ? sizeOfVarint(-1) : sizeOfVarint(h.value.length) + h.value.length
  }
  return size
}

function encodeRecords(records: RecordInput[], timestamps: number[], baseTimestamp: number): Buffer {
  const bodySizes = new Array<number>(records.length)
  let total = 0
  for (let i = 0; i < records.length; i++) {
    const size = recordBodySize(records[i]!, timestamps[i]! - baseTimestamp, i)
    bodySizes[i] = size
    total += sizeOfVarint(size) + size
  }
  const out = Buffer.allocUnsafe(total)
  let p = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    p = writeVarint(out, p, bodySizes[i]!)
    out[p++] = 0
    p = writeVarint(out, p, timestamps[i]! - baseTimestamp)
    p = writeVarint(out, p, i)
    const key = r.key ?? null
    if (key === null) p = writeVarint(out, p, -1)
    else {
      p = writeVarint(out, p, key.length)
      p += key.copy(out, p)
    }
    if (r.value === null) p = writeVarint(out, p, -1)
    else {
      p = writeVarint(out, p, r.value.length)
      p += r.value.copy(out, p)
    }
    const headers = r.headers ?? []
    p = writeVarint(out, p, headers.length)
    for (const h of headers) {
      p = writeVarint(out, p, Buffer.byteLength(h.key))
      p += out.write(h.key, p, 'utf8')
      if (h.value === null) p = writeVarint(out, p, -1)
      else {
        p = writeVarint(out, p, h.value.length)
        p += h.value.copy(out, p)
      }
    }
  }
  return out
}

/** A complete, CRC-valid magic-2 batch holding `records` (at least one). */
export function buildRecordBatch(options: BuildBatchOptions): Buffer {
  const { records } = options
  if (records.length === 0) throw new Error('a record batch needs at least one record')
  const now = Date.now()
  const baseTimestamp = options.baseTimestamp ?? records[0]!.timestamp ?? now
  const timestamps = records.map((r) => r.timestamp ?? baseTimestamp)
  let maxTimestamp = timestamps[0]!
  for (const ts of timestamps) if (ts > maxTimestamp) maxTimestamp = ts
  const codec = options.compression ?? Compression.NONE
  const body = compress(codec, encodeRecords(records, timestamps, baseTimestamp))

  const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length)
  setBaseOffset(batch, 0, options.baseOffset ?? 0)
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  batch.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET)
  batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET)
  let attributes = codec & COMPRESSION_CODEC_MASK
  if (options.logAppendTime !== undefined) attributes |= TIMESTAMP_TYPE_MASK
  if (options.isTransactional === true) attributes |= TRANSACTIONAL_FLAG_MASK
  if (options.isControl === true) attributes |= CONTROL_FLAG_MASK
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  batch.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_OFFSET)
  writeInt64(batch, BASE_TIMESTAMP_OFFSET, baseTimestamp)
  writeInt64(batch, MAX_TIMESTAMP_OFFSET, options.logAppendTime ?? maxTimestamp)
  writeInt64(batch, PRODUCER_ID_OFFSET, options.producerId ?? -1)
  batch.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET)
  batch.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_OFFSET)
  batch.writeInt32BE(records.length, RECORD_COUNT_OFFSET)
  body.copy(batch, BATCH_HEADER_SIZE)
  updateBatchCrc(batch, 0)
  return batch
}

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const

export interface EndTxnMarkerOptions {
  producerId: number
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
  timestamp?: number
  baseOffset?: number
}

/**
 * A COMMIT or ABORT marker: a transactional control batch holding one record whose key
 * is `i16 version = 0, i16 type` and value `i16 version = 0, i32 coordinatorEpoch`
 * (Kafka's ControlRecordType / EndTransactionMarker). Control batches carry no sequence.
 */
export function buildEndTxnMarkerBatch(options: EndTxnMarkerOptions): Buffer {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(options.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(options.coordinatorEpoch, 2)
  return buildRecordBatch({
    records: [{ key, value, timestamp: options.timestamp ?? Date.now() }],
    baseOffset: options.baseOffset ?? 0,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  })
}

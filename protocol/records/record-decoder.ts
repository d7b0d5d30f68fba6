// Reads the records inside a magic-2 batch (Kafka's DefaultRecord layout):
//   length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint (−1 = null) | key | valueLength varint (−1 = null) | value |
//   headerCount varint | { keyLength varint | key utf8 | valueLength varint | value }…
// All varints are zig-zag. The broker itself never needs this on the produce or fetch
// path; it serves tests, listOffsets lookups and internal topics.

import { decompress } from './compression.ts'
import {
  BASE_TIMESTAMP_OFFSET, COMPRESSION_CODEC_MASK, Compression, RECORDS_OFFSET, RECORD_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK, batchAttributes, batchBaseOffset, batchMaxTimestamp, batchSize, readInt64,
} from './record-batch.ts'
import { readVarint, type VarintRead } from './varint.ts'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** The record bytes of the batch at `pos`, decompressed if needed. */
function recordsBody(batch: Buffer, pos: number): Buffer {
  const body = batch.subarray(pos + RECORDS_OFFSET, pos + batchSize(batch, pos))
  return decompress(batchAttributes(batch, pos) & COMPRESSION_CODEC_MASK, body)
}

/** Decodes every record of the batch at `pos`, whatever its codec. Keys and values are views into the batch when uncompressed. */
export function decodeRecords(batch: Buffer, pos = 0): DecodedRecord[] {
  const body = recordsBody(batch, pos)
  const baseOffset = batchBaseOffset(batch, pos)
  const baseTimestamp = readInt64(batch, pos + BASE_TIMESTAMP_OFFSET)
  const logAppendTime = (batchAttributes(batch, pos) & TIMESTAMP_TYPE_MASK) !== 0 ? batchMaxTimestamp(batch, pos) : -1
  const count = batch.readInt32BE(pos + RECORD_COUNT_OFFSET)
  const out: DecodedRecord[] = []
  const v: VarintRead = { value: 0, next: 0 }
  const end = body.length
  let p = 0
  for (let i = 0; i < count; i++) {
    const length = readVarint(body, p, end, v).value
    p = v.next
    const recordEnd = p + length
    if (recordEnd > end) throw new RangeError(`record ${i} runs past the end of its batch`)
    p += 1 // attributes, unused in v2
    const timestampDelta = readVarint(body, p, recordEnd, v).value
    const offsetDelta = readVarint(body, v.next, recordEnd, v).value
    const keyLength = readVarint(body, v.next, recordEnd, v).value
    p = v.next
    const key = keyLength < 0 ? null : body.subarray(p, p + keyLength)
    if (keyLength > 0) p += keyLength
    const valueLength = readVarint(body, p, recordEnd, v).value
    p = v.next
    const value = valueLength < 0 ? null : body.subarray(p, p + valueLength)
    if (valueLength > 0) p += valueLength
    const headerCount = readVarint(body, p, recordEnd, v).value
    p = v.next
    const headers: RecordHeader[] = []
    for (let h = 0; h < headerCount; h++) {
      const hKeyLength = readVarint(body, p, recordEnd, v).value
      p = v.next
      const hKey = body.toString('utf8', p, p + hKeyLength)
      p += hKeyLength
      const hValueLength = readVarint(body, p, recordEnd, v).value
      p = v.next
      const hValue = hValueLength < 0 ? null : body.subarray(p, p + hValueLength)
      if (hValueLength > 0) p += hValueLength
      headers.push({ key: hKey, value: hValue })
    }
    if (p !== recordEnd) throw new RangeError(`record ${i} length does not match its fields`)
    out.push({
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    })
  }
  return out
}

/** Decodes the records of every batch in `buf` (whole batches laid end to end). */
export function decodeAllRecords(buf: Buffer): DecodedRecord[] {
  const out: DecodedRecord[] = []
  let pos = 0
  while (pos < buf.length) {
    for (const r of decodeRecords(buf, pos)) out.push(r)
    pos += batchSize(buf, pos)
  }
  return out
}

/**
 * Calls `visit(offset, timestamp)` for each record of the uncompressed batch at `pos`,
 * reading only the timestamp and offset fields; stops early when `visit` returns true.
 * Returns whether it stopped early. For LogAppendTime batches every record carries the
 * batch's maxTimestamp.
 */
export function scanRecordTimestamps(batch: Buffer, pos: number, visit: (offset: number, timestamp: number) => boolean): boolean {
  const attributes = batchAttributes(batch, pos)
  if ((attributes & COMPRESSION_CODEC_MASK) !== Compression.NONE) throw new Error('scanRecordTimestamps needs an uncompressed batch')
  const baseOffset = batchBaseOffset(batch, pos)
  const baseTimestamp = readInt64(batch, pos + BASE_TIMESTAMP_OFFSET)
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? batchMaxTimestamp(batch, pos) : -1
  const count = batch.readInt32BE(pos + RECORD_COUNT_OFFSET)
  const end = pos + batchSize(batch, pos)
  const v: VarintRead = { value: 0, next: 0 }
  let p = pos + RECORDS_OFFSET
  for (let i = 0; i < count && p < end; i++) {
    const length = readVarint(batch, p, end, v).value
    const recordEnd = v.next + length
    const timestampDelta = readVarint(batch, v.next + 1, recordEnd, v).value
    const offsetDelta = readVarint(batch, v.next, recordEnd, v).value
    if (visit(baseOffset + offsetDelta, logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta)) return true
    p = recordEnd
  }
  return false
}

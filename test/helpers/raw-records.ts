// Record batches whose CRC is right but whose records need not be: built from raw record
// bytes, for the tests of record validation (storage and on the wire).

import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { ATTRIBUTES_OFFSET, LAST_OFFSET_DELTA_OFFSET, RECORDS_OFFSET, RECORD_COUNT_OFFSET, updateBatchCrc } from '../../protocol/records/record-batch.ts'
import { writeVarint } from '../../protocol/records/varint.ts'
import { compress } from '../../protocol/records/compression.ts'


export function field(v: number): Buffer {
  const b = Buffer.alloc(10)
  return b.subarray(0, writeVarint(b, 0, v))
}

export interface RawRecord {
  offsetDelta?: number
  timestampDelta?: number
  keyLength?: number
  key?: Buffer
  valueLength?: number
  value?: Buffer
  headerCount?: number
  headers?: Buffer
  /** Added to the computed length field. */
  lengthSkew?: number
}

export function rawRecord(r: RawRecord, i: number): Buffer {
  const key = r.key ?? Buffer.from('k')
  const value = r.value ?? Buffer.from('value')
  const inner = Buffer.concat([
    Buffer.from([0]), field(r.timestampDelta ?? 0), field(r.offsetDelta ?? i),
    field(r.keyLength ?? key.length), key, field(r.valueLength ?? value.length), value,
    field(r.headerCount ?? 0), r.headers ?? Buffer.alloc(0),
  ])
  return Buffer.concat([field(inner.length + (r.lengthSkew ?? 0)), inner])
}

/** A batch with `body` as its (compressed with `codec`) records, header and CRC made consistent. */
export function batchWithBody(body: Buffer, count: number, codec = 0, timestamp = Date.now()): Buffer {
  const template = buildRecordBatch({ records: [{ value: Buffer.from('x'), timestamp }] })
  const b = Buffer.concat([template.subarray(0, RECORDS_OFFSET), compress(codec, body)])
  b.writeInt32BE(b.length - 12, 8)
  b.writeInt16BE(codec, ATTRIBUTES_OFFSET)
  b.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET)
  b.writeInt32BE(count, RECORD_COUNT_OFFSET)
  updateBatchCrc(b, 0)
  return b
}


// Mutations of one magic-2 record batch, for the partitions of Produce requests: header
// fields (batch length, record count, lastOffsetDelta, attributes and codec bits, ...),
// the varints of the records inside (lengths, key/value lengths, header counts, deltas;
// recompressed with the batch's codec afterwards), record-level edits that keep the batch
// valid (so odd but legal batches get stored and must read back), the compressed bytes
// themselves, codec mismatches and decompression bombs. The batch length is kept true to
// the bytes unless it is the field mutated, and the CRC is recomputed half of the time
// (updateBatchCrc), so mutations also get past the CRC check into the record checks;
// always after damaging compressed bytes, whose point is what decompression does.

import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET, isCrcValid, readBatchHeader, readInt64, updateBatchCrc, writeInt64,
} from '../../protocol/records/record-batch.ts'
import { compress, decompress } from '../../protocol/records/compression.ts'
import { readVarint, sizeOfVarint, writeVarint, type VarintRead } from '../../protocol/records/varint.ts'
import { buildRecordBatch, decodeRecords, type RecordInput } from '../../protocol/records/record-batch-builder.ts'
import type { Rng } from './prng.ts'

export interface BatchMutation {
  batch: Buffer
  /** What was done, for failure reports. */
  what: string
}

const I32 = [0, 1, -1, 2, -2, 0x7fffffff, -0x80000000, 0x7ffffffe, 0xffff, 0x10000, 13, 14, 48, 49, 61, 1 << 20]
const I16 = [0, 1, -1, 0x7fff, -0x8000, 0x7, 0x8, 0x10, 0x20, 0x40, 0xff]
const I64 = [0, -1, 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, 2 ** 32, 1_000, Date.now(), Date.now() + 86_400_000 * 365, -2]

function interesting32(rng: Rng, current: number): number {
  switch (rng.int(4)) {
    case 0: return rng.pick(I32)
    case 1: return (current + rng.pick([1, -1, 2, -2, 7, -7, 100, -100])) | 0
    case 2: return rng.int32()
    default: return (current * rng.pick([2, 3, 256])) | 0
  }
}

/** A zig-zag varint of `value`; sometimes non-minimal (padded) or overlong (11 bytes). */
function encodeVarint(rng: Rng, value: number): Buffer {
  const r = rng.float()
  if (r < 0.04) return Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
  const out = Buffer.alloc(sizeOfVarint(value) + 2)
  const end = writeVarint(out, 0, value)
  if (r < 0.1 && end < 9) {
    // Same value, one padding byte: 0x80-continued then 0x00.
    out[end - 1] = out[end - 1]! | 0x80
    out[end] = 0
    return out.subarray(0, end + 1)
  }
  return out.subarray(0, end)
}

function varintValue(rng: Rng, current: number, name: string): number {
  const r = rng.int(10)
  if (r < 3) return rng.pick([-1, 0, 1, -2, 2])
  if (r < 5) return current + rng.pick([1, -1, 2, -2, 10, -10])
  if (r < 6) return rng.pick([0x7fffffff, -0x80000000, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), 2 ** 52])
  if (r < 7) return current * 2 + 1
  if (r < 8 && name === 'timestampDelta') return rng.pick([-Date.now(), 86_400_000 * 365, -86_400_000 * 365, 2 ** 50])
  return rng.int32() >> rng.int(24)
}

interface RecordField {
  record: number
  name: string
  pos: number
  size: number
  value: number
  /** Start of the record's length varint (its own field for 'length'). */
  recordStart: number
}

/** The varints of an uncompressed records body, as far as it parses. */
export function recordFields(body: Buffer, count: number): RecordField[] {
  const out: RecordField[] = []
  const v: VarintRead = { value: 0, next: 0 }
  let p = 0
  const end = body.length
  try {
    for (let i = 0; i < count && p < end; i++) {
      const recordStart = p
      const field = (name: string, limit: number): number => {
        readVarint(body, p, limit, v)
        out.push({ record: i, name, pos: p, size: v.next - p, value: v.value, recordStart })
        p = v.next
        return v.value
      }
      const length = field('length', end)
      const recordEnd = Math.min(end, p + Math.max(0, length))
      out.push({ record: i, name: 'attributes', pos: p, size: 1, value: body[p] ?? 0, recordStart })
      p++
      field('timestampDelta', recordEnd)
      field('offsetDelta', recordEnd)
      const keyLength = field('keyLength', recordEnd)
      if (keyLength > 0) p += keyLength
      const valueLength = field('valueLength', recordEnd)
      if (valueLength > 0) p += valueLength
      const headers = field('headerCount', recordEnd)
      for (let h = 0; h < headers && h < 64; h++) {
        const kl = field('headerKeyLength', recordEnd)
        if (kl > 0) p += kl
        const vl = field('headerValueLength', recordEnd)
        if (vl > 0) p += vl
      }
      p = recordEnd
    }
  } catch {
    // A body that stops parsing: the fields up to there.
  }
  return out
}

function splice(buf: Buffer, pos: number, remove: number, insert: Buffer): Buffer {
  return Buffer.concat([buf.subarray(0, pos), insert, buf.subarray(pos + remove)])
}

function withBody(header: Buffer, body: Buffer): Buffer {
  const batch = Buffer.concat([header.subarray(0, RECORDS_OFFSET), body])
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  return batch
}

function flipBytes(rng: Rng, buf: Buffer, from = 0): void {
  if (buf.length <= from) return
  const n = rng.range(1, 4)
  for (let i = 0; i < n; i++) {
    const p = from + rng.int(buf.length - from)
    buf[p] = rng.chance(0.5) ? buf[p]! ^ (1 << rng.int(8)) : rng.next() & 0xff
  }
}

// Decompression bombs just above the 128 MiB limit, built once from 64 KiB of zeros
// without ever holding 136 MiB: gzip members and zstd frames laid end to end (both
// decoders read on across them), one LZ4 block repeated inside one frame, and a raw
// snappy block that merely declares its size.
const BOMB_BYTES = 136 * 1024 * 1024
const CHUNK = 64 * 1024
const bombs = new Map<number, Buffer>()

function bomb(codec: number): Buffer {
  let b = bombs.get(codec)
  if (b !== undefined) return b
  const zeros = Buffer.alloc(CHUNK)
  const copies = BOMB_BYTES / CHUNK
  if (codec === 2) {
    const head = Buffer.alloc(5)
    const end = writeUnsignedVarint(head, BOMB_BYTES)
    b = Buffer.concat([head.subarray(0, end), Buffer.from([0x00, 0x00, 0xfe, 0xff, 0xff])])
  } else if (codec === 3) {
    // LZ4 frame: 7-byte header (FLG 0x60, BD 0x40: independent 64 KiB blocks, no
    // checksums), then blocks, then a zero end mark.
    const one = compress(3, zeros)
    const blockSize = one.readUInt32LE(7)
    const header = one.subarray(0, 7)
    const block = one.subarray(7, 11 + blockSize)
    b = Buffer.concat([header, ...new Array<Buffer>(copies).fill(block), Buffer.alloc(4)])
  } else {
    const big = Buffer.alloc(4 * 1024 * 1024)
    const member = compress(codec, big)
    b = Buffer.concat(new Array<Buffer>(BOMB_BYTES / big.length).fill(member))
  }
  bombs.set(codec, b)
  return b
}

/**
 * Whether `records` is exactly one of the bombs above in a batch that passes every check
 * made before decompression (so an answer that its records do not parse means the broker
 * decompressed it past the limit).
 */
export function isIntactBomb(records: Buffer | null): boolean {
  if (records === null || records.length < BATCH_HEADER_SIZE) return false
  const h = readBatchHeader(records)
  if (h.compression < 1 || h.compression > 4 || h.batchLength + LOG_OVERHEAD !== records.length) return false
  if (h.magic !== 2 || h.baseOffset !== 0 || h.recordCount <= 0 || h.lastOffsetDelta + 1 !== h.recordCount || h.isControl || h.isTransactional) return false
  if (h.producerId >= 0 && h.baseSequence < 0) return false
  const body = records.subarray(RECORDS_OFFSET)
  const known = bombs.get(h.compression) ?? (body.length > 1000 || h.compression === 2 ? bomb(h.compression) : null)
  return known !== null && body.equals(known) && isCrcValid(records)
}

function writeUnsignedVarint(buf: Buffer, value: number): number {
  let p = 0
  while (value >= 0x80) {
    buf[p++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  buf[p++] = value
  return p
}

export type BatchStrategy = 'header' | 'recordVarint' | 'recordBytes' | 'validEdit' | 'compressed' | 'multiBatch' | 'bomb'

const STRATEGIES: Record<BatchStrategy, number> = {
  header: 30,
  recordVarint: 28,
  recordBytes: 8,
  validEdit: 14,
  compressed: 14,
  multiBatch: 4,
  bomb: 0.6,
}

/** Mutates a copy of `original` (one valid batch). */
export function mutateBatch(rng: Rng, original: Buffer, strategies: Partial<Record<BatchStrategy, number>> = {}, bombCodecs: readonly number[] = [1, 2, 3, 4]): BatchMutation {
  let batch: Buffer = Buffer.from(original)
  const strategy = rng.weighted({ ...STRATEGIES, ...strategies, ...(bombCodecs.length === 0 ? { bomb: 0 } : {}) })
  const codec = batch.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK
  const count = batch.readInt32BE(RECORD_COUNT_OFFSET)
  let what: string = strategy
  let lengthTouched = false

  const recordsBody = (): Buffer | null => {
    try {
      return decompress(codec, batch.subarray(RECORDS_OFFSET))
    } catch {
      return null
    }
  }
  const recompress = (body: Buffer, useCodec = codec): Buffer => withBody(batch, compress(useCodec, body))

  switch (strategy) {
    case 'header': {
      const field = rng.pick(['batchLength', 'magic', 'attributes', 'codec', 'lastOffsetDelta', 'recordCount', 'countAndDelta', 'baseOffset', 'partitionLeaderEpoch', 'producerId', 'producerEpoch', 'baseSequence', 'baseTimestamp', 'maxTimestamp'] as const)
      what = `header ${field}`
      switch (field) {
        case 'batchLength': {
          const v = interesting32(rng, batch.readInt32BE(BATCH_LENGTH_OFFSET))
          batch.writeInt32BE((v) | 0, BATCH_LENGTH_OFFSET)
          lengthTouched = true
          what += ` = ${v}`
          break
        }
        case 'magic': {
          const v = rng.pick([0, 1, 3, -1, 127, -128])
          batch.writeInt8(v, MAGIC_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'attributes': {
          const a = batch.readInt16BE(ATTRIBUTES_OFFSET)
          const v = rng.chance(0.5) ? a ^ (1 << rng.int(16)) : (rng.pick(I16) | (a & COMPRESSION_CODEC_MASK))
          batch.writeInt16BE((v << 16) >> 16, ATTRIBUTES_OFFSET)
          what += ` = 0x${(v & 0xffff).toString(16)}`
          break
        }
        case 'codec': {
          const c = rng.int(8)
          batch.writeInt16BE((((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | c) << 16) >> 16, ATTRIBUTES_OFFSET)
          what += ` = ${c}`
          break
        }
        case 'lastOffsetDelta': {
          const v = interesting32(rng, batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET))
          batch.writeInt32BE((v) | 0, LAST_OFFSET_DELTA_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'recordCount': {
          const v = interesting32(rng, count)
          batch.writeInt32BE((v) | 0, RECORD_COUNT_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'countAndDelta': {
          // Consistent with each other, not with the records.
          const v = rng.pick([count + 1, count - 1, count + 2, 0, 1, 2 * count, 0x7fffffff])
          batch.writeInt32BE((v) | 0, RECORD_COUNT_OFFSET)
          batch.writeInt32BE((v - 1) | 0, LAST_OFFSET_DELTA_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'baseOffset':
        case 'producerId':
        case 'baseTimestamp':
        case 'maxTimestamp': {
          const pos = { baseOffset: BASE_OFFSET_OFFSET, producerId: PRODUCER_ID_OFFSET, baseTimestamp: BASE_TIMESTAMP_OFFSET, maxTimestamp: MAX_TIMESTAMP_OFFSET }[field]
          const current = readInt64(batch, pos)
          const v = rng.chance(0.7) ? rng.pick(I64) : current + rng.pick([1, -1, 1000, -1000])
          writeInt64(batch, pos, v)
          what += ` = ${v}`
          break
        }
        case 'partitionLeaderEpoch': {
          const v = interesting32(rng, batch.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET))
          batch.writeInt32BE((v) | 0, PARTITION_LEADER_EPOCH_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'producerEpoch': {
          const v = rng.pick(I16)
          batch.writeInt16BE(((v) << 16) >> 16, PRODUCER_EPOCH_OFFSET)
          what += ` = ${v}`
          break
        }
        case 'baseSequence': {
          const v = rng.chance(0.5) ? interesting32(rng, batch.readInt32BE(BASE_SEQUENCE_OFFSET)) : rng.pick([0x7fffffff - count + 1, 0x7fffffff, 0, 1, -1])
          batch.writeInt32BE((v) | 0, BASE_SEQUENCE_OFFSET)
          what += ` = ${v}`
          break
        }
      }
      break
    }

    case 'recordVarint': {
      const body = recordsBody()
      if (body === null) break
      const fields = recordFields(body, count)
      if (fields.length === 0) break
      const f = rng.pick(fields)
      let replacement: Buffer
      if (f.name === 'attributes') {
        replacement = Buffer.from([rng.next() & 0xff])
        what = `record ${f.record} attributes = ${replacement[0]}`
      } else {
        const v = varintValue(rng, f.value, f.name)
        replacement = encodeVarint(rng, v)
        what = `record ${f.record} ${f.name} ${f.value} -> ${v} (${replacement.length} bytes)`
      }
      let next = splice(body, f.pos, f.size, replacement)
      const delta = replacement.length - f.size
      if (f.name !== 'length' && delta !== 0 && rng.chance(0.5)) {
        // Keep the record's length true to its bytes, so the change is judged on its own.
        const v: VarintRead = { value: 0, next: 0 }
        readVarint(next, f.recordStart, next.length, v)
        const fixed = Buffer.alloc(10)
        const end = writeVarint(fixed, 0, v.value + delta)
        next = splice(next, f.recordStart, v.next - f.recordStart, fixed.subarray(0, end))
        what += ', record length adjusted'
      }
      batch = recompress(next)
      break
    }

    case 'recordBytes': {
      const body = recordsBody()
      if (body === null) break
      const op = rng.pick(['flip', 'truncate', 'extend', 'dropTail'] as const)
      let next: Buffer = Buffer.from(body)
      if (op === 'flip') flipBytes(rng, next)
      else if (op === 'truncate') next = next.subarray(0, rng.int(next.length))
      else if (op === 'extend') next = Buffer.concat([next, rng.bytes(rng.range(1, 40))])
      else next = next.subarray(0, Math.max(0, next.length - rng.range(1, 3)))
      what = `records body ${op}`
      batch = recompress(next)
      break
    }

    case 'validEdit': {
      // A legal batch of a different shape: stored, and must read back.
      let records: RecordInput[]
      try {
        records = decodeRecords(batch).map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))
      } catch {
        break
      }
      const op = rng.pick(['nullKeys', 'emptyValues', 'nullValues', 'manyHeaders', 'bigValue', 'dropRecords', 'duplicate', 'otherCodec', 'manyRecords'] as const)
      if (op === 'nullKeys') records = records.map((r) => ({ ...r, key: null }))
      else if (op === 'emptyValues') records = records.map((r) => ({ ...r, value: Buffer.alloc(0) }))
      else if (op === 'nullValues') records = records.map((r) => ({ ...r, value: null }))
      else if (op === 'manyHeaders') records = records.map((r, i) => ({ ...r, headers: Array.from({ length: 1 + ((i * 7) % 20) }, (_, h) => ({ key: h % 3 === 0 ? '' : `h${h}`, value: h % 4 === 0 ? null : Buffer.from(`v${h}`) })) }))
      else if (op === 'bigValue') records = records.map((r, i) => (i === 0 ? { ...r, value: Buffer.alloc(rng.range(1000, 60_000), 0x61 + (i % 26)) } : r))
      else if (op === 'dropRecords') records = records.slice(0, Math.max(1, rng.int(records.length)))
      else if (op === 'duplicate') records = [...records, ...records]
      else if (op === 'manyRecords') records = Array.from({ length: rng.range(100, 1500) }, (_, i) => ({ key: null, value: Buffer.from(`m${i}`), timestamp: records[0]?.timestamp }))
      if (records.length === 0) break
      const h = readBatchHeader(batch)
      const useCodec = op === 'otherCodec' ? rng.int(5) : h.compression
      const producer = h.producerId >= 0 ? { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence } : {}
      batch = buildRecordBatch({ records, compression: useCodec, baseTimestamp: h.baseTimestamp, ...producer })
      what = `valid ${op}${op === 'otherCodec' ? ` ${useCodec}` : ''} (${records.length} records)`
      break
    }

    case 'compressed': {
      const op = rng.pick(['flip', 'truncate', 'extend', 'wrongCodec', 'uncompressedAsCodec', 'garbage'] as const)
      what = `compressed ${op}`
      if (codec === 0 && (op === 'flip' || op === 'truncate' || op === 'extend')) {
        // Nothing compressed to damage: claim a codec the body is not in.
        const c = rng.range(1, 4)
        batch.writeInt16BE(((batch.readInt16BE(ATTRIBUTES_OFFSET) | c) << 16) >> 16, ATTRIBUTES_OFFSET)
        what = `uncompressed body marked codec ${c}`
        break
      }
      if (op === 'flip') {
        flipBytes(rng, batch, RECORDS_OFFSET)
      } else if (op === 'truncate') {
        batch = withBody(batch, batch.subarray(RECORDS_OFFSET, RECORDS_OFFSET + rng.int(batch.length - RECORDS_OFFSET)))
      } else if (op === 'extend') {
        batch = withBody(batch, Buffer.concat([batch.subarray(RECORDS_OFFSET), rng.chance(0.5) ? rng.bytes(rng.range(1, 64)) : batch.subarray(RECORDS_OFFSET)]))
      } else if (op === 'wrongCodec' || op === 'uncompressedAsCodec') {
        const body = recordsBody()
        if (body === null) break
        const bodyCodec = op === 'uncompressedAsCodec' ? 0 : rng.range(1, 4)
        const claimed = rng.range(1, 4)
        batch = withBody(batch, compress(bodyCodec, body))
        batch.writeInt16BE((((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | claimed) << 16) >> 16, ATTRIBUTES_OFFSET)
        what += ` body ${bodyCodec} marked ${claimed}`
      } else {
        batch = withBody(batch, rng.bytes(rng.range(0, 200)))
      }
      break
    }

    case 'multiBatch': {
      const op = rng.pick(['twice', 'partialSecond', 'garbageAfter'] as const)
      what = `multi ${op}`
      if (op === 'twice') batch = Buffer.concat([batch, batch])
      else if (op === 'partialSecond') batch = Buffer.concat([batch, batch.subarray(0, rng.range(1, batch.length - 1))])
      else batch = Buffer.concat([batch, rng.bytes(rng.range(1, 30))])
      lengthTouched = true
      break
    }

    case 'bomb': {
      const c = rng.pick(bombCodecs)
      batch = withBody(batch, bomb(c))
      batch.writeInt16BE((((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | c) << 16) >> 16, ATTRIBUTES_OFFSET)
      what = `bomb codec ${c} (${bomb(c).length} bytes, ${BOMB_BYTES} decompressed)`
      // The CRC is always fixed: the point is what decompression does.
      updateBatchCrc(batch, 0)
      return { batch, what }
    }
  }

  if (!lengthTouched && batch.length >= LOG_OVERHEAD && strategy !== 'validEdit') batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  // Damaged compressed bytes are only interesting past the CRC check: always fixed there.
  if (batch.length >= BATCH_HEADER_SIZE && (strategy === 'compressed' || rng.chance(0.5))) {
    const declared = batch.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (declared >= BATCH_HEADER_SIZE && declared <= batch.length) {
      updateBatchCrc(batch, 0)
      what += ', crc fixed'
    }
  }
  return { batch, what }
}

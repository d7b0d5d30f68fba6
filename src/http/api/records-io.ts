// Records for the admin API: reading a partition's records from an offset (through the
// replica manager, as Fetch does: whole batches, control batches skipped, aborted
// transactions left out for read_committed exactly as Kafka's consumer filters them),
// showing keys and values as text, JSON, hex or base64, parsing v3 produce data, and
// the Java client's default partitioner (murmur2 of the key) for records without one.

import { ErrorCode } from '../../../protocol/error-codes.ts'
import { buildRecordBatch, decodeRecords, type RecordHeader, type RecordInput } from '../../../protocol/records/record-batch-builder.ts'
import { LOG_OVERHEAD, batchSize, readBatchHeader } from '../../../protocol/records/record-batch.ts'
import { ControlType, controlTypeOf } from '../../../protocol/records/control-record.ts'
import type { BrokerContext } from '../../broker-context.ts'
import { badRequest, kafkaError } from './v3-common.ts'

export interface ReadRecord {
  partition: number
  offset: number
  timestamp: number
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME'
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

export interface ReadResult {
  records: ReadRecord[]
  /** Where a next read continues. */
  nextOffset: number
  logStartOffset: number
  highWatermark: number
  lastStableOffset: number
}

const READ_BYTES = 1 << 20
const MAX_READS = 64

/**
 * Up to `limit` records of one partition from `fromOffset` (clamped to the log start),
 * stopping before `untilOffset` (exclusive) and at the high watermark (the last stable
 * offset when `committed`).
 */
export async function readPartition(
  broker: BrokerContext, topic: string, partition: number, fromOffset: number, limit: number,
  options: { committed?: boolean; untilOffset?: number } = {},
): Promise<ReadResult> {
  const committed = options.committed === true
  const records: ReadRecord[] = []
  let offset = fromOffset
  let bounds = { logStartOffset: 0, highWatermark: 0, lastStableOffset: 0 }
  const cached = broker.replicas.bounds(topic, partition)
  if (cached !== undefined) bounds = { logStartOffset: cached.logStartOffset, highWatermark: cached.highWatermark, lastStableOffset: cached.lastStableOffset }
  if (offset < bounds.logStartOffset) offset = bounds.logStartOffset
  for (let reads = 0; reads < MAX_READS && records.length < limit; reads++) {
    const end = Math.min(committed ? bounds.lastStableOffset : bounds.highWatermark, options.untilOffset ?? Number.MAX_SAFE_INTEGER)
    if (offset >= end && reads > 0) break
    const read = await broker.replicas.read(topic, partition, offset, READ_BYTES, committed)
    if (!read.ok) {
      // Retention moved the log start past the offset: continue from the new start.
      if (read.error === ErrorCode.OFFSET_OUT_OF_RANGE) {
        const now = broker.replicas.bounds(topic, partition)
        if (now !== undefined && offset < now.logStartOffset) {
          offset = now.logStartOffset
          continue
        }
        break
      }
      throw kafkaError(read.error, read.message)
    }
    bounds = { logStartOffset: read.logStartOffset, highWatermark: read.highWatermark, lastStableOffset: read.lastStableOffset }
    if (offset < bounds.logStartOffset) offset = bounds.logStartOffset
    const stop = Math.min(committed ? bounds.lastStableOffset : bounds.highWatermark, options.untilOffset ?? Number.MAX_SAFE_INTEGER)
    const buf = read.records
    if (buf === null || buf.length === 0 || offset >= stop) break
    const before = offset
    // Kafka's consumer: a transaction is aborted from its first offset until its ABORT marker.
    const pendingAborts = [...(read.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset)
    const abortedProducers = new Set<number>()
    let pos = 0
    while (pos + LOG_OVERHEAD <= buf.length && records.length < limit) {
      const size = batchSize(buf, pos)
      if (size <= 0 || pos + size > buf.length) break
      const header = readBatchHeader(buf, pos)
      const lastOffset = header.baseOffset + header.lastOffsetDelta
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= lastOffset) abortedProducers.add(pendingAborts.shift()!.producerId)
      if (header.isControl) {
        if (controlTypeOf(buf, pos) === ControlType.ABORT) abortedProducers.delete(header.producerId)
      } else if (!(committed && header.isTransactional && abortedProducers.has(header.producerId))) {
        for (const r of decodeRecords(buf, pos)) {
          if (r.offset < offset || r.offset >= stop) continue
          records.push({
            partition, offset: r.offset, timestamp: r.timestamp,
            timestampType: header.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
            key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value),
            headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
          })
          offset = r.offset + 1
          if (records.length >= limit) break
        }
      }
      if (records.length >= limit) break
      if (lastOffset + 1 > offset) offset = Math.min(lastOffset + 1, stop)
      pos += size
    }
    if (offset === before) break
  }
  return { records, nextOffset: offset, ...bounds }
}

// ---- showing data ----

export type DataFormat = 'auto' | 'text' | 'json' | 'hex' | 'base64'
export const DATA_FORMATS: readonly DataFormat[] = ['auto', 'text', 'json', 'hex', 'base64']

export interface ShownData {
  /** STRING (text), JSON, HEX or BINARY (base64, as v3's BINARY). */
  type: 'STRING' | 'JSON' | 'HEX' | 'BINARY'
  data: unknown
  size: number
  /** format=json on bytes that are not JSON: shown as text, with the parse error. */
  json_error?: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function asText(buf: Buffer): string | null {
  try {
    return utf8.decode(buf)
  } catch {
    return null
  }
}

export function showData(buf: Buffer | null, format: DataFormat): ShownData | null {
  if (buf === null) return null
  const size = buf.length
  switch (format) {
    case 'hex':
      return { type: 'HEX', data: buf.toString('hex'), size }
    case 'base64':
      return { type: 'BINARY', data: buf.toString('base64'), size }
    case 'text':
      return { type: 'STRING', data: buf.toString('utf8'), size }
    case 'json': {
      const text = buf.toString('utf8')
      try {
        return { type: 'JSON', data: JSON.parse(text), size }
      } catch (err) {
        return { type: 'STRING', data: text, size, json_error: (err as Error).message }
      }
    }
    case 'auto': {
      const text = asText(buf)
      if (text === null) return { type: 'HEX', data: buf.toString('hex'), size }
      const t = text.trimStart()
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          return { type: 'JSON', data: JSON.parse(text), size }
        } catch {
          // not JSON after all: text
        }
      }
      return { type: 'STRING', data: text, size }
    }
  }
}

export function parseFormat(raw: unknown, field: string): DataFormat {
  if (raw === undefined || raw === '') return 'auto'
  if (typeof raw === 'string' && (DATA_FORMATS as readonly string[]).includes(raw.toLowerCase())) return raw.toLowerCase() as DataFormat
  throw badRequest(`${field} must be one of ${DATA_FORMATS.join(', ')}.`)
}

export function showHeaders(headers: RecordHeader[]): Array<{ name: string; value: string | null; text: string | null }> {
  return headers.map((h) => ({ name: h.key, value: h.value === null ? null : h.value.toString('base64'), text: h.value === null ? null : asText(h.value) }))
}

// ---- produce data (v3's {"type", "data"}) ----

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** v3 produce key/value data to bytes; returns the type used, for the response. */
export function parseProduceData(raw: unknown, field: string): { bytes: Buffer | null; type: string } | undefined {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest(`${field} must be an object with type and data.`)
  const obj = raw as Record<string, unknown>
  if (obj.schema_id !== undefined || obj.schema_version !== undefined || obj.subject !== undefined || obj.schema !== undefined) {
    throw badRequest(`${field}: schema-based data needs a Schema Registry, which this broker does not have; use BINARY, JSON or STRING.`)
  }
  const type = obj.type === undefined ? 'JSON' : obj.type
  if (typeof type !== 'string') throw badRequest(`${field}.type must be a string.`)
  const data = obj.data
  switch (type.toUpperCase()) {
    case 'BINARY':
      if (data === undefined || data === null) return { bytes: null, type: 'BINARY' }
      if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw badRequest(`${field}.data must be base64 for type BINARY.`)
      return { bytes: Buffer.from(data, 'base64'), type: 'BINARY' }
    case 'STRING':
      if (data === undefined || data === null) return { bytes: null, type: 'STRING' }
      if (typeof data !== 'string') throw badRequest(`${field}.data must be a string for type STRING.`)
      return { bytes: Buffer.from(data, 'utf8'), type: 'STRING' }
    case 'JSON':
      if (data === undefined) return { bytes: null, type: 'JSON' }
      return { bytes: Buffer.from(JSON.stringify(data), 'utf8'), type: 'JSON' }
    case 'AVRO':
    case 'PROTOBUF':
    case 'JSONSCHEMA':
      throw badRequest(`${field}.type ${type} needs a Schema Registry, which this broker does not have; use BINARY, JSON or STRING.`)
    default:
      throw badRequest(`${field}.type must be BINARY, JSON or STRING.`)
  }
}

export function parseProduceHeaders(raw: unknown): Array<{ key: string; value: Buffer | null }> {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw badRequest('headers must be an array of {"name", "value"} (value base64).')
  return raw.map((h, i) => {
    if (h === null || typeof h !== 'object') throw badRequest(`headers[${i}] must be an object.`)
    const { name, value } = h as Record<string, unknown>
    if (typeof name !== 'string' || name === '') throw badRequest(`headers[${i}].name must be a non-empty string.`)
    if (value === undefined || value === null) return { key: name, value: null }
    if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) throw badRequest(`headers[${i}].value must be base64.`)
    return { key: name, value: Buffer.from(value, 'base64') }
  })
}

// ---- partitioning and appending ----

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995
  const length = data.length
  let h = (0x9747b28c ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  // Java's switch falls through from 3 to 2 to 1.
  const tail = length & ~3
  const rest = length % 4
  if (rest >= 3) h ^= (data[tail + 2]! & 0xff) << 16
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8
  if (rest >= 1) {
    h ^= data[tail]! & 0xff
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

const roundRobin = new WeakMap<BrokerContext, Map<string, number>>()

/** The Java client's choice: murmur2 of a key, else the next partition in turn. */
export function choosePartition(broker: BrokerContext, topic: string, partitions: number, key: Buffer | null): number {
  if (key !== null) return (murmur2(key) & 0x7fffffff) % partitions
  let counters = roundRobin.get(broker)
  if (counters === undefined) roundRobin.set(broker, (counters = new Map()))
  const next = counters.get(topic) ?? 0
  counters.set(topic, next + 1)
  return next % partitions
}

/** Appends records as one batch (no producer id) and counts them in the broker's metrics. */
export async function appendRecords(broker: BrokerContext, topic: string, partition: number, records: RecordInput[]): Promise<{ baseOffset: number; logAppendTime: number }> {
  const batch = buildRecordBatch({ records })
  const result = await broker.replicas.append(topic, partition, batch)
  if (!result.ok) throw kafkaError(result.error, result.message || null)
  if (!result.duplicate) broker.metrics.produced(topic, batch.length, records.length)
  return { baseOffset: result.baseOffset, logAppendTime: result.logAppendTime }
}

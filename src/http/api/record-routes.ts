// Records: producing one record (v3's POST .../topics/{topic}/records, non-streaming:
// one JSON object per request), and Samsa's extensions for reading records (from an
// offset, from a timestamp, or the newest) and for replaying a dead-letter topic's
// records into the topic they came from.

import type { FastifyRequest } from 'fastify'
import { ErrorCode } from '../../../protocol/error-codes.ts'
import type { RecordInput } from '../../../protocol/records/record-batch-builder.ts'
import type { BrokerContext } from '../../broker-context.ts'
import type { TopicInfo } from '../../topics/topic-registry.ts'
import type { ApiRoutes, Schema } from './api-routes.ts'
import {
  appendRecords, choosePartition, parseFormat, parseProduceData, parseProduceHeaders, readPartition, showData, showHeaders, type DataFormat, type ReadRecord,
} from './records-io.ts'
import {
  ApiError, badRequest, bodyObject, isoTime, kafkaError, optionalBool, optionalInt, optionalString, parseTime, queryInt, requirePartition, requireTopic, requiredInt,
} from './v3-common.ts'

const MAX_BROWSE = 500
const MAX_REPLAY = 10_000
const REPLAY_BATCH = 500

/** Headers naming where a dead-lettered record came from: Kafka Connect's, Spring Kafka's, and a common generic one. */
export const ORIGIN_TOPIC_HEADERS = ['__connect.errors.topic', 'kafka_dlt-original-topic', 'x-original-topic']
export const ORIGIN_PARTITION_HEADERS = ['__connect.errors.partition', 'kafka_dlt-original-partition', 'x-original-partition']

const DATA_SCHEMA: Schema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['BINARY', 'JSON', 'STRING'], description: 'BINARY: data is base64. Default JSON.' }, data: {} },
}
const SHOWN_SCHEMA: Schema = {
  type: 'object', nullable: true,
  properties: { type: { type: 'string', enum: ['STRING', 'JSON', 'HEX', 'BINARY'] }, data: {}, size: { type: 'integer' }, json_error: { type: 'string' } },
}
const RECORD_SCHEMA: Schema = {
  type: 'object',
  properties: {
    partition_id: { type: 'integer' }, offset: { type: 'integer' }, timestamp: { type: 'string', format: 'date-time' }, timestamp_type: { type: 'string' },
    key: SHOWN_SCHEMA, value: SHOWN_SCHEMA,
    headers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string', nullable: true, description: 'base64' }, text: { type: 'string', nullable: true, description: 'the value as UTF-8, when it is' } } } },
  },
}
const BROWSE_QUERY = [
  { name: 'offset', description: 'First offset to read (default: the newest `limit` records)', schema: { type: 'integer' } },
  { name: 'timestamp', description: 'Read from the first record at or after this time (epoch ms or ISO-8601)', schema: { type: 'string' } },
  { name: 'limit', description: `Records to return, 1-${MAX_BROWSE} (default 50)`, schema: { type: 'integer' } },
  { name: 'key_format', description: 'auto (default), text, json, hex or base64', schema: { type: 'string' } },
  { name: 'value_format', description: 'auto (default), text, json, hex or base64', schema: { type: 'string' } },
  { name: 'isolation', description: 'read_uncommitted (default) or read_committed', schema: { type: 'string' } },
]

interface BrowseQuery {
  offset?: number
  timestamp?: number
  limit: number
  keyFormat: DataFormat
  valueFormat: DataFormat
  committed: boolean
}

function browseQuery(query: Record<string, unknown>): BrowseQuery {
  const offset = queryInt(query, 'offset', 0)
  const timestamp = query.timestamp === undefined || query.timestamp === '' ? undefined : parseTime(query.timestamp, 'timestamp')
  if (offset !== undefined && timestamp !== undefined) throw badRequest('Give offset or timestamp, not both.')
  const isolation = query.isolation ?? 'read_uncommitted'
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') throw badRequest('isolation must be read_uncommitted or read_committed.')
  return {
    offset, timestamp,
    limit: queryInt(query, 'limit', 1, MAX_BROWSE) ?? 50,
    keyFormat: parseFormat(query.key_format, 'key_format'),
    valueFormat: parseFormat(query.value_format, 'value_format'),
    committed: isolation === 'read_committed',
  }
}

function recordData(r: ReadRecord, q: BrowseQuery): Record<string, unknown> {
  return {
    partition_id: r.partition, offset: r.offset, timestamp: isoTime(r.timestamp), timestamp_type: r.timestampType,
    key: showData(r.key, q.keyFormat), value: showData(r.value, q.valueFormat), headers: showHeaders(r.headers),
  }
}

/** Where a browse of one partition starts: the offset, the timestamp's offset, or the newest `limit`. */
async function startOffset(broker: BrokerContext, topic: string, partition: number, q: BrowseQuery): Promise<number> {
  const b = broker.replicas.bounds(topic, partition)
  const start = b?.logStartOffset ?? 0
  const end = (q.committed ? b?.lastStableOffset : b?.highWatermark) ?? 0
  if (q.offset !== undefined) return q.offset
  if (q.timestamp !== undefined) {
    const found = await broker.replicas.listOffsets(topic, partition, q.timestamp)
    if (!found.ok) throw kafkaError(found.error, found.message)
    return found.offset < 0 ? found.highWatermark : found.offset
  }
  return Math.max(start, end - q.limit)
}

function originOf(r: ReadRecord, names: string[]): { header: string; value: Buffer } | undefined {
  for (const name of names) {
    const h = r.headers.find((x) => x.key === name && x.value !== null)
    if (h !== undefined) return { header: name, value: h.value! }
  }
  return undefined
}

/** Connect writes the partition as text, Spring as a 4-byte int. */
function originPartition(r: ReadRecord): number | undefined {
  const h = originOf(r, ORIGIN_PARTITION_HEADERS)
  if (h === undefined) return undefined
  const text = h.value.toString('utf8')
  if (/^\d+$/.test(text)) return Number(text)
  if (h.value.length === 4) return h.value.readInt32BE(0)
  return undefined
}

export function recordRoutes(broker: BrokerContext, routes: ApiRoutes): void {
  const p = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>
  const topic = '/v3/clusters/{cluster_id}/topics/{topic_name}'

  const writable = (name: string): TopicInfo => {
    const t = requireTopic(broker, name)
    if (t.internal) throw kafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${t.name}`)
    return t
  }

  routes.add('POST', `${topic}/records`, {
    tag: 'Record', summary: 'Produce a record',
    description: 'One record per request (v3\'s streaming mode, several JSON objects in one body, is not supported). Without partition_id, a keyed record goes to murmur2(key) like the Java client, an unkeyed one to the next partition in turn. Schema Registry formats (AVRO, PROTOBUF, JSONSCHEMA) are refused with 400.',
    body: {
      type: 'object',
      properties: {
        partition_id: { type: 'integer' }, key: DATA_SCHEMA, value: DATA_SCHEMA,
        headers: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, value: { type: 'string', nullable: true, description: 'base64' } } } },
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
    responses: {
      200: { description: 'Delivery report', schema: { type: 'object', properties: { error_code: { type: 'integer' }, cluster_id: { type: 'string' }, topic_name: { type: 'string' }, partition_id: { type: 'integer' }, offset: { type: 'integer' }, timestamp: { type: 'string' }, key: { type: 'object' }, value: { type: 'object' } } } },
      400: { description: 'Invalid record (40002)' }, 404: { description: 'Unknown topic (40403) or partition (40402)' },
    },
  }, async (req) => {
    const t = writable(p(req).topic_name!)
    const body = bodyObject(req.body)
    const key = parseProduceData(body.key, 'key')
    const value = parseProduceData(body.value, 'value')
    const headers = parseProduceHeaders(body.headers)
    const timestamp = body.timestamp === undefined || body.timestamp === null ? Date.now() : parseTime(body.timestamp, 'timestamp')
    const partition = body.partition_id === undefined || body.partition_id === null
      ? choosePartition(broker, t.name, t.partitions, key?.bytes ?? null)
      : requirePartition(t, optionalInt(body, 'partition_id'))
    const appended = await appendRecords(broker, t.name, partition, [{ key: key?.bytes ?? null, value: value?.bytes ?? null, headers, timestamp }])
    const out: Record<string, unknown> = {
      error_code: 200,
      cluster_id: broker.clusterId,
      topic_name: t.name,
      partition_id: partition,
      offset: appended.baseOffset,
      timestamp: isoTime(appended.logAppendTime >= 0 ? appended.logAppendTime : timestamp),
    }
    if (key !== undefined) out.key = { type: key.type, size: key.bytes?.length ?? 0 }
    if (value !== undefined) out.value = { type: value.type, size: value.bytes?.length ?? 0 }
    return out
  })

  routes.add('GET', `${topic}/partitions/{partition_id}/records`, {
    tag: 'Record', extension: true, summary: 'Read a partition\'s records',
    description: 'From an offset, from a timestamp, or (neither given) the newest `limit` records. Control records are never shown; read_committed leaves out aborted transactions. next_offset is where the next page starts.',
    query: BROWSE_QUERY,
    responses: {
      200: { description: 'SamsaRecordList', schema: { type: 'object', properties: { kind: { type: 'string' }, next_offset: { type: 'integer' }, log_start_offset: { type: 'integer' }, log_end_offset: { type: 'integer' }, data: { type: 'array', items: RECORD_SCHEMA } } } },
      400: { description: 'Invalid query (40002)' }, 404: { description: 'Unknown topic (40403) or partition (40402)' },
    },
  }, async (req) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const partition = requirePartition(t, p(req).partition_id)
    const q = browseQuery(req.query as Record<string, unknown>)
    const from = await startOffset(broker, t.name, partition, q)
    const read = await readPartition(broker, t.name, partition, from, q.limit, { committed: q.committed })
    return {
      kind: 'SamsaRecordList', cluster_id: broker.clusterId, topic_name: t.name, partition_id: partition,
      log_start_offset: read.logStartOffset, log_end_offset: read.highWatermark, last_stable_offset: read.lastStableOffset, next_offset: read.nextOffset,
      data: read.records.map((r) => recordData(r, q)),
    }
  })

  routes.add('GET', `${topic}/records`, {
    tag: 'Record', extension: true, summary: 'Read records of every partition, merged by timestamp',
    description: 'Each partition is read as the partition endpoint reads it (same query), then the records are merged by timestamp: the first `limit` from an offset or timestamp, the newest `limit` otherwise.',
    query: BROWSE_QUERY,
    responses: { 200: { description: 'SamsaRecordList', schema: { type: 'object', properties: { kind: { type: 'string' }, data: { type: 'array', items: RECORD_SCHEMA } } } }, 404: { description: 'Unknown topic (40403)' } },
  }, async (req) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const q = browseQuery(req.query as Record<string, unknown>)
    const all: ReadRecord[] = []
    for (let partition = 0; partition < t.partitions; partition++) {
      const from = await startOffset(broker, t.name, partition, q)
      all.push(...(await readPartition(broker, t.name, partition, from, q.limit, { committed: q.committed })).records)
    }
    all.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset)
    const picked = q.offset === undefined && q.timestamp === undefined ? all.slice(-q.limit) : all.slice(0, q.limit)
    return { kind: 'SamsaRecordList', cluster_id: broker.clusterId, topic_name: t.name, data: picked.map((r) => recordData(r, q)) }
  })

  routes.add('POST', `${topic}/records:replay`, {
    tag: 'Record', extension: true,
    summary: 'Replay a dead-letter topic\'s records into their source topic',
    description: `Copies the records of one partition of this (dead-letter) topic, offsets from_offset to to_offset inclusive (at most ${MAX_REPLAY}, committed records only), to target_topic_name, or else to the topic named by each record's ${ORIGIN_TOPIC_HEADERS.join(' / ')} header. Key, value and headers are kept; the timestamp is now unless keep_timestamps. The partition is target_partition_id, else the record's ${ORIGIN_PARTITION_HEADERS.join(' / ')} header when valid, else murmur2(key), else round robin. Records are checked first; each target partition gets its records in order.`,
    body: {
      type: 'object', required: ['partition_id', 'from_offset', 'to_offset'],
      properties: {
        partition_id: { type: 'integer' }, from_offset: { type: 'integer' }, to_offset: { type: 'integer', description: 'inclusive' },
        target_topic_name: { type: 'string' }, target_partition_id: { type: 'integer' }, keep_timestamps: { type: 'boolean' }, dry_run: { type: 'boolean' },
      },
    },
    responses: {
      200: { description: 'SamsaReplayResult', schema: { type: 'object', additionalProperties: true } },
      400: { description: 'Invalid request, or a record without a source topic (40002)' }, 404: { description: 'Unknown topic (40403) or partition (40402)' },
    },
  }, async (req) => {
    const dlq = requireTopic(broker, p(req).topic_name!)
    const body = bodyObject(req.body)
    const partition = requirePartition(dlq, requiredInt(body, 'partition_id'))
    const from = requiredInt(body, 'from_offset', 0)
    const to = requiredInt(body, 'to_offset', 0)
    if (to < from) throw badRequest('to_offset must not be below from_offset.')
    if (to - from + 1 > MAX_REPLAY) throw badRequest(`At most ${MAX_REPLAY} records per replay.`)
    const targetName = optionalString(body, 'target_topic_name')
    const fixedTarget = targetName === undefined ? undefined : writable(targetName)
    const targetPartition = optionalInt(body, 'target_partition_id', 0)
    const keepTimestamps = optionalBool(body, 'keep_timestamps')
    const dryRun = optionalBool(body, 'dry_run')

    const read = await readPartition(broker, dlq.name, partition, from, to - from + 1, { committed: true, untilOffset: to + 1 })
    const now = Date.now()
    const plan = read.records.map((r) => {
      let target = fixedTarget
      let via = 'target_topic_name'
      if (target === undefined) {
        const origin = originOf(r, ORIGIN_TOPIC_HEADERS)
        if (origin === undefined) throw badRequest(`The record at offset ${r.offset} has no ${ORIGIN_TOPIC_HEADERS.join(' / ')} header; give target_topic_name.`)
        const name = origin.value.toString('utf8')
        if (broker.topics.get(name) === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The record at offset ${r.offset} names source topic '${name}' (header ${origin.header}), which does not exist.`)
        target = writable(name)
        via = `header ${origin.header}`
      }
      if (target.name === dlq.name) throw badRequest(`Replaying ${dlq.name} into itself would loop; give another target_topic_name.`)
      let part: number
      if (targetPartition !== undefined) part = requirePartition(target, targetPartition)
      else {
        const original = originPartition(r)
        part = original !== undefined && original < target.partitions ? original : choosePartition(broker, target.name, target.partitions, r.key)
      }
      const record: RecordInput = { key: r.key, value: r.value, headers: r.headers, timestamp: keepTimestamps ? r.timestamp : now }
      return { source: r.offset, topic: target.name, partition: part, via, record, offset: null as number | null }
    })

    if (!dryRun) {
      // One batch per target partition run, in source order within each partition.
      const byPartition = new Map<string, typeof plan>()
      for (const x of plan) {
        const k = `${x.topic}\0${x.partition}`
        byPartition.set(k, [...(byPartition.get(k) ?? []), x])
      }
      let written = 0
      for (const entries of byPartition.values()) {
        for (let i = 0; i < entries.length; i += REPLAY_BATCH) {
          const chunk = entries.slice(i, i + REPLAY_BATCH)
          try {
            const { baseOffset } = await appendRecords(broker, chunk[0]!.topic, chunk[0]!.partition, chunk.map((x) => x.record))
            chunk.forEach((x, j) => (x.offset = baseOffset + j))
            written += chunk.length
          } catch (err) {
            const e = err instanceof ApiError ? err : kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message)
            throw new ApiError(e.status, e.errorCode, `${e.message} (${written} of ${plan.length} records were replayed before the failure)`)
          }
        }
      }
    }
    return {
      kind: 'SamsaReplayResult',
      cluster_id: broker.clusterId,
      topic_name: dlq.name,
      partition_id: partition,
      from_offset: from,
      to_offset: to,
      dry_run: dryRun,
      replayed: dryRun ? 0 : plan.length,
      data: plan.map((x) => ({ source_offset: x.source, target_topic_name: x.topic, target_partition_id: x.partition, target_from: x.via, offset: x.offset })),
    }
  })
}

// Request builders and response readers shared by the e2e behaviour tests that talk to
// the broker with RawClient: create a topic, produce one batch, fetch, split what a fetch
// returns into batches, and read pipelined responses off one socket.

import { Reader } from '../../protocol/wire/reader.ts'
import { decodeResponseHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import { defaultProduceRequest, type ProduceRequest } from '../../protocol/messages/produce-request.ts'
import type { PartitionProduceResponse, ProduceResponse } from '../../protocol/messages/produce-response.ts'
import { defaultFetchRequest, defaultFetchPartition, type FetchRequest } from '../../protocol/messages/fetch-request.ts'
import type { FetchResponse, PartitionData } from '../../protocol/messages/fetch-response.ts'
import { buildRecordBatch, type BuildBatchOptions } from '../../protocol/records/record-batch-builder.ts'
import { LOG_OVERHEAD, BATCH_LENGTH_OFFSET } from '../../protocol/records/record-batch.ts'
import type { RawClient } from './raw-client.ts'

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

let slowCorrelation = 1_000_000

/**
 * Like RawClient.request but with a longer wait: the first request that reaches the shard
 * workers (typically the first CreateTopics) waits for their start-up, which on a loaded
 * machine can exceed RawClient's 5 s.
 */
export async function patientRequest<T = any>(c: RawClient, apiKey: number, version: number, body: unknown, timeoutMs = 30_000): Promise<T> {
  const correlationId = slowCorrelation++
  c.write(c.frameFor(apiKey, version, body, correlationId))
  const frame = await c.nextFrame(timeoutMs)
  if (frame === null) throw new Error(`no response to api ${apiKey} v${version} within ${timeoutMs} ms`)
  const res = decodeFrame<T>(frame, apiKey, version)
  if (res.correlationId !== correlationId) throw new Error(`correlation id ${res.correlationId}, expected ${correlationId}`)
  return res.body
}

/** CreateTopics v7; throws unless the topic was created. Returns its topic id. */
export async function createTopic(c: RawClient, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const req = defaultCreateTopicsRequest()
  const topic = defaultCreatableTopic()
  topic.name = name
  topic.numPartitions = partitions
  topic.replicationFactor = 1
  topic.configs = Object.entries(configs).map(([k, v]) => ({ name: k, value: v }))
  req.topics = [topic]
  const res = await patientRequest<CreateTopicsResponse>(c, 19, 7, req)
  const r = res.topics[0]!
  if (r.errorCode !== 0) throw new Error(`creating ${name} failed: ${r.errorCode} ${r.errorMessage}`)
  return r.topicId
}

/** A batch of records whose values are `values` (utf8). */
export function batchOf(values: string[], options: Omit<BuildBatchOptions, 'records'> = {}): Buffer {
  return buildRecordBatch({ ...options, records: values.map((v) => ({ value: Buffer.from(v) })) })
}

export function produceRequest(parts: Array<{ topic: string; partition: number; records: Buffer }>, acks = -1): ProduceRequest {
  const req = defaultProduceRequest()
  req.acks = acks
  req.timeoutMs = 5000
  const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>()
  for (const p of parts) {
    if (!byTopic.has(p.topic)) byTopic.set(p.topic, [])
    byTopic.get(p.topic)!.push({ index: p.partition, records: p.records })
  }
  req.topicData = [...byTopic].map(([name, partitionData]) => ({ name, partitionData }))
  return req
}

/** Produces one batch to one partition (Produce v9, acks=-1) and returns that partition's answer. */
export async function produce(c: RawClient, topic: string, partition: number, records: Buffer, version = 9): Promise<PartitionProduceResponse> {
  const res = await c.request<ProduceResponse>(0, version, produceRequest([{ topic, partition, records }]))
  return res.responses[0]!.partitionResponses[0]!
}

export interface FetchWant {
  topic: string
  partition: number
  offset: number
  partitionMaxBytes?: number
}

export function fetchRequest(wants: FetchWant[], options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {}): FetchRequest {
  const req = defaultFetchRequest()
  req.maxWaitMs = options.maxWaitMs ?? 0
  req.minBytes = options.minBytes ?? 1
  req.maxBytes = options.maxBytes ?? 0x7fffffff
  const byTopic = new Map<string, FetchWant[]>()
  for (const w of wants) {
    if (!byTopic.has(w.topic)) byTopic.set(w.topic, [])
    byTopic.get(w.topic)!.push(w)
  }
  req.topics = [...byTopic].map(([topic, ws]) => ({
    topic,
    topicId: ZERO_UUID,
    partitions: ws.map((w) => ({ ...defaultFetchPartition(), partition: w.partition, fetchOffset: w.offset, partitionMaxBytes: w.partitionMaxBytes ?? 1 << 20 })),
  }))
  return req
}

export async function fetch(c: RawClient, version: number, wants: FetchWant[], options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {}): Promise<FetchResponse> {
  return c.request<FetchResponse>(1, version, fetchRequest(wants, options))
}

/** Fetches one partition without waiting and returns its partition data. */
export async function fetchOne(c: RawClient, topic: string, partition: number, offset: number, version = 12): Promise<PartitionData> {
  const res = await fetch(c, version, [{ topic, partition, offset }])
  return res.responses[0]!.partitions[0]!
}

/** The complete batches in a fetched records blob (a trailing partial batch, which Kafka may send, is left out). */
export function splitBatches(records: Buffer | null): Buffer[] {
  const out: Buffer[] = []
  if (records === null) return out
  let pos = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (pos + size > records.length) break
    out.push(records.subarray(pos, pos + size))
    pos += size
  }
  return out
}

/** Decodes a response frame read with RawClient.nextFrame (for pipelined requests). */
export function decodeFrame<T = any>(frame: Buffer, apiKey: number, version: number): { correlationId: number; body: T } {
  const r = new Reader(frame)
  const { correlationId } = decodeResponseHeader(r, apiKey, version)
  return { correlationId, body: apiMessages[apiKey]!.decodeResponse(r, version) as T }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Resolves once the broker has answered a request sent now on `c`: whatever was sent
 * before it on other connections has been read and handled as far as it can be, so a
 * request that is still unanswered is waiting, not in transit. Replaces sleeps used as
 * "nothing happened" windows.
 */
export async function roundTrip(c: RawClient): Promise<void> {
  await c.request(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' })
  await new Promise((resolve) => setImmediate(resolve))
}

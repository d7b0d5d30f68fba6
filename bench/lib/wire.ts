// The load generator's side of the Kafka protocol: a pipelined connection that hands
// out response frames in order, and the few requests the kit needs, encoded with the
// broker's own generated codecs. Produce frames are encoded once and replayed as the
// same Buffers, so the client spends its time writing bytes, not building them.

import { connect, type Socket } from 'node:net'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { writeRequestHeader, decodeResponseHeader } from '../../protocol/wire/headers.ts'
import { FrameDecoder } from '../../src/server/frame-decoder.ts'
import { defaultProduceRequest, encodeProduceRequest } from '../../protocol/messages/produce-request.ts'
import { decodeProduceResponse } from '../../protocol/messages/produce-response.ts'
import { defaultFetchRequest, defaultFetchPartition, encodeFetchRequest } from '../../protocol/messages/fetch-request.ts'
import { decodeFetchResponse, type FetchResponse } from '../../protocol/messages/fetch-response.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic, encodeCreateTopicsRequest } from '../../protocol/messages/create-topics-request.ts'
import { decodeCreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import { encodeInitProducerIdRequest } from '../../protocol/messages/init-producer-id-request.ts'
import { decodeInitProducerIdResponse } from '../../protocol/messages/init-producer-id-response.ts'
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD, batchBaseOffset, batchLastOffsetDelta } from '../../protocol/records/record-batch.ts'

export const PRODUCE_VERSION = 9
export const FETCH_VERSION = 12
const CREATE_TOPICS_VERSION = 7
const MAX_FRAME = 0x7fffffff
const CLIENT_ID = 'samsa-bench'

/** One TCP connection with requests pipelined; responses are delivered in send order. */
export class KafkaConn {
  readonly socket: Socket
  private readonly decoder = new FrameDecoder(MAX_FRAME)
  private readonly waiting: Array<(frame: Buffer) => void> = []
  private failure: Error | null = null
  bytesIn = 0

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      this.decoder.push(chunk, (frame) => {
        const w = this.waiting.shift()
        if (w === undefined) this.fail(new Error('response without a request'))
        else w(frame)
      })
    })
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => this.fail(new Error('connection closed by the broker')))
  }

  static open(port: number, host = '127.0.0.1'): Promise<KafkaConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject)
        resolve(new KafkaConn(s))
      })
      s.once('error', reject)
    })
  }

  private fail(err: Error): void {
    if (this.failure !== null) return
    this.failure = err
  }

  get error(): Error | null {
    return this.failure
  }

  /** Queues `onResponse` for the next response frame and writes the request; returns false when the socket wants a drain. */
  send(frame: Buffer, onResponse: ((frame: Buffer) => void) | null): boolean {
    if (onResponse !== null) this.waiting.push(onResponse)
    return this.socket.write(frame)
  }

  request(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure !== null) return reject(this.failure)
      this.send(frame, resolve)
      const onClose = (): void => reject(this.failure ?? new Error('closed'))
      this.socket.once('close', onClose)
      this.waiting[this.waiting.length - 1] = (f) => {
        this.socket.off('close', onClose)
        resolve(f)
      }
    })
  }

  waitDrain(): Promise<void> {
    return new Promise((resolve) => this.socket.once('drain', resolve))
  }

  close(): void {
    this.socket.destroy()
  }
}

export function frameOf(apiKey: number, version: number, correlationId: number, body: (w: Writer) => void): Buffer {
  const w = Writer.frame()
  writeRequestHeader(w, apiKey, version, correlationId, CLIENT_ID)
  body(w)
  const chunks = w.finish()
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

export async function createTopic(conn: KafkaConn, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const req = defaultCreateTopicsRequest()
  const t = defaultCreatableTopic()
  t.name = name
  t.numPartitions = partitions
  t.replicationFactor = 1
  t.configs = Object.entries(configs).map(([k, v]) => ({ name: k, value: v }))
  req.topics = [t]
  req.timeoutMs = 60_000
  const frame = await conn.request(frameOf(19, CREATE_TOPICS_VERSION, 1, (w) => encodeCreateTopicsRequest(w, CREATE_TOPICS_VERSION, req)))
  const r = new Reader(frame)
  decodeResponseHeader(r, 19, CREATE_TOPICS_VERSION)
  const res = decodeCreateTopicsResponse(r, CREATE_TOPICS_VERSION)
  const code = res.topics[0]?.errorCode ?? -1
  if (code !== 0 && code !== 36 /* TOPIC_ALREADY_EXISTS */) throw new Error(`CreateTopics ${name}: error ${code} ${res.topics[0]?.errorMessage ?? ''}`)
}

/** A producer id for an idempotent producer (InitProducerId v4, no transactional id). */
export async function initProducerId(conn: KafkaConn): Promise<number> {
  const version = 4
  const frame = await conn.request(frameOf(22, version, 1, (w) => encodeInitProducerIdRequest(w, version, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1, producerEpoch: -1 })))
  const r = new Reader(frame)
  decodeResponseHeader(r, 22, version)
  const res = decodeInitProducerIdResponse(r, version)
  if (res.errorCode !== 0) throw new Error(`InitProducerId: error ${res.errorCode}`)
  return res.producerId
}

/** A Produce frame carrying `batch` for each of `partitions` of `topic`. */
export function produceFrame(topic: string, partitions: number[], batch: Buffer, acks: number, correlationId: number): Buffer {
  const req = defaultProduceRequest()
  req.acks = acks
  req.timeoutMs = 30_000
  req.topicData = [{ name: topic, partitionData: partitions.map((index) => ({ index, records: batch })) }]
  return frameOf(0, PRODUCE_VERSION, correlationId, (w) => encodeProduceRequest(w, PRODUCE_VERSION, req))
}

export interface ProduceOutcome {
  errors: number
  firstError: number
  /** Base offset per partition, in request order. */
  baseOffsets: Array<{ partition: number; baseOffset: number }>
}

export function readProduceResponse(frame: Buffer): ProduceOutcome {
  const r = new Reader(frame)
  decodeResponseHeader(r, 0, PRODUCE_VERSION)
  const res = decodeProduceResponse(r, PRODUCE_VERSION)
  let errors = 0
  let firstError = 0
  const baseOffsets: ProduceOutcome['baseOffsets'] = []
  for (const t of res.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0) {
        errors++
        if (firstError === 0) firstError = p.errorCode
      }
      baseOffsets.push({ partition: p.index, baseOffset: Number(p.baseOffset) })
    }
  }
  return { errors, firstError, baseOffsets }
}

export function fetchFrame(topic: string, offsets: Array<{ partition: number; offset: number }>, opts: { maxWaitMs: number; minBytes: number; maxBytes: number; partitionMaxBytes: number }, correlationId: number): Buffer {
  const req = defaultFetchRequest()
  req.maxWaitMs = opts.maxWaitMs
  req.minBytes = opts.minBytes
  req.maxBytes = opts.maxBytes
  req.topics = [{
    topic,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    partitions: offsets.map(({ partition, offset }) => {
      const p = defaultFetchPartition()
      p.partition = partition
      p.fetchOffset = offset
      p.partitionMaxBytes = opts.partitionMaxBytes
      return p
    }),
  }]
  return frameOf(1, FETCH_VERSION, correlationId, (w) => encodeFetchRequest(w, FETCH_VERSION, req))
}

export function readFetchResponse(frame: Buffer): FetchResponse {
  const r = new Reader(frame)
  decodeResponseHeader(r, 1, FETCH_VERSION)
  return decodeFetchResponse(r, FETCH_VERSION)
}

export interface BatchSpan {
  baseOffset: number
  lastOffset: number
  bytes: number
}

/** Walks the batch headers of fetched records (no decoding); an incomplete trailing batch is ignored, as clients do. */
export function forEachBatch(records: Buffer, fn: (span: BatchSpan) => void): void {
  let pos = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (pos + size > records.length) break
    const base = batchBaseOffset(records, pos)
    fn({ baseOffset: base, lastOffset: base + batchLastOffsetDelta(records, pos), bytes: size })
    pos += size
  }
}

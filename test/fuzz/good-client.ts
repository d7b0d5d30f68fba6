// The well-behaved client that runs alongside the fuzzer on its own connection: it
// produces small batches (every codec, Produce v3-v11) to a topic of its own and fetches
// each one back (Fetch v4-v12) in a loop. It must see no error at all: no error code,
// no offset other than the next one, no record other than what it wrote, no timeout,
// no closed connection. Afterwards everything it wrote is read back from the start.

import { batchOf, fetchRequest, produceRequest, splitBatches } from '../helpers/wire-requests.ts'
import { WireClient } from './wire-client.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'
import { decodeRecords } from '../../protocol/records/record-decoder.ts'
import { isCrcValid } from '../../protocol/records/record-batch.ts'

const PRODUCE_VERSIONS = [3, 5, 7, 8, 9, 11]
const FETCH_VERSIONS = [4, 7, 11, 12]
const REQUEST_TIMEOUT_MS = 30_000

export interface GoodClientStats {
  produced: number
  batches: number
  fetched: number
  errors: number
  firstError: string | null
  maxLatencyMs: number
}

export class GoodClient {
  readonly topic: string
  private readonly port: number
  private readonly partitions: number
  private client: WireClient | null = null
  private stopped = false
  private loop: Promise<void> | null = null
  /** Values written, per partition, in offset order from `base`. */
  private readonly written: string[][]
  private readonly base: number[]
  readonly stats: GoodClientStats = { produced: 0, batches: 0, fetched: 0, errors: 0, firstError: null, maxLatencyMs: 0 }

  constructor(port: number, topic: string, partitions = 2) {
    this.port = port
    this.topic = topic
    this.partitions = partitions
    this.written = Array.from({ length: partitions }, () => [])
    this.base = new Array<number>(partitions).fill(0)
  }

  async start(): Promise<void> {
    this.client = await WireClient.connect(this.port)
    const req = defaultCreateTopicsRequest()
    req.topics = [{ ...defaultCreatableTopic(), name: this.topic, numPartitions: this.partitions, replicationFactor: 1 }]
    req.timeoutMs = 30_000
    const res = await this.client.request<CreateTopicsResponse>(19, 7, req)
    if (res.topics[0]?.errorCode !== 0) throw new Error(`cannot create ${this.topic}: error ${res.topics[0]?.errorCode}`)
    this.loop = this.run()
  }

  async stop(): Promise<GoodClientStats> {
    this.stopped = true
    await this.loop
    return this.stats
  }

  private error(message: string): void {
    this.stats.errors++
    this.stats.firstError ??= message
  }

  private async request<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const started = Date.now()
    try {
      return await this.client!.request<T>(apiKey, version, body, REQUEST_TIMEOUT_MS)
    } finally {
      const took = Date.now() - started
      if (took > this.stats.maxLatencyMs) this.stats.maxLatencyMs = took
    }
  }

  private async run(): Promise<void> {
    let seq = 0
    while (!this.stopped && this.stats.errors === 0) {
      const partition = seq % this.partitions
      const count = 1 + (seq % 5)
      const values = Array.from({ length: count }, (_, i) => `good-${partition}-${seq}-${i}`)
      const produceVersion = PRODUCE_VERSIONS[seq % PRODUCE_VERSIONS.length]!
      const fetchVersion = FETCH_VERSIONS[seq % FETCH_VERSIONS.length]!
      seq++
      try {
        const expected = this.base[partition]! + this.written[partition]!.length
        const res = await this.request<ProduceResponse>(0, produceVersion, produceRequest([{ topic: this.topic, partition, records: batchOf(values, { compression: seq % 5 }) }]))
        const p = res.responses[0]?.partitionResponses[0]
        if (p === undefined) throw new Error('produce response without the partition')
        if (p.errorCode !== 0) throw new Error(`produce to ${this.topic}-${partition} failed with error ${p.errorCode} ${p.errorMessage ?? ''}`)
        if (Number(p.baseOffset) !== expected) throw new Error(`produce to ${this.topic}-${partition} got offset ${p.baseOffset}, expected ${expected}`)
        this.written[partition]!.push(...values)
        this.stats.produced += values.length
        this.stats.batches++

        const f = await this.request<FetchResponse>(1, fetchVersion, fetchRequest([{ topic: this.topic, partition, offset: expected }], { maxWaitMs: 0 }))
        const data = f.responses[0]?.partitions[0]
        if (data === undefined) throw new Error('fetch response without the partition')
        if (data.errorCode !== 0) throw new Error(`fetch of ${this.topic}-${partition} at ${expected} failed with error ${data.errorCode}`)
        const got = this.decode(data.records, expected)
        if (got.join() !== values.join()) throw new Error(`fetch of ${this.topic}-${partition} at ${expected} returned ${JSON.stringify(got)}, expected ${JSON.stringify(values)}`)
        this.stats.fetched += got.length
      } catch (err) {
        this.error((err as Error).message)
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  /** Values of the records at `from` and after, in a fetched records blob. */
  private decode(records: Buffer | null, from: number): string[] {
    const out: string[] = []
    for (const b of splitBatches(records)) {
      if (!isCrcValid(b)) throw new Error('fetched a batch with a bad CRC')
      for (const r of decodeRecords(b)) if (r.offset >= from) out.push(r.value?.toString() ?? '<null>')
    }
    return out
  }

  /** Reads every partition from its first offset written here; returns why not everything is there, or null. */
  async verify(): Promise<string | null> {
    try {
      for (let partition = 0; partition < this.partitions; partition++) {
        const want = this.written[partition]!
        const got: string[] = []
        let offset = this.base[partition]!
        for (let round = 0; round < 10_000 && got.length < want.length; round++) {
          const f = await this.request<FetchResponse>(1, 12, fetchRequest([{ topic: this.topic, partition, offset, partitionMaxBytes: 1 << 20 }], { maxWaitMs: 0 }))
          const data = f.responses[0]!.partitions[0]!
          if (data.errorCode !== 0) return `reading ${this.topic}-${partition} at ${offset}: error ${data.errorCode}`
          const values = this.decode(data.records, offset)
          if (values.length === 0) break
          got.push(...values)
          offset += values.length
        }
        if (got.join('\n') !== want.join('\n')) {
          const i = got.findIndex((v, k) => v !== want[k])
          return `${this.topic}-${partition}: read back ${got.length} records, wrote ${want.length}; first difference at ${this.base[partition]! + (i < 0 ? got.length : i)}`
        }
      }
      return null
    } catch (err) {
      return (err as Error).message
    } finally {
      this.client?.close()
    }
  }
}

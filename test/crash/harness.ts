// The crash harness (issue 8): a broker in a child process (`--fsync always`, 2 shards,
// one data dir for the whole run) takes a produce load from raw connections, some of them
// idempotent producers, and is killed with SIGKILL after a seeded random delay. It is
// restarted on the same data dir and port, and the whole log is read back and checked
// against every acknowledgement the load received:
//
//   - every acknowledged record is at the offset its acknowledgement gave (base + index);
//   - offsets are contiguous from the log start to the high watermark, batch after batch;
//   - every stored batch has a valid CRC and decodes (decodeRecords), with as many
//     records as its header says;
//   - no value twice in a partition, and nothing stored that was never sent; a stored
//     batch is exactly one batch that was sent (same values, producer id, sequence);
//   - what an earlier cycle read back (acknowledged or not) does not change later;
//   - idempotent producers re-send the requests whose answers the kill swallowed: a batch
//     the crash had stored must come back as a duplicate with its original offset, one it
//     had not is stored once;
//   - after the retries, DescribeProducers shows each idempotent producer's last sequence;
//   - InitProducerId never hands out an id twice across restarts.
//
// Then the next cycle produces on top (data accumulates). At the end the broker is stopped
// with SIGTERM (it must exit 0), started once more (clean start, no recovery) and read back.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnBroker, type ChildBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { describeProducers, freePort } from '../helpers/partition-records.ts'
import { batchOf, createTopic, decodeFrame, fetch, patientRequest, produceRequest, splitBatches } from '../helpers/wire-requests.ts'
import { decodeRecords } from '../../protocol/records/record-decoder.ts'
import { isCrcValid, readBatchHeader } from '../../protocol/records/record-batch.ts'
import { errorName, ErrorCode } from '../../protocol/error-codes.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'
import type { InitProducerIdResponse } from '../../protocol/messages/init-producer-id-response.ts'

export interface CrashOptions {
  cycles: number
  seed: number
  /** Where the broker keeps its data; must be empty or absent. A temporary dir otherwise (removed after a passing run). */
  dataDir?: string
  /** One line per cycle; defaults to no output. */
  log?: (line: string) => void
  /** Kill after this many ms of load, drawn uniformly (seeded). Default [50, 1000]. */
  killAfterMs?: [number, number]
  /** Runs between the kill and the restart; the harness's own test uses it to damage the data as a broker bug would. */
  afterKill?: (info: { dataDir: string; cycle: number }) => void
}

export interface Violation {
  check: string
  cycle: number
  topic?: string
  partition?: number
  offset?: number
  message: string
}

export interface CycleReport {
  cycle: number
  killAfterMs: number
  ackedRecords: number
  ackedBatches: number
  inFlightRequests: number
  /** Batches of unanswered requests that the restarted broker had in its log: kills between a write and its answer. */
  inFlightBatchesStored: number
  retried: { duplicates: number; stored: number }
  recoveryMs: number
  readyMs: number | null
  truncations: Array<{ topic: string; partition: number; truncatedBytes: number | null }>
  verifyMs: number
  storedRecords: number
}

export interface CrashSummary {
  ok: boolean
  seed: number
  cycles: number
  cyclesCompleted: number
  acknowledgedRecords: number
  acknowledgedBatches: number
  storedRecords: number
  inFlightAtKill: number
  inFlightBatchesStored: number
  idempotentRetries: { duplicates: number; stored: number }
  truncations: number
  recoveryMs: { min: number; median: number; max: number }
  durationMs: number
  dataDir: string
  failures: Violation[]
  firstFailure: string | null
  perCycle: CycleReport[]
}

export const TOPICS = [
  { name: 'crash-a', partitions: 4 },
  { name: 'crash-b', partitions: 2 },
] as const

const PRODUCE_VERSION = 9
const REQUEST_TIMEOUT_MS = 30_000
const MAX_VIOLATIONS = 50

/** mulberry32: small, seedable, good enough to pick partitions and delays. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const key = (topic: string, partition: number): string => `${topic}-${partition}`

interface SentBatch {
  topic: string
  partition: number
  values: string[]
  bytes: Buffer
  producerId: number
  baseSequence: number
  conn: string
}

interface SentRequest {
  batches: SentBatch[]
}

interface Producer {
  producerId: number
  producerEpoch: number
  nextSequence: Map<string, number>
}

interface Conn {
  name: string
  /** Requests kept in flight on the socket at once. */
  depth: number
  /** Idempotent connections: a producer kept across cycles, or a new one each cycle. */
  idempotent: false | 'keep' | 'renew'
  producer: Producer | null
  /** Written, never answered: what the kill swallowed. */
  inFlight: SentRequest[]
}

interface PartitionModel {
  /** Value at each offset as last read back (everything below `values.length` is settled). */
  values: string[]
  /** Every acknowledged offset and its value, all cycles. */
  acked: Map<number, string>
}

interface Ack {
  topic: string
  partition: number
  baseOffset: number
  values: string[]
}

class Failed extends Error {}

interface StoredBatch {
  baseOffset: number
  values: string[]
  producerId: number
  baseSequence: number
}

interface ReadBack {
  logStart: number
  highWatermark: number
  values: string[]
  batches: StoredBatch[]
}

/** Runs `cycles` kill -9 cycles and returns what happened; never throws for a broker fault (it is a failure in the summary). */
export async function runCrashCycles(options: CrashOptions): Promise<CrashSummary> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const [killMin, killMax] = options.killAfterMs ?? [50, 1000]
  const ownDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'samsa-crash-'))
  mkdirSync(dataDir, { recursive: true })
  if (readdirSync(dataDir).length > 0) throw new Error(`data dir ${dataDir} is not empty: the harness checks a log it wrote from the start`)

  const rand = prng(options.seed)
  const violations: Violation[] = []
  const perCycle: CycleReport[] = []
  const model = new Map<string, PartitionModel>()
  for (const t of TOPICS) for (let p = 0; p < t.partitions; p++) model.set(key(t.name, p), { values: [], acked: new Map() })
  const producerIds = new Set<number>()
  let cycle = 0
  let ackedRecords = 0
  let ackedBatches = 0
  let inFlightAtKill = 0
  const retries = { duplicates: 0, stored: 0 }

  const fail = (v: Omit<Violation, 'cycle'>): void => {
    if (violations.length < MAX_VIOLATIONS) violations.push({ cycle, ...v })
  }
  const stopIfFailed = (): void => {
    if (violations.length > 0) throw new Failed()
  }

  const port = await freePort()
  const args = ['--data-dir', dataDir, '--fsync', 'always', '--shards', '2']
  let broker: ChildBroker | null = null
  const killBroker = (): void => {
    broker?.child.kill('SIGKILL')
  }
  process.once('exit', killBroker)

  const start = async (what: string): Promise<{ broker: ChildBroker; ms: number }> => {
    const t0 = Date.now()
    try {
      const b = await spawnBroker(args, {}, port)
      return { broker: b, ms: Date.now() - t0 }
    } catch (err) {
      fail({ check: 'broker start-up', message: `${what}: ${(err as Error).message.slice(0, 4000)}` })
      throw new Failed()
    }
  }

  const conns: Conn[] = [
    { name: 'i0', depth: 1, idempotent: 'keep', producer: null, inFlight: [] },
    { name: 'i1', depth: 2, idempotent: 'keep', producer: null, inFlight: [] },
    { name: 'i2', depth: 1, idempotent: 'renew', producer: null, inFlight: [] },
    { name: 'p0', depth: 1, idempotent: false, producer: null, inFlight: [] },
    { name: 'p1', depth: 3, idempotent: false, producer: null, inFlight: [] },
    { name: 'p2', depth: 2, idempotent: false, producer: null, inFlight: [] },
  ]
  const allPartitions = TOPICS.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => ({ topic: t.name, partition: p })))

  // --- reading back and checking ------------------------------------------------------

  /** Reads a whole partition, checking CRCs, decoding and offset contiguity on the way. */
  const readBack = async (topic: string, partition: number): Promise<ReadBack | null> => {
    const c = await RawClient.connect(port)
    try {
      let offset = 0
      let logStart = -1
      let hw = -1
      const values: string[] = []
      const batches: StoredBatch[] = []
      for (let round = 0; ; round++) {
        const res = await fetch(c, 12, [{ topic, partition, offset, partitionMaxBytes: 8 << 20 }], { maxBytes: 16 << 20 })
        const p = res.responses[0]!.partitions[0]!
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && round === 0 && p.logStartOffset > 0) {
          offset = p.logStartOffset
          continue
        }
        if (p.errorCode !== 0) {
          fail({ check: 'readable', topic, partition, offset, message: `fetch at ${offset} answered ${errorName(p.errorCode)}` })
          return null
        }
        if (hw < 0) {
          hw = p.highWatermark
          logStart = p.logStartOffset
          if (logStart !== offset) {
            fail({ check: 'contiguous offsets', topic, partition, offset, message: `log start offset is ${logStart}, but offset ${offset} was readable` })
            return null
          }
          for (let o = 0; o < logStart; o++) values.push('')
        }
        if (offset >= hw) break
        const raw = splitBatches(p.records)
        if (raw.length === 0) {
          fail({ check: 'readable', topic, partition, offset, message: `fetch at ${offset} returned no whole batch below the high watermark ${hw}` })
          return null
        }
        for (const b of raw) {
          const h = readBatchHeader(b)
          if (h.baseOffset + h.lastOffsetDelta < offset) continue // a batch before the one asked for (not expected, allowed)
          if (h.baseOffset !== offset) {
            fail({ check: 'contiguous offsets', topic, partition, offset, message: `expected a batch at offset ${offset}, found one at ${h.baseOffset} (last offset ${h.baseOffset + h.lastOffsetDelta})` })
            return null
          }
          if (!isCrcValid(b)) {
            fail({ check: 'batch decodes', topic, partition, offset, message: `the batch at ${offset} has a bad CRC` })
            return null
          }
          let records
          try {
            records = decodeRecords(b)
          } catch (err) {
            fail({ check: 'batch decodes', topic, partition, offset, message: `the batch at ${offset} does not decode: ${(err as Error).message}` })
            return null
          }
          if (records.length !== h.recordCount || h.lastOffsetDelta !== h.recordCount - 1) {
            fail({ check: 'batch decodes', topic, partition, offset, message: `the batch at ${offset} holds ${records.length} records, its header says ${h.recordCount} (last offset delta ${h.lastOffsetDelta})` })
            return null
          }
          const batchValues: string[] = []
          for (const [i, r] of records.entries()) {
            if (r.offset !== offset + i) {
              fail({ check: 'contiguous offsets', topic, partition, offset: offset + i, message: `record ${i} of the batch at ${offset} has offset ${r.offset}` })
              return null
            }
            batchValues.push(r.value === null ? '<null>' : r.value.toString())
          }
          batches.push({ baseOffset: offset, values: batchValues, producerId: h.producerId, baseSequence: h.baseSequence })
          values.push(...batchValues)
          offset += records.length
          if (offset >= hw) break
        }
      }
      if (values.length !== hw) {
        fail({ check: 'contiguous offsets', topic, partition, offset: values.length, message: `records run to ${values.length - 1}, past the high watermark ${hw}` })
        return null
      }
      return { logStart, highWatermark: hw, values, batches }
    } catch (err) {
      fail({ check: 'readable', topic, partition, message: `reading the partition failed: ${(err as Error).message}` })
      return null
    } finally {
      c.close()
    }
  }

  /**
   * Checks one partition read back against the model and the batches that may have been
   * stored since the last read (`allowed`: first value -> batch), then makes what was read
   * the model. Returns the offset each allowed batch was found at.
   */
  const checkPartition = (topic: string, partition: number, got: ReadBack, allowed: Map<string, SentBatch>): Map<SentBatch, number> => {
    const m = model.get(key(topic, partition))!
    const where = new Map<string, number>()
    for (const [offset, value] of got.values.entries()) {
      if (offset < got.logStart) continue
      const first = where.get(value)
      if (first !== undefined) fail({ check: 'no duplicates', topic, partition, offset, message: `value ${value} at offset ${offset} is already at offset ${first}` })
      else where.set(value, offset)
    }
    for (const [offset, value] of m.acked) {
      const stored = got.values[offset]
      if (stored === value) continue
      const found = where.get(value)
      if (found === undefined) fail({ check: 'acknowledged record present', topic, partition, offset, message: `acknowledged ${value} at offset ${offset} is missing (${offset < got.values.length ? `offset ${offset} holds ${stored}` : `the log ends at ${got.values.length}`})` })
      else fail({ check: 'acknowledged record at its offset', topic, partition, offset, message: `acknowledged ${value} at offset ${offset} is at offset ${found}` })
    }
    for (let offset = got.logStart; offset < m.values.length; offset++) {
      if (m.acked.has(offset)) continue
      if (got.values[offset] !== m.values[offset]) {
        fail({ check: 'earlier records unchanged', topic, partition, offset, message: `offset ${offset} held ${m.values[offset]} when read back before, now ${offset < got.values.length ? got.values[offset] : `the log ends at ${got.values.length}`}` })
      }
    }
    const foundAt = new Map<SentBatch, number>()
    for (const b of got.batches) {
      if (b.baseOffset < m.values.length) continue
      const sent = allowed.get(b.values[0]!)
      if (sent === undefined) {
        fail({ check: 'only sent batches stored', topic, partition, offset: b.baseOffset, message: `the batch at ${b.baseOffset} (${b.values.join(',')}) is not one that could have been stored since the last check` })
        continue
      }
      if (sent.values.join(',') !== b.values.join(',') || sent.producerId !== b.producerId || sent.baseSequence !== b.baseSequence) {
        fail({ check: 'only sent batches stored', topic, partition, offset: b.baseOffset, message: `the batch at ${b.baseOffset} (${b.values.join(',')}, producer ${b.producerId}, sequence ${b.baseSequence}) differs from the batch sent by ${sent.conn} (${sent.values.join(',')}, producer ${sent.producerId}, sequence ${sent.baseSequence})` })
        continue
      }
      foundAt.set(sent, b.baseOffset)
    }
    m.values = got.values
    return foundAt
  }

  const verifyAll = async (allowed: Map<string, Map<string, SentBatch>>, parts = allPartitions): Promise<{ foundAt: Map<SentBatch, number>; stored: number; highWatermarks: Map<string, number> }> => {
    const foundAt = new Map<SentBatch, number>()
    const highWatermarks = new Map<string, number>()
    let stored = 0
    for (const { topic, partition } of parts) {
      const got = await readBack(topic, partition)
      if (got === null) continue
      stored += got.values.length - got.logStart
      highWatermarks.set(key(topic, partition), got.highWatermark)
      for (const [b, o] of checkPartition(topic, partition, got, allowed.get(key(topic, partition)) ?? new Map())) foundAt.set(b, o)
    }
    return { foundAt, stored, highWatermarks }
  }

  // --- producing -------------------------------------------------------------------------

  const recordAck = (b: SentBatch, baseOffset: number): void => {
    const m = model.get(key(b.topic, b.partition))!
    b.values.forEach((v, i) => m.acked.set(baseOffset + i, v))
    ackedRecords += b.values.length
    ackedBatches++
  }

  const initProducer = async (c: RawClient, conn: Conn): Promise<void> => {
    const res = await patientRequest<InitProducerIdResponse>(c, 22, 4, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1, producerEpoch: -1 })
    if (res.errorCode !== 0) {
      fail({ check: 'InitProducerId', message: `${conn.name}: InitProducerId answered ${errorName(res.errorCode)}` })
      throw new Failed()
    }
    if (producerIds.has(res.producerId)) fail({ check: 'InitProducerId', message: `${conn.name}: producer id ${res.producerId} was handed out before` })
    producerIds.add(res.producerId)
    conn.producer = { producerId: res.producerId, producerEpoch: res.producerEpoch, nextSequence: new Map() }
  }

  /** Matches a produce answer to the request; returns the batches answered with success and their offsets. */
  const answers = (conn: Conn, req: SentRequest, frame: Buffer, correlationId: number): Array<{ batch: SentBatch; errorCode: number; baseOffset: number }> => {
    const { correlationId: got, body } = decodeFrame<ProduceResponse>(frame, 0, PRODUCE_VERSION)
    if (got !== correlationId) {
      fail({ check: 'produce answers', message: `${conn.name}: correlation id ${got}, expected ${correlationId}` })
      throw new Failed()
    }
    return req.batches.map((batch) => {
      const p = body.responses.find((r) => r.name === batch.topic)?.partitionResponses.find((r) => r.index === batch.partition)
      if (p === undefined) {
        fail({ check: 'produce answers', topic: batch.topic, partition: batch.partition, message: `${conn.name}: the answer has no entry for ${key(batch.topic, batch.partition)}` })
        return { batch, errorCode: -1, baseOffset: -1 }
      }
      return { batch, errorCode: p.errorCode, baseOffset: p.baseOffset }
    })
  }

  const buildRequest = (conn: Conn, r: () => number, counters: Map<string, number>, sent: Map<string, Map<string, SentBatch>>): SentRequest => {
    const count = 1 + Math.floor(r() * 3)
    const pool = [...allPartitions]
    const batches: SentBatch[] = []
    for (let i = 0; i < count; i++) {
      const { topic, partition } = pool.splice(Math.floor(r() * pool.length), 1)[0]!
      const k = key(topic, partition)
      const n = 1 + Math.floor(r() * 5)
      const first = counters.get(k) ?? 0
      counters.set(k, first + n)
      const values = Array.from({ length: n }, (_, j) => `c${cycle}-p${partition}-${first + j}`)
      const compression = [0, 0, 0, 1, 2, 3, 4][Math.floor(r() * 7)]!
      let producerId = -1
      let baseSequence = -1
      let bytes: Buffer
      if (conn.producer !== null) {
        producerId = conn.producer.producerId
        baseSequence = conn.producer.nextSequence.get(k) ?? 0
        conn.producer.nextSequence.set(k, baseSequence + n)
        bytes = batchOf(values, { producerId, producerEpoch: conn.producer.producerEpoch, baseSequence, compression })
      } else {
        bytes = batchOf(values, { compression })
      }
      const b: SentBatch = { topic, partition, values, bytes, producerId, baseSequence, conn: conn.name }
      if (!sent.has(k)) sent.set(k, new Map())
      sent.get(k)!.set(values[0]!, b)
      batches.push(b)
    }
    return { batches }
  }

  const frameOf = (c: RawClient, req: SentRequest, correlationId: number): Buffer =>
    c.frameFor(0, PRODUCE_VERSION, produceRequest(req.batches.map((b) => ({ topic: b.topic, partition: b.partition, records: b.bytes }))), correlationId)

  /** One connection's load: keeps `depth` requests in flight until the broker dies. */
  const runConnection = async (conn: Conn, c: RawClient, r: () => number, state: { killed: boolean; stopping: boolean }, counters: Map<string, number>, sent: Map<string, Map<string, SentBatch>>): Promise<void> => {
    // RawClient hands each arriving frame to the oldest waiting nextFrame() and drops it if
    // none waits, so with several requests in flight each one's wait starts at its write.
    const pending: Array<{ req: SentRequest; correlationId: number; frame: Promise<Buffer | null> }> = []
    let correlationId = 1
    try {
      for (;;) {
        while (!state.stopping && pending.length < conn.depth) {
          const req = buildRequest(conn, r, counters, sent)
          const id = correlationId++
          c.write(frameOf(c, req, id))
          pending.push({ req, correlationId: id, frame: c.nextFrame(REQUEST_TIMEOUT_MS) })
        }
        if (pending.length === 0) return
        const frame = await pending[0]!.frame
        if (frame === null) {
          if (!state.killed) fail({ check: 'produce answers', message: `${conn.name}: no answer within ${REQUEST_TIMEOUT_MS} ms, or the broker closed the connection, before the kill` })
          return
        }
        const { req, correlationId: id } = pending.shift()!
        for (const a of answers(conn, req, frame, id)) {
          if (a.errorCode === 0) recordAck(a.batch, a.baseOffset)
          else if (a.errorCode !== -1) fail({ check: 'produce answers', topic: a.batch.topic, partition: a.batch.partition, message: `${conn.name}: produce of ${a.batch.values[0]}.. answered ${errorName(a.errorCode)} during the load` })
        }
      }
    } finally {
      conn.inFlight = pending.map((p) => p.req)
    }
  }

  /** Re-sends an idempotent connection's swallowed requests after the restart; checks the answers against what recovery kept. */
  const retryInFlight = async (conn: Conn, foundAt: Map<SentBatch, number>, highWatermarks: Map<string, number>): Promise<SentBatch[]> => {
    const c = await RawClient.connect(port)
    const storedNow: SentBatch[] = []
    try {
      for (const [i, req] of conn.inFlight.entries()) {
        const id = 1000 + i
        c.write(frameOf(c, req, id))
        const frame = await c.nextFrame(REQUEST_TIMEOUT_MS)
        if (frame === null) {
          fail({ check: 'idempotent retry', message: `${conn.name}: no answer to a retried request` })
          continue
        }
        for (const a of answers(conn, req, frame, id)) {
          const { topic, partition } = a.batch
          const before = foundAt.get(a.batch)
          if (a.errorCode !== 0) {
            fail({ check: 'idempotent retry', topic, partition, offset: before, message: `${conn.name}: the retry of ${a.batch.values[0]}.. (producer ${a.batch.producerId}, sequence ${a.batch.baseSequence}) answered ${errorName(a.errorCode)}` })
            continue
          }
          if (before !== undefined) {
            if (a.baseOffset !== before) fail({ check: 'idempotent retry', topic, partition, offset: before, message: `${conn.name}: ${a.batch.values[0]}.. was stored at ${before} before the kill, its retry was answered with offset ${a.baseOffset} instead of as a duplicate` })
            else retries.duplicates++
          } else {
            const end = highWatermarks.get(key(topic, partition)) ?? 0
            if (a.baseOffset < end) fail({ check: 'idempotent retry', topic, partition, offset: a.baseOffset, message: `${conn.name}: ${a.batch.values[0]}.. was not in the recovered log, its retry was answered with offset ${a.baseOffset}, below the log end ${end}` })
            retries.stored++
            storedNow.push(a.batch)
          }
          recordAck(a.batch, a.baseOffset)
        }
      }
    } finally {
      c.close()
    }
    conn.inFlight = []
    return storedNow
  }

  /** After the retries every batch of each current idempotent producer is stored: DescribeProducers must show its last sequence. */
  const checkProducerState = async (): Promise<void> => {
    for (const t of TOPICS) {
      const parts = Array.from({ length: t.partitions }, (_, p) => p)
      let described
      try {
        described = await describeProducers(port, t.name, parts)
      } catch (err) {
        fail({ check: 'producer state', topic: t.name, message: `DescribeProducers failed: ${(err as Error).message}` })
        continue
      }
      for (const d of described) {
        for (const conn of conns) {
          const next = conn.producer?.nextSequence.get(key(t.name, d.partition))
          if (conn.producer === null || next === undefined) continue
          const state = d.producers.find((p) => p.producerId === conn.producer!.producerId)
          if (d.errorCode !== 0 || state === undefined || state.lastSequence !== next - 1) {
            fail({ check: 'producer state', topic: t.name, partition: d.partition, message: `${conn.name}: producer ${conn.producer.producerId} should have last sequence ${next - 1}, DescribeProducers says ${d.errorCode !== 0 ? errorName(d.errorCode) : state === undefined ? 'nothing' : state.lastSequence}` })
          }
        }
      }
    }
  }

  // --- the run -----------------------------------------------------------------------------

  try {
    broker = (await start('first start')).broker
    const admin = await RawClient.connect(port)
    for (const t of TOPICS) await createTopic(admin, t.name, t.partitions)
    admin.close()

    for (cycle = 1; cycle <= options.cycles; cycle++) {
      const cycleRand = prng((options.seed ^ Math.imul(cycle, 0x9e3779b1)) >>> 0)
      const killAfterMs = Math.round(killMin + rand() * (killMax - killMin))
      const ackedBefore = ackedRecords
      const batchesBefore = ackedBatches
      const counters = new Map<string, number>()
      const sent = new Map<string, Map<string, SentBatch>>()
      const state = { killed: false, stopping: false }

      const clients = await Promise.all(conns.map(() => RawClient.connect(port)))
      for (const [i, conn] of conns.entries()) {
        if (conn.idempotent === 'renew' || (conn.idempotent === 'keep' && conn.producer === null)) await initProducer(clients[i]!, conn)
      }
      const load = Promise.all(conns.map((conn, i) => runConnection(conn, clients[i]!, prng((cycleRand() * 4294967296) >>> 0), state, counters, sent)))
      const loadError = load.then(() => null, (err: unknown) => err)
      await new Promise((resolve) => setTimeout(resolve, killAfterMs))
      state.stopping = true
      state.killed = true
      broker.child.kill('SIGKILL')
      const code = await broker.exited
      const err = await loadError
      clients.forEach((c) => c.close())
      if (err !== null && !(err instanceof Failed)) throw err
      if (code !== null) fail({ check: 'kill', message: `the broker exited with ${code} before or instead of dying of SIGKILL:\n${broker.output().slice(-2000)}` })
      stopIfFailed()
      const inFlight = conns.reduce((s, c) => s + c.inFlight.length, 0)
      inFlightAtKill += inFlight

      options.afterKill?.({ dataDir, cycle })
      const restarted = await start(`restart after the kill in cycle ${cycle}`)
      broker = restarted.broker
      const out = broker.output()
      const readyMs = /ready in (\d+) ms/.exec(out)
      const truncations = out
        .split('\n')
        .filter((l) => l.includes('recovery truncated a torn log tail'))
        .map((l) => {
          try {
            const j = JSON.parse(l) as { topic: string; partition: number; truncatedBytes?: number }
            return { topic: j.topic, partition: j.partition, truncatedBytes: j.truncatedBytes ?? null }
          } catch {
            return { topic: '?', partition: -1, truncatedBytes: null }
          }
        })
      if (!/recovered logs/.test(out)) fail({ check: 'recovery ran', message: `the start after kill -9 did not report recovery:\n${out.slice(-2000)}` })

      const verifyStarted = Date.now()
      const first = await verifyAll(sent)
      stopIfFailed()
      const inFlightBatchesStored = conns.reduce((s, c) => s + c.inFlight.reduce((n, r) => n + r.batches.filter((b) => first.foundAt.has(b)).length, 0), 0)
      // Idempotent connections re-send what the kill swallowed, in order.
      const retriedBefore = { ...retries }
      const retrySent = new Map<string, Map<string, SentBatch>>()
      const touched = new Set<string>()
      for (const conn of conns) {
        if (conn.idempotent === false) {
          conn.inFlight = []
          continue
        }
        for (const b of await retryInFlight(conn, first.foundAt, first.highWatermarks)) {
          const k = key(b.topic, b.partition)
          if (!retrySent.has(k)) retrySent.set(k, new Map())
          retrySent.get(k)!.set(b.values[0]!, b)
          touched.add(k)
        }
      }
      stopIfFailed()
      let stored = first.stored
      if (touched.size > 0) {
        await verifyAll(retrySent, allPartitions.filter((p) => touched.has(key(p.topic, p.partition))))
        stored = [...model.values()].reduce((s, m) => s + m.values.length, 0)
      }
      stopIfFailed()

      await checkProducerState()
      stopIfFailed()

      const report: CycleReport = {
        cycle,
        killAfterMs,
        ackedRecords: ackedRecords - ackedBefore,
        ackedBatches: ackedBatches - batchesBefore,
        inFlightRequests: inFlight,
        inFlightBatchesStored,
        retried: { duplicates: retries.duplicates - retriedBefore.duplicates, stored: retries.stored - retriedBefore.stored },
        recoveryMs: restarted.ms,
        readyMs: readyMs === null ? null : Number(readyMs[1]),
        truncations,
        verifyMs: Date.now() - verifyStarted,
        storedRecords: stored,
      }
      perCycle.push(report)
      const trunc = truncations.length === 0 ? 'none' : truncations.map((t) => `${key(t.topic, t.partition)} ${t.truncatedBytes ?? '?'} B`).join(', ')
      log(
        `cycle ${cycle}/${options.cycles}: acknowledged ${ackedRecords} records so far (+${report.ackedRecords}), killed after ${killAfterMs} ms with ${inFlight} requests in flight (${inFlightBatchesStored} of their batches stored), ` +
          `idempotent retries ${report.retried.duplicates} duplicate / ${report.retried.stored} stored, recovery ${report.recoveryMs} ms (ready in ${report.readyMs ?? '?'} ms), truncated: ${trunc}, ` +
          `${stored} records stored, verified in ${report.verifyMs} ms`,
      )
    }
    cycle = -1 // the checks below are reported as "after the last cycle"

    // A clean stop, a clean start, one more read-back.
    broker.child.kill('SIGTERM')
    const code = await broker.exited
    if (code !== 0) fail({ check: 'clean shutdown', message: `SIGTERM: the broker exited with ${code}:\n${broker.output().slice(-2000)}` })
    stopIfFailed()
    broker = (await start('clean start after SIGTERM')).broker
    if (/recovered logs/.test(broker.output())) fail({ check: 'clean shutdown', message: 'the start after SIGTERM ran recovery' })
    await verifyAll(new Map())
    stopIfFailed()
    broker.child.kill('SIGTERM')
    const last = await broker.exited
    if (last !== 0) fail({ check: 'clean shutdown', message: `the final SIGTERM: exit ${last}` })
  } catch (err) {
    if (!(err instanceof Failed)) fail({ check: 'harness', message: `the harness failed: ${(err as Error).stack ?? String(err)}` })
  } finally {
    killBroker()
    if (broker !== null) await broker.exited
    process.removeListener('exit', killBroker)
  }

  const ok = violations.length === 0
  if (ok && ownDir) rmSync(dataDir, { recursive: true, force: true })
  const recovery = perCycle.map((c) => c.recoveryMs).sort((a, b) => a - b)
  const first = violations[0]
  return {
    ok,
    seed: options.seed,
    cycles: options.cycles,
    cyclesCompleted: perCycle.length,
    acknowledgedRecords: ackedRecords,
    acknowledgedBatches: ackedBatches,
    storedRecords: [...model.values()].reduce((s, m) => s + m.values.length, 0),
    inFlightAtKill,
    inFlightBatchesStored: perCycle.reduce((s, c) => s + c.inFlightBatchesStored, 0),
    idempotentRetries: retries,
    truncations: perCycle.reduce((s, c) => s + c.truncations.length, 0),
    recoveryMs: { min: recovery[0] ?? 0, median: recovery[Math.floor(recovery.length / 2)] ?? 0, max: recovery[recovery.length - 1] ?? 0 },
    durationMs: Date.now() - started,
    dataDir,
    failures: violations,
    firstFailure: first === undefined ? null : describe(first),
    perCycle,
  }
}

/** `check failed (cycle n, topic-partition at offset o): message` */
export function describe(v: Violation): string {
  const where = [v.cycle > 0 ? `cycle ${v.cycle}` : v.cycle < 0 ? 'after the last cycle' : 'before the first cycle', v.topic !== undefined ? `${v.topic}-${v.partition}` : null, v.offset !== undefined ? `offset ${v.offset}` : null].filter((x) => x !== null).join(', ')
  return `${v.check} failed (${where}): ${v.message}`
}

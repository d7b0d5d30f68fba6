// Turns recorded seed frames into fuzzed frames. Frame n of a run is a pure function of
// (seed, n): its own PRNG stream picks a seed frame and the mutations, so a failure is
// reproduced by its number whatever the concurrency.
//
// Mutations: the size prefix, API key, version and correlation id; the length prefixes
// and numbers the generated codec actually reads (found with a recording Reader, see
// wire-fields.ts) plus int16/int32 writes at arbitrary positions; flipped bytes,
// truncation, garbage appended, chunks inserted, deleted or duplicated; a request
// re-encoded at another version of its API, or a header glued to another seed's body;
// and, inside Produce requests, the record batches (batch-mutator.ts) and the request
// around them (acks, partitions repeated, null records, a transactional id).

import { Writer } from '../../protocol/wire/writer.ts'
import { writeRequestHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'
import { apiTable } from '../../protocol/messages/api-table.ts'
import type { ProduceRequest } from '../../protocol/messages/produce-request.ts'
import { Rng } from './prng.ts'
import { analyzeFrame, type AnalyzedFrame, type Field } from './wire-fields.ts'
import { mutateBatch, type BatchStrategy } from './batch-mutator.ts'
import type { SeedFrame } from './frame-file.ts'

export interface FuzzFrame {
  n: number
  /** What goes on the wire: size prefix included (possibly a wrong one). */
  bytes: Buffer
  /** The seed frame it came from. */
  seedIndex: number
  client: string
  /** The mutations applied, in order. */
  what: string[]
}

interface PreparedSeed {
  index: number
  client: string
  body: Buffer
  analysis: AnalyzedFrame
}

export type FrameStrategy =
  | 'passthrough' | 'reencode' | 'sizePrefix' | 'apiKey' | 'apiVersion' | 'correlationId' | 'lengthField' | 'numericField'
  | 'heuristicInt' | 'flip' | 'truncate' | 'extend' | 'chunk' | 'spliceSeeds'

const FRAME_STRATEGIES: Record<FrameStrategy, number> = {
  passthrough: 4,
  reencode: 9,
  sizePrefix: 4,
  apiKey: 2,
  apiVersion: 5,
  correlationId: 2,
  lengthField: 18,
  numericField: 16,
  heuristicInt: 5,
  flip: 8,
  truncate: 5,
  extend: 4,
  chunk: 4,
  spliceSeeds: 3,
}

export interface MutatorOptions {
  /** Share of frames built from Produce seeds (default 0.4). */
  produceShare?: number
  /** Among Produce frames, the share whose record batches are mutated (default 0.6). */
  batchShare?: number
  /** Weights overriding the batch strategies (e.g. { bomb: 0 }). */
  batchStrategies?: Partial<Record<BatchStrategy, number>>
  /** Codecs of the decompression bombs (default all four: 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  bombCodecs?: number[]
  /** Weights overriding the frame strategies. */
  frameStrategies?: Partial<Record<FrameStrategy, number>>
  /** socket.request.max.bytes of the target, for size-prefix values around it. */
  maxRequestBytes?: number
}

const LENGTH_KINDS = new Set(['strlen16', 'byteslen32', 'arraylen32', 'compactlen', 'compactarraylen', 'tagcount'])
const KNOWN_UNSERVED = [4, 5, 6, 7, 17, 21, 23, 24, 25, 26, 27, 28, 29, 32, 33, 35, 36, 37, 50, 60, 68, 75, 80]

function uvarintBytes(value: number): Buffer {
  const out: number[] = []
  let v = value >>> 0
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return Buffer.from(out)
}

function splice(buf: Buffer, pos: number, remove: number, insert: Buffer): Buffer {
  return Buffer.concat([buf.subarray(0, pos), insert, buf.subarray(pos + remove)])
}

function frameBytes(write: (w: Writer) => void): Buffer {
  const w = Writer.frame()
  write(w)
  return Buffer.concat(w.finish())
}

export class Mutator {
  private readonly seeds: PreparedSeed[]
  private readonly produceSeeds: PreparedSeed[]
  private readonly byApi = new Map<number, PreparedSeed[]>()
  private readonly apiKeys: number[]
  private readonly seed: number
  private readonly options: Required<Omit<MutatorOptions, 'batchStrategies' | 'frameStrategies' | 'bombCodecs'>> & Pick<MutatorOptions, 'batchStrategies'> & { bombCodecs: number[] }
  private readonly frameStrategies: Record<FrameStrategy, number>

  constructor(seeds: SeedFrame[], seed: number, options: MutatorOptions = {}) {
    this.seed = seed
    this.options = {
      produceShare: options.produceShare ?? 0.4,
      batchShare: options.batchShare ?? 0.6,
      maxRequestBytes: options.maxRequestBytes ?? 104857600,
      batchStrategies: options.batchStrategies,
      bombCodecs: options.bombCodecs ?? [1, 2, 3, 4],
    }
    this.frameStrategies = { ...FRAME_STRATEGIES, ...options.frameStrategies }
    this.seeds = []
    for (const s of seeds) {
      const body = s.bytes.subarray(4)
      const analysis = analyzeFrame(body)
      if (analysis === null) continue
      const prepared = { index: this.seeds.length, client: s.client, body, analysis }
      this.seeds.push(prepared)
      const key = analysis.header.apiKey
      if (!this.byApi.has(key)) this.byApi.set(key, [])
      this.byApi.get(key)!.push(prepared)
    }
    if (this.seeds.length === 0) throw new Error('no usable seed frames')
    this.produceSeeds = this.byApi.get(0)?.filter((s) => s.analysis.request !== null && s.analysis.header.apiVersion >= 3) ?? []
    this.apiKeys = [...this.byApi.keys()].sort((a, b) => a - b)
  }

  private topicsCache: Map<string, number> | null = null

  /** Topics and partition counts the Produce seeds write to: the runner creates them first. */
  seedTopics(): Map<string, number> {
    if (this.topicsCache !== null) return this.topicsCache
    const out = new Map<string, number>()
    this.topicsCache = out
    for (const s of this.produceSeeds) {
      for (const t of (s.analysis.request as ProduceRequest).topicData) {
        const max = Math.max(...t.partitionData.map((p) => p.index + 1), 1)
        out.set(t.name, Math.max(out.get(t.name) ?? 1, max))
      }
    }
    return out
  }

  get seedCount(): number {
    return this.seeds.length
  }

  frame(n: number): FuzzFrame {
    const rng = new Rng(this.seed, n)
    const what: string[] = []
    let source: PreparedSeed
    let body: Buffer
    if (this.produceSeeds.length > 0 && rng.chance(this.options.produceShare)) {
      source = rng.pick(this.produceSeeds)
      if (rng.chance(this.options.batchShare)) body = this.mutateProduce(rng, source, what)
      else if (rng.chance(0.25)) body = this.mutateProduceRequest(rng, source, what)
      else body = this.mutateGeneric(rng, source, source.body, what, false)
    } else {
      source = rng.pick(this.byApi.get(rng.pick(this.apiKeys))!)
      body = this.mutateGeneric(rng, source, source.body, what, false)
    }
    // Stacked mutations: another one now and then.
    if (rng.chance(0.2)) body = this.mutateGeneric(rng, source, body, what, true)
    // Each frame its own correlation id (n + 1), unless that is what was mutated: a
    // response then names its request without doubt.
    if (body.length >= 8 && !what.some((w) => w.startsWith('correlation id'))) {
      body = Buffer.from(body)
      body.writeInt32BE((n + 1) | 0, 4)
    }
    let bytes: Buffer
    if (rng.chance(this.frameStrategies.sizePrefix / 100)) {
      bytes = this.withWrongSize(rng, body, what)
    } else {
      bytes = Buffer.allocUnsafe(4 + body.length)
      bytes.writeInt32BE(body.length, 0)
      body.copy(bytes, 4)
    }
    return { n, bytes, seedIndex: source.index, client: source.client, what }
  }

  private withWrongSize(rng: Rng, body: Buffer, what: string[]): Buffer {
    const len = body.length
    const max = this.options.maxRequestBytes
    const size = rng.pick([len - 1, len + 1, len - 4, len + 4, len + rng.range(1, 100), Math.max(1, len - rng.range(1, 100)), 0, -1, -0x80000000, 0x7fffffff, max, max + 1, len >> 1, rng.range(1, 20), rng.range(1, 1 << 20)])
    what.push(`size prefix ${len} -> ${size}`)
    const out = Buffer.allocUnsafe(4 + len)
    out.writeInt32BE(size | 0, 0)
    body.copy(out, 4)
    return out
  }

  private mutateGeneric(rng: Rng, source: PreparedSeed, body: Buffer, what: string[], stacked: boolean): Buffer {
    const weights: Partial<Record<FrameStrategy, number>> = { ...this.frameStrategies, sizePrefix: 0 }
    if (stacked) weights.passthrough = 0
    const strategy = rng.weighted(weights as Record<FrameStrategy, number>)
    const analysis = body === source.body ? source.analysis : analyzeFrame(body)
    switch (strategy) {
      case 'passthrough':
        what.push('passthrough')
        return body
      case 'reencode':
        return this.reencode(rng, body, analysis, what)
      case 'apiKey': {
        const v = rng.chance(0.5) ? rng.pick(this.apiKeys) : rng.chance(0.6) ? rng.pick(KNOWN_UNSERVED) : rng.pick([-1, 0x7fff, -0x8000, rng.range(70, 1000)])
        what.push(`api key -> ${v}`)
        return this.writeAt(body, 0, 2, v)
      }
      case 'apiVersion': {
        const key = body.length >= 2 ? body.readInt16BE(0) : 0
        const max = apiTable[key]?.maxVersion ?? 10
        const v = rng.pick([-1, 0, 1, 2, 3, max, max + 1, max + 2, rng.range(0, max), 0x7fff, -0x8000])
        what.push(`api version -> ${v}`)
        return this.writeAt(body, 2, 2, v)
      }
      case 'correlationId': {
        const v = rng.pick([0, -1, 0x7fffffff, -0x80000000, rng.int32()])
        what.push(`correlation id -> ${v}`)
        return this.writeAt(body, 4, 4, v)
      }
      case 'lengthField':
      case 'numericField': {
        const fields = (analysis?.fields ?? []).filter((f) => LENGTH_KINDS.has(f.kind) === (strategy === 'lengthField'))
        if (fields.length === 0) return this.flip(rng, body, what)
        return this.mutateField(rng, body, rng.pick(fields), what)
      }
      case 'heuristicInt': {
        if (body.length < 4) return this.flip(rng, body, what)
        const out = Buffer.from(body)
        const wide = rng.chance(0.5) && out.length >= 4
        const pos = rng.int(out.length - (wide ? 3 : 1))
        const v = wide ? rng.pick([0, -1, 1, 0x7fffffff, -0x80000000, 0xffff, rng.int32()]) : rng.pick([0, -1, 1, 0x7fff, -0x8000, 0xff, rng.int32() >> 16])
        if (wide) out.writeInt32BE(v | 0, pos)
        else out.writeInt16BE((v << 16) >> 16, pos)
        what.push(`int${wide ? 32 : 16} at ${pos} -> ${v}`)
        return out
      }
      case 'flip':
        return this.flip(rng, body, what)
      case 'truncate': {
        const keep = rng.chance(0.3) ? rng.int(Math.min(body.length, 16)) : rng.int(body.length)
        what.push(`truncate ${body.length} -> ${keep}`)
        return body.subarray(0, keep)
      }
      case 'extend': {
        const extra = rng.chance(0.7) ? rng.bytes(rng.range(1, 64)) : body.subarray(rng.int(body.length))
        what.push(`extend by ${extra.length}`)
        return Buffer.concat([body, extra])
      }
      case 'chunk': {
        const pos = rng.int(body.length + 1)
        const len = rng.range(1, 32)
        const op = rng.pick(['insert', 'delete', 'duplicate'] as const)
        what.push(`chunk ${op} ${len} at ${pos}`)
        if (op === 'insert') return splice(body, pos, 0, rng.bytes(len))
        if (op === 'delete') return splice(body, pos, len, Buffer.alloc(0))
        return splice(body, pos, 0, body.subarray(pos, pos + len))
      }
      case 'spliceSeeds': {
        if (analysis === null) return this.flip(rng, body, what)
        const other = rng.chance(0.7) ? rng.pick(this.byApi.get(analysis.header.apiKey) ?? this.seeds) : rng.pick(this.seeds)
        what.push(`header + body of seed ${other.index} (${other.analysis.header.apiKey} v${other.analysis.header.apiVersion})`)
        return Buffer.concat([body.subarray(0, analysis.bodyPos), other.body.subarray(other.analysis.bodyPos)])
      }
      case 'sizePrefix':
        return body
    }
  }

  private writeAt(body: Buffer, pos: number, width: 2 | 4, value: number): Buffer {
    if (body.length < pos + width) return body
    const out = Buffer.from(body)
    if (width === 2) out.writeInt16BE((value << 16) >> 16, pos)
    else out.writeInt32BE(value | 0, pos)
    return out
  }

  private flip(rng: Rng, body: Buffer, what: string[]): Buffer {
    const out = Buffer.from(body)
    const n = rng.chance(0.7) ? 1 : rng.range(2, 8)
    const at: number[] = []
    for (let i = 0; i < n && out.length > 0; i++) {
      const p = rng.int(out.length)
      out[p] = rng.chance(0.6) ? out[p]! ^ (1 << rng.int(8)) : rng.next() & 0xff
      at.push(p)
    }
    what.push(`flip ${at.join(',')}`)
    return out
  }

  private mutateField(rng: Rng, body: Buffer, f: Field, what: string[]): Buffer {
    const remaining = body.length - f.pos - f.size
    let replacement: Buffer
    let v: number
    switch (f.kind) {
      case 'int8':
        v = rng.pick([0, 1, 2, -1, 0x7f, -0x80, rng.int32() >> 24])
        replacement = Buffer.from([v & 0xff])
        break
      case 'int16':
      case 'strlen16':
        v = rng.pick([-1, -2, 0, 1, f.value + 1, f.value - 1, 0x7fff, -0x8000, remaining, remaining + 1, rng.int32() >> 16, f.value * 2])
        replacement = Buffer.alloc(2)
        replacement.writeInt16BE((v << 16) >> 16)
        break
      case 'int32':
      case 'byteslen32':
      case 'arraylen32':
        v = rng.pick([-1, -2, 0, 1, f.value + 1, f.value - 1, 0x7fffffff, -0x80000000, remaining, remaining + 1, rng.int32(), f.value * 2, 1 << 20])
        replacement = Buffer.alloc(4)
        replacement.writeInt32BE(v | 0)
        break
      case 'int64':
        v = rng.pick([0, -1, 1, 2 ** 53 - 1, -(2 ** 53), 2 ** 31, f.value + 1, f.value - 1, Date.now(), -Date.now()])
        replacement = Buffer.alloc(8)
        if (rng.chance(0.15)) {
          replacement.fill(0xff, 1)
          replacement[0] = 0x7f // int64 max: outside the safe integer range
          v = Infinity
        } else {
          replacement.writeBigInt64BE(BigInt(v))
        }
        break
      case 'float64':
        v = rng.pick([0, -1, NaN, Infinity, 1e308])
        replacement = Buffer.alloc(8)
        replacement.writeDoubleBE(v)
        break
      case 'uuid':
        v = 0
        replacement = rng.chance(0.3) ? Buffer.alloc(16) : rng.chance(0.5) ? Buffer.alloc(16, 0xff) : rng.bytes(16)
        break
      case 'uvarint':
      case 'compactlen':
      case 'compactarraylen':
      case 'tagcount': {
        v = rng.pick([0, 1, 2, f.value + 1, f.value - 1, f.value + 2, 0x7fffffff, 0x80000000, 0xffffffff, remaining + 1, remaining + 2, f.value * 2, 0x8000, 0x8001])
        if (rng.chance(0.08)) {
          replacement = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])
          v = NaN
        } else if (rng.chance(0.08)) {
          // The same value, encoded one byte longer than needed.
          const b = uvarintBytes(f.value)
          b[b.length - 1] = b[b.length - 1]! | 0x80
          replacement = Buffer.concat([b, Buffer.from([0])])
          v = f.value
        } else {
          replacement = uvarintBytes(Math.max(0, v))
        }
        if (f.kind === 'tagcount' && v >= 1 && v < 4 && rng.chance(0.5)) {
          // A real tagged field or two after the count: unknown tags must be skipped.
          const tags: Buffer[] = []
          for (let i = 0; i < v; i++) {
            const data = rng.bytes(rng.range(0, 8))
            tags.push(uvarintBytes(rng.pick([0, 1, 2, 100, 0x7fff])), uvarintBytes(rng.chance(0.8) ? data.length : data.length + 3), data)
          }
          replacement = Buffer.concat([replacement, ...tags])
        }
        break
      }
    }
    what.push(`${f.kind} at ${f.pos} ${f.value} -> ${v}`)
    return splice(body, f.pos, f.size, replacement)
  }

  private reencode(rng: Rng, body: Buffer, analysis: AnalyzedFrame | null, what: string[]): Buffer {
    const api = analysis === null ? undefined : apiMessages[analysis.header.apiKey]
    if (analysis === null || analysis.request === null || api === undefined) return this.flip(rng, body, what)
    const version = rng.range(api.minVersion, api.maxVersion)
    const h = analysis.header
    try {
      const bytes = frameBytes((w) => {
        writeRequestHeader(w, h.apiKey, version, h.correlationId, h.clientId)
        api.encodeRequest(w, version, analysis.request)
      })
      what.push(`re-encoded v${h.apiVersion} -> v${version}`)
      return bytes.subarray(4)
    } catch {
      what.push(`re-encode to v${version} impossible`)
      return this.flip(rng, body, what)
    }
  }

  private encodeProduce(source: PreparedSeed, req: ProduceRequest): Buffer {
    const h = source.analysis.header
    return frameBytes((w) => {
      writeRequestHeader(w, 0, h.apiVersion, h.correlationId, h.clientId)
      apiMessages[0]!.encodeRequest(w, h.apiVersion, req)
    }).subarray(4)
  }

  private cloneProduce(source: PreparedSeed): ProduceRequest {
    const req = source.analysis.request as ProduceRequest
    return { ...req, topicData: req.topicData.map((t) => ({ ...t, partitionData: t.partitionData.map((p) => ({ ...p })) })) }
  }

  private mutateProduce(rng: Rng, source: PreparedSeed, what: string[]): Buffer {
    const req = this.cloneProduce(source)
    const parts = req.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, p }))).filter(({ p }) => p.records !== null && p.records.length > 0)
    if (parts.length === 0) return this.mutateGeneric(rng, source, source.body, what, false)
    const times = rng.chance(0.15) ? 2 : 1
    for (let i = 0; i < times; i++) {
      const part = rng.pick(parts)
      const m = mutateBatch(rng, part.p.records!, this.options.batchStrategies, this.options.bombCodecs)
      part.p.records = m.batch
      what.push(`${part.topic}-${part.p.index}: ${m.what}`)
    }
    return this.encodeProduce(source, req)
  }

  private mutateProduceRequest(rng: Rng, source: PreparedSeed, what: string[]): Buffer {
    const req = this.cloneProduce(source)
    const op = rng.pick(['duplicatePartition', 'duplicateTopic', 'manyPartitions', 'acks', 'nullRecords', 'emptyRecords', 'transactionalId', 'partitionIndex', 'topicName', 'timeout', 'noTopics'] as const)
    const t = rng.pick(req.topicData)
    const p = t === undefined ? undefined : rng.pick(t.partitionData)
    switch (op) {
      case 'duplicatePartition':
        if (t !== undefined && p !== undefined) t.partitionData.splice(rng.int(t.partitionData.length + 1), 0, { ...p })
        break
      case 'duplicateTopic':
        if (t !== undefined) req.topicData.push({ ...t, partitionData: t.partitionData.map((x) => ({ ...x })) })
        break
      case 'manyPartitions':
        if (t !== undefined && p !== undefined) for (let i = rng.range(2, 12); i > 0; i--) t.partitionData.push({ ...p, index: rng.chance(0.5) ? p.index : rng.range(0, 3) })
        break
      case 'acks':
        req.acks = rng.pick([0, 1, -1, 2, -2, 0x7fff])
        break
      case 'nullRecords':
        if (p !== undefined) p.records = null
        break
      case 'emptyRecords':
        if (p !== undefined) p.records = Buffer.alloc(0)
        break
      case 'transactionalId':
        req.transactionalId = rng.pick(['', 'fuzz-txn', 'x'.repeat(300)])
        break
      case 'partitionIndex':
        if (p !== undefined) p.index = rng.pick([-1, 0, 1, 2, 3, 50, 0x7fffffff, -0x80000000])
        break
      case 'topicName':
        if (t !== undefined) t.name = rng.pick(['', 'fuzz-unknown-topic', '__consumer_offsets', 'a'.repeat(250), ...[...this.seedTopics().keys()]])
        break
      case 'timeout':
        req.timeoutMs = rng.pick([0, -1, 1, 0x7fffffff, -0x80000000])
        break
      case 'noTopics':
        req.topicData = []
        break
    }
    what.push(`produce request ${op}`)
    return this.encodeProduce(source, req)
  }
}

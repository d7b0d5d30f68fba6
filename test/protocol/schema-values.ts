// Test helper: builds random message values straight from Kafka's JSON
// schemas, and the value a decoder must return for a given version (fields
// absent from that version fall back to their defaults).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { kebab } from '../../protocol/generator/emit-message.ts'
import type { Field, FieldType, Message, Struct } from '../../protocol/generator/schema.ts'
import { loadMessages } from '../../protocol/generator/schema.ts'
import type { Range } from '../../protocol/generator/versions.ts'
import type { Reader } from '../../protocol/wire/reader.ts'
import type { Writer } from '../../protocol/wire/writer.ts'

// Kafka's schema directory when it is beside the repository (CI), else the facts file
// generated from it and checked in (a bare clone).
const shared = join(import.meta.dirname, '../../../shared/kafka-messages')
export const schemaDir = process.env.SAMSA_KAFKA_MESSAGES ?? (existsSync(shared) ? shared : join(import.meta.dirname, '../../protocol/generator/kafka-schema-facts.json'))

type Obj = Record<string, unknown>
type Module = Record<string, unknown>

export interface Codec {
  msg: Message
  decode: (r: Reader, version: number) => Obj
  encode: (w: Writer, version: number, m: Obj) => void
  mod: Module
}

let cache: Map<string, Message> | null = null
export function messages(): Map<string, Message> {
  cache ??= new Map(loadMessages(schemaDir).map((m) => [m.name, m]))
  return cache
}

export async function codec(name: string): Promise<Codec> {
  const msg = messages().get(name)
  if (msg === undefined) throw new Error(`no schema ${name}`)
  const mod = (await import(`../../protocol/messages/${kebab(name)}.ts`)) as Module
  return {
    msg,
    mod,
    decode: mod[`decode${name}`] as Codec['decode'],
    encode: mod[`encode${name}`] as Codec['encode'],
  }
}

const inRange = (r: Range, v: number): boolean => v >= r.lo && v <= r.hi

// Small deterministic PRNG so failures reproduce.
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x1_0000_0000
  }
}

const STRINGS = ['', 'a', 'topic-0', 'tópic-ü', 'トピック', '😀', 'x'.repeat(70), 'metadata.version']
const INT64S = [0, -1, 1, 2 ** 31, 2 ** 40 + 3, -(2 ** 33), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]

export class ValueMaker {
  private rand: () => number
  private structs: Map<string, Struct>

  constructor(msg: Message, seed: number) {
    this.rand = rng(seed)
    this.structs = msg.structs
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1))
  }

  private one<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!
  }

  private scalar(t: FieldType): unknown {
    switch (t.kind) {
      case 'prim':
        switch (t.prim) {
          case 'bool': return this.rand() < 0.5
          case 'int8': return this.int(-128, 127)
          case 'int16': return this.int(-32768, 32767)
          case 'uint16': return this.int(0, 65535)
          case 'int32': return this.int(-2147483648, 2147483647)
          case 'uint32': return this.int(0, 4294967295)
          case 'int64': return this.rand() < 0.5 ? this.one(INT64S) : this.int(-1e12, 1e12)
          case 'float64': return (this.rand() - 0.5) * 1e6
          case 'uuid': return Buffer.from(Array.from({ length: 16 }, () => this.int(0, 255))).toString('base64url')
        }
        break
      case 'string': return this.one(STRINGS)
      case 'bytes':
      case 'records': {
        const n = this.one([0, 3, 40, 1500])
        return Buffer.from(Array.from({ length: n }, () => this.int(0, 255)))
      }
    }
    throw new Error(`not a scalar ${t.kind}`)
  }

  private value(f: Field, t: FieldType, version: number): unknown {
    if (t.kind === 'struct') return this.struct(this.structs.get(t.struct)!, version)
    if (t.kind === 'array') {
      const n = t.elem.kind === 'struct' ? this.int(0, 2) : this.int(0, 3)
      return Array.from({ length: n }, () => this.value(f, t.elem, version))
    }
    return this.scalar(t)
  }

  struct(s: Struct, version: number): Obj {
    const out: Obj = {}
    for (const f of s.fields) {
      const nullOk = inRange(f.versions, version) && inRange(f.nullable, version)
      out[f.prop] = nullOk && this.rand() < 0.3 ? null : this.value(f, f.type, version)
    }
    return out
  }
}

// What decode(encode(value, v), v) must return.
export function project(msg: Message, mod: Module, s: Struct, value: Obj, version: number): Obj {
  const defaults = (mod[`default${s.name}`] as () => Obj)()
  const out: Obj = {}
  for (const f of s.fields) {
    const v = value[f.prop]
    if (!inRange(f.versions, version)) {
      out[f.prop] = defaults[f.prop]
      continue
    }
    const t = f.type
    if (v !== null && t.kind === 'struct') {
      out[f.prop] = project(msg, mod, msg.structs.get(t.struct)!, v as Obj, version)
    } else if (v !== null && t.kind === 'array' && t.elem.kind === 'struct') {
      const child = msg.structs.get(t.elem.struct)!
      out[f.prop] = (v as Obj[]).map((e) => project(msg, mod, child, e, version))
    } else {
      out[f.prop] = v
    }
  }
  return out
}

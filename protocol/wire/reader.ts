import { ProtocolError } from './errors.ts'

const TWO_32 = 0x1_0000_0000

function eof(want: number, offset: number, size: number): ProtocolError {
  return new ProtocolError(`read of ${want} byte(s) at offset ${offset} runs past the end (${size} bytes)`)
}

function badLength(kind: string, n: number): ProtocolError {
  return new ProtocolError(`invalid ${kind} length ${n}`)
}

// Cursor over one received frame. Every read is bounds-checked and fails with
// a ProtocolError, so a truncated or hostile frame never surfaces as a
// RangeError from Buffer or as a huge allocation.
export class Reader {
  buf: Buffer
  offset: number

  constructor(buf: Buffer, offset = 0) {
    this.buf = buf
    this.offset = offset
  }

  remaining(): number {
    return this.buf.length - this.offset
  }

  skip(n: number): void {
    if (n < 0 || this.offset + n > this.buf.length) throw eof(n, this.offset, this.buf.length)
    this.offset += n
  }

  int8(): number {
    const o = this.offset
    if (o + 1 > this.buf.length) throw eof(1, o, this.buf.length)
    this.offset = o + 1
    const v = this.buf[o]!
    return (v << 24) >> 24
  }

  bool(): boolean {
    const o = this.offset
    if (o + 1 > this.buf.length) throw eof(1, o, this.buf.length)
    this.offset = o + 1
    return this.buf[o] !== 0
  }

  int16(): number {
    const o = this.offset
    const b = this.buf
    if (o + 2 > b.length) throw eof(2, o, b.length)
    this.offset = o + 2
    return ((b[o]! << 24) | (b[o + 1]! << 16)) >> 16
  }

  uint16(): number {
    const o = this.offset
    const b = this.buf
    if (o + 2 > b.length) throw eof(2, o, b.length)
    this.offset = o + 2
    return (b[o]! << 8) | b[o + 1]!
  }

  int32(): number {
    const o = this.offset
    const b = this.buf
    if (o + 4 > b.length) throw eof(4, o, b.length)
    this.offset = o + 4
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!
  }

  uint32(): number {
    return this.int32() >>> 0
  }

  // int64 as a JS number: exact within ±(2^53−1), which covers offsets,
  // timestamps and producer ids in practice. Anything wider is rejected rather
  // than silently rounded.
  int64(): number {
    const o = this.offset
    const b = this.buf
    if (o + 8 > b.length) throw eof(8, o, b.length)
    this.offset = o + 8
    const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!
    const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0
    if (hi > 0x1fffff || hi < -0x200000 || (hi === -0x200000 && lo === 0)) {
      throw new ProtocolError(`int64 at offset ${o} is outside the safe integer range`)
    }
    return hi * TWO_32 + lo
  }

  float64(): number {
    const o = this.offset
    if (o + 8 > this.buf.length) throw eof(8, o, this.buf.length)
    this.offset = o + 8
    return this.buf.readDoubleBE(o)
  }

  uuid(): string {
    const o = this.offset
    if (o + 16 > this.buf.length) throw eof(16, o, this.buf.length)
    this.offset = o + 16
    return this.buf.toString('base64url', o, o + 16)
  }

  uvarint(): number {
    const b = this.buf
    let o = this.offset
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (o >= b.length) throw eof(1, o, b.length)
      const byte = b[o++]!
      value |= (byte & 0x7f) << shift
      if (byte < 0x80) {
        this.offset = o
        return value >>> 0
      }
    }
    throw new ProtocolError(`unsigned varint at offset ${this.offset} is longer than 5 bytes`)
  }

  // Zig-zag int32, as used inside record batches (never for lengths).
  varint(): number {
    const z = this.uvarint()
    return (z >>> 1) ^ -(z & 1)
  }

  // Zig-zag int64 as a number. Bitwise ops only cover 32 bits, so wider
  // values are accumulated arithmetically (exact below 2^53).
  varlong(): number {
    const b = this.buf
    const start = this.offset
    let o = start
    let z = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (o >= b.length) throw eof(1, o, b.length)
      const byte = b[o++]!
      z += (byte & 0x7f) * mul
      if (byte < 0x80) {
        if (z > Number.MAX_SAFE_INTEGER) return this.bigVarlong(start)
        this.offset = o
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2
      }
      mul *= 128
    }
    throw new ProtocolError(`varlong at offset ${start} is longer than 10 bytes`)
  }

  private bigVarlong(start: number): number {
    const b = this.buf
    let o = start
    let z = 0n
    let shift = 0n
    for (;;) {
      const byte = b[o++]!
      z |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) break
      shift += 7n
    }
    const v = (z >> 1n) ^ -(z & 1n)
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`varlong at offset ${start} is outside the safe integer range`)
    }
    this.offset = o
    return Number(v)
  }

  // Node's native UTF-8 slice measured faster than a JS ASCII loop here,
  // even for short topic names.
  private text(len: number): string {
    const b = this.buf
    const o = this.offset
    if (o + len > b.length) throw eof(len, o, b.length)
    this.offset = o + len
    return b.toString('utf8', o, o + len)
  }

  string(): string {
    const len = this.int16()
    if (len < 0) throw len === -1 ? new ProtocolError('non-nullable string is null') : badLength('string', len)
    return this.text(len)
  }

  nullableString(): string | null {
    const len = this.int16()
    if (len < 0) {
      if (len === -1) return null
      throw badLength('string', len)
    }
    return this.text(len)
  }

  compactString(): string {
    const n = this.uvarint()
    if (n === 0) throw new ProtocolError('non-nullable compact string is null')
    if (n - 1 > 0x7fff) throw badLength('string', n - 1)
    return this.text(n - 1)
  }

  compactNullableString(): string | null {
    const n = this.uvarint()
    if (n === 0) return null
    if (n - 1 > 0x7fff) throw badLength('string', n - 1)
    return this.text(n - 1)
  }

  // Returns a view into the frame: callers that keep the bytes beyond the
  // frame's lifetime must copy them.
  private slice(len: number): Buffer {
    const o = this.offset
    if (o + len > this.buf.length) throw eof(len, o, this.buf.length)
    this.offset = o + len
    return this.buf.subarray(o, o + len)
  }

  bytes(): Buffer {
    const len = this.int32()
    if (len < 0) throw len === -1 ? new ProtocolError('non-nullable bytes are null') : badLength('bytes', len)
    return this.slice(len)
  }

  nullableBytes(): Buffer | null {
    const len = this.int32()
    if (len < 0) {
      if (len === -1) return null
      throw badLength('bytes', len)
    }
    return this.slice(len)
  }

  compactBytes(): Buffer {
    const n = this.uvarint()
    if (n === 0) throw new ProtocolError('non-nullable compact bytes are null')
    return this.slice(n - 1)
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint()
    if (n === 0) return null
    return this.slice(n - 1)
  }

  // Element count of a classic array: −1 means null. A count larger than the
  // bytes left cannot be honest (every element takes at least one byte), so
  // it is rejected before anything is allocated.
  arrayLength(): number {
    const n = this.int32()
    if (n < -1) throw badLength('array', n)
    if (n > this.buf.length - this.offset) {
      throw new ProtocolError(`array of ${n} elements but only ${this.remaining()} bytes remain`)
    }
    return n
  }

  compactArrayLength(): number {
    const n = this.uvarint() - 1
    if (n > this.buf.length - this.offset) {
      throw new ProtocolError(`array of ${n} elements but only ${this.remaining()} bytes remain`)
    }
    return n
  }

  array<T>(fn: (r: Reader) => T): T[] {
    const n = this.arrayLength()
    if (n < 0) throw new ProtocolError('non-nullable array is null')
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(fn(this))
    return out
  }

  nullableArray<T>(fn: (r: Reader) => T): T[] | null {
    const n = this.arrayLength()
    if (n < 0) return null
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(fn(this))
    return out
  }

  compactArray<T>(fn: (r: Reader) => T): T[] {
    const n = this.compactArrayLength()
    if (n < 0) throw new ProtocolError('non-nullable compact array is null')
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(fn(this))
    return out
  }

  compactNullableArray<T>(fn: (r: Reader) => T): T[] | null {
    const n = this.compactArrayLength()
    if (n < 0) return null
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(fn(this))
    return out
  }

  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.skip(this.uvarint())
    }
  }

  // Tagged-field framing for generated decoders: read the (tag, size) pair,
  // then after decoding a known tag (or none, for an unknown one) jump to the
  // field's end. Known fields that a newer peer extended are skipped past the
  // same way.
  taggedFieldEnd(size: number): number {
    const end = this.offset + size
    if (end > this.buf.length) throw eof(size, this.offset, this.buf.length)
    return end
  }

  endTaggedField(end: number): void {
    if (this.offset > end) throw new ProtocolError(`tagged field overran its declared size by ${this.offset - end} byte(s)`)
    this.offset = end
  }
}

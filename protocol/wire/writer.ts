import { ProtocolError } from './errors.ts'

const INITIAL_SIZE = 1024
// Blobs above this size (record batches, mostly) are referenced, not copied:
// a Fetch response built from log segment slices goes to the socket as is.
const BLOB_THRESHOLD = 1024
const SHORT_STRING = 32
const TWO_32 = 0x1_0000_0000

function outOfRange(kind: string, v: unknown): ProtocolError {
  return new ProtocolError(`${String(v)} is not a valid ${kind}`)
}

// Growable output as a list of chunks. Small values go into a scratch buffer;
// when it fills up, the used part is cut off as a chunk (a view, no copy) and
// a bigger scratch buffer takes over, so nothing written is ever copied again.
export class Writer {
  private chunks: Buffer[] = []
  private buf: Buffer
  private pos = 0
  // Start of the part of `buf` not yet cut into `chunks`.
  private start = 0
  private flushed = 0
  // Non-null for framed writers: the buffer whose first 4 bytes are the size.
  private head: Buffer | null = null

  constructor(initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  // A writer whose output starts with an int32 size prefix, filled in by finish().
  static frame(initialSize = INITIAL_SIZE): Writer {
    const w = new Writer(initialSize)
    w.head = w.buf
    w.pos = 4
    return w
  }

  get length(): number {
    return this.flushed + this.pos - this.start
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.flushed += this.pos - this.start
      this.start = this.pos
    }
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      this.cut()
      this.buf = Buffer.allocUnsafe(Math.max(this.buf.length * 2, n))
      this.pos = 0
      this.start = 0
    }
  }

  finish(): Buffer[] {
    this.cut()
    if (this.head !== null) this.head.writeInt32BE(this.flushed - 4, 0)
    return this.chunks
  }

  toBuffer(): Buffer {
    const chunks = this.finish()
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.flushed)
  }

  int8(v: number): void {
    if ((v << 24) >> 24 !== v) throw outOfRange('int8', v)
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  bool(v: boolean): void {
    this.ensure(1)
    this.buf[this.pos++] = v ? 1 : 0
  }

  int16(v: number): void {
    if ((v << 16) >> 16 !== v) throw outOfRange('int16', v)
    this.ensure(2)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 8
    b[p + 1] = v
    this.pos = p + 2
  }

  uint16(v: number): void {
    if ((v & 0xffff) !== v) throw outOfRange('uint16', v)
    this.ensure(2)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 8
    b[p + 1] = v
    this.pos = p + 2
  }

  int32(v: number): void {
    if ((v | 0) !== v) throw outOfRange('int32', v)
    this.ensure(4)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
  }

  uint32(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('uint32', v)
    this.ensure(4)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
  }

  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw outOfRange('int64 (safe integer)', v)
    const hi = Math.floor(v / TWO_32)
    const lo = v - hi * TWO_32
    this.ensure(8)
    const b = this.buf
    const p = this.pos
    b[p] = hi >>> 24
    b[p + 1] = hi >>> 16
    b[p + 2] = hi >>> 8
    b[p + 3] = hi
    b[p + 4] = lo >>> 24
    b[p + 5] = lo >>> 16
    b[p + 6] = lo >>> 8
    b[p + 7] = lo
    this.pos = p + 8
  }

  float64(v: number): void {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }

  uuid(s: string): void {
    this.ensure(16)
    // Node's base64url decoder skips junk characters, so a short write count
    // is how a malformed id shows up.
    if (s.length !== 22 || this.buf.write(s, this.pos, 16, 'base64url') !== 16) throw outOfRange('uuid', s)
    this.pos += 16
  }

  uvarint(v: number): void {
    if (v >>> 0 !== v) throw outOfRange('unsigned varint', v)
    this.ensure(5)
    const b = this.buf
    let p = this.pos
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    b[p++] = v
    this.pos = p
  }

  varint(v: number): void {
    if ((v | 0) !== v) throw outOfRange('varint', v)
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  varlong(v: number): void {
    if ((v | 0) === v) {
      this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
      return
    }
    if (!Number.isSafeInteger(v)) throw outOfRange('varlong (safe integer)', v)
    this.ensure(10)
    const b = this.buf
    let p = this.pos
    // 2|v| is exact for any safe integer; 2|v|−1 only below 2^52, hence BigInt.
    if (Math.abs(v) < 2 ** 52) {
      let z = v >= 0 ? v * 2 : -v * 2 - 1
      while (z >= 0x80) {
        b[p++] = (z % 0x80) | 0x80
        z = Math.floor(z / 0x80)
      }
      b[p++] = z
    } else {
      const big = BigInt(v)
      let z = big >= 0n ? big << 1n : (-big << 1n) - 1n
      while (z >= 0x80n) {
        b[p++] = Number(z & 0x7fn) | 0x80
        z >>= 7n
      }
      b[p++] = Number(z)
    }
    this.pos = p
  }

  private static byteLength(s: string): number {
    const n = s.length
    if (n <= SHORT_STRING) {
      let i = 0
      while (i < n && s.charCodeAt(i) < 0x80) i++
      if (i === n) return n
    }
    return Buffer.byteLength(s, 'utf8')
  }

  // `len` is the UTF-8 length; it equals s.length exactly when s is ASCII.
  private text(s: string, len: number): void {
    const b = this.buf
    const p = this.pos
    if (len === s.length) {
      if (len <= SHORT_STRING) {
        for (let i = 0; i < len; i++) b[p + i] = s.charCodeAt(i)
      } else {
        b.write(s, p, len, 'latin1')
      }
    } else {
      b.write(s, p, len, 'utf8')
    }
    this.pos = p + len
  }

  string(s: string): void {
    const len = Writer.byteLength(s)
    if (len > 0x7fff) throw outOfRange('string length', len)
    this.int16(len)
    this.ensure(len)
    this.text(s, len)
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1)
    else this.string(s)
  }

  compactString(s: string): void {
    const len = Writer.byteLength(s)
    if (len > 0x7fff) throw outOfRange('string length', len)
    this.uvarint(len + 1)
    this.ensure(len)
    this.text(s, len)
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0)
    else this.compactString(s)
  }

  // Appends bytes verbatim: small ones are copied into the scratch buffer,
  // large ones become their own chunk by reference (the caller must not
  // mutate them until the output has been sent).
  raw(v: Buffer): void {
    const n = v.length
    if (n > BLOB_THRESHOLD) {
      this.cut()
      this.chunks.push(v)
      this.flushed += n
    } else {
      this.ensure(n)
      this.buf.set(v, this.pos)
      this.pos += n
    }
  }

  bytes(v: Buffer): void {
    this.int32(v.length)
    this.raw(v)
  }

  nullableBytes(v: Buffer | null): void {
    if (v === null) this.int32(-1)
    else this.bytes(v)
  }

  compactBytes(v: Buffer): void {
    this.uvarint(v.length + 1)
    this.raw(v)
  }

  compactNullableBytes(v: Buffer | null): void {
    if (v === null) this.uvarint(0)
    else this.compactBytes(v)
  }

  array<T>(items: T[], fn: (w: Writer, item: T) => void): void {
    this.int32(items.length)
    for (let i = 0; i < items.length; i++) fn(this, items[i]!)
  }

  nullableArray<T>(items: T[] | null, fn: (w: Writer, item: T) => void): void {
    if (items === null) this.int32(-1)
    else this.array(items, fn)
  }

  compactArray<T>(items: T[], fn: (w: Writer, item: T) => void): void {
    this.uvarint(items.length + 1)
    for (let i = 0; i < items.length; i++) fn(this, items[i]!)
  }

  compactNullableArray<T>(items: T[] | null, fn: (w: Writer, item: T) => void): void {
    if (items === null) this.uvarint(0)
    else this.compactArray(items, fn)
  }

  emptyTaggedFields(): void {
    this.ensure(1)
    this.buf[this.pos++] = 0
  }
}

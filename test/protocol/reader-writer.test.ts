import t from 'tap'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { ProtocolError } from '../../protocol/wire/errors.ts'

function bytesOf(fn: (w: Writer) => void): Buffer {
  const w = new Writer()
  fn(w)
  return w.toBuffer()
}

t.test('fixed-width integers round trip at their bounds', async (t) => {
  const buf = bytesOf((w) => {
    w.int8(-128); w.int8(127)
    w.int16(-32768); w.int16(32767)
    w.uint16(65535)
    w.int32(-2147483648); w.int32(2147483647)
    w.uint32(4294967295)
    w.int64(Number.MAX_SAFE_INTEGER); w.int64(Number.MIN_SAFE_INTEGER); w.int64(-1); w.int64(2 ** 40 + 7)
    w.float64(-1.5)
    w.bool(true); w.bool(false)
  })
  t.equal(buf.toString('hex'), [
    '80', '7f', '8000', '7fff', 'ffff', '80000000', '7fffffff', 'ffffffff',
    '001fffffffffffff', 'ffe0000000000001', 'ffffffffffffffff', '0000010000000007',
    'bff8000000000000', '01', '00',
  ].join(''))
  const r = new Reader(buf)
  t.same(
    [r.int8(), r.int8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32(),
      r.int64(), r.int64(), r.int64(), r.int64(), r.float64(), r.bool(), r.bool()],
    [-128, 127, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -1, 2 ** 40 + 7, -1.5, true, false],
  )
  t.equal(r.remaining(), 0)
})

t.test('int64 outside the safe integer range is a ProtocolError', async (t) => {
  t.throws(() => new Reader(Buffer.from('0020000000000000', 'hex')).int64(), ProtocolError) // 2^53
  t.throws(() => new Reader(Buffer.from('ffe0000000000000', 'hex')).int64(), ProtocolError) // -2^53
  t.throws(() => new Reader(Buffer.from('7fffffffffffffff', 'hex')).int64(), ProtocolError)
  t.throws(() => new Reader(Buffer.from('8000000000000000', 'hex')).int64(), ProtocolError)
  t.throws(() => new Writer().int64(2 ** 53), ProtocolError)
  t.throws(() => new Writer().int64(1.5), ProtocolError)
})

t.test('out-of-range writes are rejected', async (t) => {
  t.throws(() => new Writer().int8(128), ProtocolError)
  t.throws(() => new Writer().int16(40000), ProtocolError)
  t.throws(() => new Writer().int32(2 ** 31), ProtocolError)
  t.throws(() => new Writer().uint16(-1), ProtocolError)
  t.throws(() => new Writer().uvarint(-1), ProtocolError)
  t.throws(() => new Writer().uuid('not-a-uuid'), ProtocolError)
  t.throws(() => new Writer().string('x'.repeat(40000)), ProtocolError)
})

t.test('zig-zag varint edge values', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '00'], [-1, '01'], [1, '02'], [63, '7e'], [-64, '7f'], [64, '8001'], [-65, '8101'],
    [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
  ]
  for (const [v, hex] of cases) {
    const buf = bytesOf((w) => w.varint(v))
    t.equal(buf.toString('hex'), hex, `varint ${v}`)
    const r = new Reader(buf)
    t.equal(r.varint(), v)
    t.equal(r.remaining(), 0)
    // varlong agrees with varint inside the int32 range.
    t.equal(bytesOf((w) => w.varlong(v)).toString('hex'), hex, `varlong ${v}`)
    t.equal(new Reader(buf).varlong(), v)
  }
})

t.test('varlong beyond 32 bits', async (t) => {
  const values = [2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), 1700000000000, 2 ** 52 + 1, -(2 ** 52) - 3,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
  for (const v of values) {
    const buf = bytesOf((w) => w.varlong(v))
    const big = BigInt(v)
    let z = big >= 0n ? big << 1n : (-big << 1n) - 1n
    let hex = ''
    while (z >= 0x80n) { hex += ((Number(z & 0x7fn) | 0x80).toString(16)).padStart(2, '0'); z >>= 7n }
    hex += Number(z).toString(16).padStart(2, '0')
    t.equal(buf.toString('hex'), hex, `encoding of ${v}`)
    t.equal(new Reader(buf).varlong(), v, `decoding of ${v}`)
  }
  // Long.MAX_VALUE zig-zagged does not fit a JS number.
  t.throws(() => new Reader(Buffer.from('feffffffffffffffff01', 'hex')).varlong(), ProtocolError)
})

t.test('unsigned varints', async (t) => {
  for (const [v, hex] of [[0, '00'], [127, '7f'], [128, '8001'], [300, 'ac02'], [4294967295, 'ffffffff0f']] as const) {
    const buf = bytesOf((w) => w.uvarint(v))
    t.equal(buf.toString('hex'), hex)
    t.equal(new Reader(buf).uvarint(), v)
  }
  t.throws(() => new Reader(Buffer.from('ffffffffff01', 'hex')).uvarint(), ProtocolError, 'more than 5 bytes')
  t.throws(() => new Reader(Buffer.from('ff', 'hex')).uvarint(), ProtocolError, 'truncated')
})

t.test('compact lengths of 64 and more use unsigned varints, not zig-zag', async (t) => {
  for (const n of [63, 64, 127, 128, 200, 5000]) {
    const s = 'x'.repeat(n)
    const buf = bytesOf((w) => w.compactString(s))
    const prefix = bytesOf((w) => w.uvarint(n + 1))
    t.same(buf.subarray(0, prefix.length), prefix, `prefix for ${n}`)
    t.equal(new Reader(buf).compactString(), s)
    const blob = Buffer.alloc(n, 7)
    const b2 = bytesOf((w) => w.compactBytes(blob))
    t.same(new Reader(b2).compactBytes(), blob)
    const arr = Array.from({ length: n }, (_, i) => i)
    const b3 = bytesOf((w) => w.compactArray(arr, (w, x) => w.int32(x)))
    t.same(new Reader(b3).compactArray((r) => r.int32()), arr)
  }
  t.equal(bytesOf((w) => w.compactString('x'.repeat(64))).subarray(0, 1).toString('hex'), '41')
  t.equal(bytesOf((w) => w.compactString('x'.repeat(127))).subarray(0, 2).toString('hex'), '8001')
})

t.test('strings: ASCII, UTF-8, null', async (t) => {
  const values = ['', 'a', 'topic-1', 'x'.repeat(100), 'tópic', 'トピック', '😀 emoji', 'é'.repeat(50)]
  const buf = bytesOf((w) => {
    for (const s of values) { w.string(s); w.compactString(s) }
    w.nullableString(null); w.compactNullableString(null)
  })
  const r = new Reader(buf)
  for (const s of values) {
    t.equal(r.string(), s)
    t.equal(r.compactString(), s)
  }
  t.equal(r.nullableString(), null)
  t.equal(r.compactNullableString(), null)
  t.equal(r.remaining(), 0)
  t.equal(bytesOf((w) => w.string('tópic')).toString('hex'), '000674c3b37069 63'.replace(' ', ''))
  t.throws(() => new Reader(Buffer.from('ffff', 'hex')).string(), ProtocolError, 'null for a non-nullable string')
  t.throws(() => new Reader(Buffer.from('fffe', 'hex')).nullableString(), ProtocolError, 'negative length')
  t.throws(() => new Reader(Buffer.from('00', 'hex')).compactString(), ProtocolError)
})

t.test('bytes are views into the frame', async (t) => {
  const buf = bytesOf((w) => { w.bytes(Buffer.from('hello')); w.nullableBytes(null); w.compactNullableBytes(null) })
  const r = new Reader(buf)
  const b = r.bytes()
  t.equal(b.toString(), 'hello')
  t.equal(b.buffer, buf.buffer, 'shares memory with the frame')
  t.equal(r.nullableBytes(), null)
  t.equal(r.compactNullableBytes(), null)
  t.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).nullableBytes(), ProtocolError)
  t.throws(() => new Reader(Buffer.from('ffffffff', 'hex')).bytes(), ProtocolError)
})

t.test('uuid', async (t) => {
  const raw = Buffer.from('0123456789abcdeffedcba9876543210', 'hex')
  const id = raw.toString('base64url')
  t.equal(id.length, 22)
  const buf = bytesOf((w) => { w.uuid(id); w.uuid('AAAAAAAAAAAAAAAAAAAAAA') })
  t.same(buf.subarray(0, 16), raw)
  t.same(buf.subarray(16), Buffer.alloc(16))
  const r = new Reader(buf)
  t.equal(r.uuid(), id)
  t.equal(r.uuid(), 'AAAAAAAAAAAAAAAAAAAAAA')
})

t.test('arrays', async (t) => {
  const buf = bytesOf((w) => {
    w.array([1, 2, 3], (w, x) => w.int16(x))
    w.nullableArray(null, (w, x: number) => w.int16(x))
    w.compactNullableArray(null, (w, x: number) => w.int16(x))
    w.compactArray(['a', 'b'], (w, s) => w.compactString(s))
  })
  t.equal(buf.subarray(0, 10).toString('hex'), '00000003000100020003')
  const r = new Reader(buf)
  t.same(r.array((r) => r.int16()), [1, 2, 3])
  t.equal(r.nullableArray((r) => r.int16()), null)
  t.equal(r.compactNullableArray((r) => r.int16()), null)
  t.same(r.compactArray((r) => r.compactString()), ['a', 'b'])
  // A count no frame could hold is rejected before allocating.
  t.throws(() => new Reader(Buffer.from('7fffffff00', 'hex')).array((r) => r.int8()), ProtocolError)
  t.throws(() => new Reader(Buffer.from('ffffffff', 'hex')).array((r) => r.int8()), ProtocolError)
})

t.test('reading past the end throws ProtocolError', async (t) => {
  const short = Buffer.from('0001', 'hex')
  for (const read of [
    (r: Reader) => r.int32(), (r: Reader) => r.int64(), (r: Reader) => r.uuid(), (r: Reader) => r.float64(),
    (r: Reader) => { r.int16(); r.int8() }, (r: Reader) => r.string(), (r: Reader) => r.bytes(),
  ]) {
    t.throws(() => read(new Reader(short)), ProtocolError)
  }
  t.throws(() => new Reader(Buffer.from('0005616263', 'hex')).string(), ProtocolError, 'string longer than the frame')
  t.throws(() => new Reader(Buffer.from('0000000a00', 'hex')).bytes(), ProtocolError, 'bytes longer than the frame')
  t.throws(() => new Reader(Buffer.from('010105', 'hex')).skipTaggedFields(), ProtocolError, 'tagged field longer than the frame')
})

t.test('tagged fields are skipped', async (t) => {
  const r = new Reader(Buffer.from('02' + '00' + '03' + 'aabbcc' + '7f' + '00' + 'ee', 'hex'))
  r.skipTaggedFields()
  t.equal(r.int8(), -18)
  t.equal(r.remaining(), 0)
  t.equal(bytesOf((w) => w.emptyTaggedFields()).toString('hex'), '00')
})

t.test('large blobs are referenced, not copied', async (t) => {
  const big1 = Buffer.alloc(4000, 1)
  const big2 = Buffer.alloc(2000, 2)
  const small = Buffer.alloc(100, 3)
  const w = Writer.frame()
  w.int32(7)
  w.bytes(big1)
  w.compactBytes(big2)
  w.bytes(small)
  w.raw(big1)
  t.equal(w.length, 4 + 4 + 4 + 4000 + 2 + 2000 + 4 + 100 + 4000)
  const chunks = w.finish()
  t.equal(chunks.filter((c) => c === big1).length, 2, 'the big blob is pushed by identity')
  t.ok(chunks.includes(big2))
  t.notOk(chunks.includes(small), 'small blobs are copied into the scratch buffer')
  const all = Buffer.concat(chunks)
  t.equal(all.readInt32BE(0), all.length - 4, 'frame prefix is total length minus 4')
  const r = new Reader(all, 4)
  t.equal(r.int32(), 7)
  t.same(r.bytes(), big1)
  t.same(r.compactBytes(), big2)
  t.same(r.bytes(), small)
  t.same(all.subarray(r.offset), big1)
})

t.test('writer grows past its initial buffer without losing data', async (t) => {
  const w = Writer.frame(16)
  for (let i = 0; i < 1000; i++) { w.int32(i); w.string(`s${i}`) }
  const buf = w.toBuffer()
  t.equal(buf.readInt32BE(0), buf.length - 4)
  t.equal(w.length, buf.length)
  const r = new Reader(buf, 4)
  const got: Array<[number, string]> = []
  for (let i = 0; i < 1000; i++) got.push([r.int32(), r.string()])
  t.same(got, Array.from({ length: 1000 }, (_, i) => [i, `s${i}`]))
  t.equal(r.remaining(), 0)
  const plain = new Writer()
  t.same(plain.finish(), [], 'an empty writer has no chunks')
  t.equal(plain.toBuffer().length, 0)
})

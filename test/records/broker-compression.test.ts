// The broker's compressors write what Kafka's broker writes: lz4 frames of independent
// 64 KiB blocks without checksums, snappy in snappy-java's framing with 32 KiB chunks,
// gzip and zstd at the KIP-390 levels; every output decompresses to its input.

import t from 'tap'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { gunzipSync, zstdDecompressSync } from 'node:zlib'
import { compressAsKafka, DEFAULT_LEVELS, LZ4_KAFKA_FRAME_HEADER } from '../../protocol/records/broker-compression.ts'
import { decompress } from '../../protocol/records/compression.ts'
import { Compression } from '../../protocol/records/record-batch.ts'

const require = createRequire(import.meta.url)
const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer): Buffer; decompressFrameSync(b: Buffer): Buffer }
const snappy = require('snappy') as { uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer }

// Text-like input (compressible) and random input (not), of sizes around the block sizes.
function inputs(): Array<[string, Buffer]> {
  const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => 'record-' + (i % 977) + ';').join('').slice(0, n))
  return [
    ['10 B', text(10)],
    ['32 KiB', text(32 * 1024)],
    ['64 KiB', text(64 * 1024)],
    ['64 KiB + 1', text(64 * 1024 + 1)],
    ['300 KB text', text(300_000)],
    ['150 KB random', randomBytes(150_000)],
  ]
}

/** The blocks of a Kafka-style LZ4 frame: [stored, length] each; throws on anything else. */
function lz4Blocks(frame: Buffer): Array<{ stored: boolean; length: number }> {
  const out: Array<{ stored: boolean; length: number }> = []
  let pos = LZ4_KAFKA_FRAME_HEADER.length
  for (;;) {
    const word = frame.readUInt32LE(pos)
    pos += 4
    if (word === 0) break
    const length = word & 0x7fffffff
    out.push({ stored: word >>> 31 === 1, length })
    pos += length
  }
  if (pos !== frame.length) throw new Error(`${frame.length - pos} bytes after the end mark`)
  return out
}

t.test('lz4: Kafka\'s frame descriptor, independent 64 KiB blocks, no checksums', async (t) => {
  // The header checksum byte is xxHash32's; lz4-napi's own encoder computes it for the same FLG/BD.
  t.same(lz4.compressFrameSync(Buffer.from('x')).subarray(0, 7), LZ4_KAFKA_FRAME_HEADER, 'the same 7 header bytes lz4-napi writes for FLG 0x60 BD 0x40')
  for (const [name, body] of inputs()) {
    const frame = compressAsKafka(Compression.LZ4, body)
    t.same(frame.subarray(0, 7), LZ4_KAFKA_FRAME_HEADER, `${name}: header`)
    const blocks = lz4Blocks(frame)
    t.equal(blocks.length, Math.ceil(body.length / 65536), `${name}: one block per 64 KiB of input`)
    t.ok(blocks.every((b) => b.length <= 65536), `${name}: no block above 64 KiB`)
    if (name.includes('random')) t.ok(blocks.every((b) => b.stored), `${name}: incompressible blocks are stored raw, as Kafka does`)
    else if (body.length > 1024) t.notOk(blocks[0]!.stored, `${name}: compressible blocks are compressed`)
    else t.ok(blocks[0]!.stored && blocks[0]!.length === body.length, `${name}: a block that does not shrink is stored`)
    t.ok(lz4.decompressFrameSync(frame).equals(body), `${name}: lz4-napi reads it back`)
    t.ok(decompress(Compression.LZ4, frame).equals(body), `${name}: the validator reads it back`)
  }
})

t.test('snappy: snappy-java framing with 32 KiB chunks', async (t) => {
  for (const [name, body] of inputs()) {
    const framed = compressAsKafka(Compression.SNAPPY, body)
    t.same(framed.subarray(0, 16), Buffer.from('82534e41505059000000000100000001', 'hex'), `${name}: magic, version 1, compatible version 1`)
    let pos = 16
    const chunks: Buffer[] = []
    while (pos < framed.length) {
      const size = framed.readInt32BE(pos)
      chunks.push(snappy.uncompressSync(framed.subarray(pos + 4, pos + 4 + size), { asBuffer: true }))
      pos += 4 + size
    }
    t.equal(pos, framed.length, `${name}: chunks fill the body exactly`)
    t.ok(chunks.every((c, i) => c.length === (i < chunks.length - 1 ? 32768 : body.length - 32768 * (chunks.length - 1))), `${name}: 32 KiB per chunk`)
    t.ok(Buffer.concat(chunks).equals(body), `${name}: the chunks hold the input`)
    t.ok(decompress(Compression.SNAPPY, framed).equals(body), `${name}: the validator reads it back`)
  }
})

t.test('gzip and zstd honour the levels', async (t) => {
  const body = inputs()[4]![1]
  const gz = (level: number) => compressAsKafka(Compression.GZIP, body, { ...DEFAULT_LEVELS, gzip: level })
  t.ok(gz(1).length > gz(9).length, 'gzip level 1 is larger than level 9')
  t.same(gz(-1), gz(6), '-1 is zlib\'s default, 6')
  for (const level of [1, 9, -1]) t.ok(gunzipSync(gz(level)).equals(body), `gzip level ${level} round-trips`)
  const zs = (level: number) => compressAsKafka(Compression.ZSTD, body, { ...DEFAULT_LEVELS, zstd: level })
  t.ok(zs(-50).length > zs(19).length, 'zstd level -50 is larger than level 19')
  for (const level of [-131072, 3, 22]) t.ok(zstdDecompressSync(zs(level)).equals(body), `zstd level ${level} round-trips`)
  t.ok(decompress(Compression.ZSTD, zs(3)).equals(body))
  t.equal(compressAsKafka(Compression.NONE, body), body, 'none is the body itself')
  t.throws(() => compressAsKafka(5, body), RangeError)
})

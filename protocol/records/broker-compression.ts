// How the broker compresses a records body when a topic's compression.type makes it
// recompress a batch: the bytes Kafka's own broker writes for each codec (the Compression
// classes of org.apache.kafka.common.compress), with the KIP-390 levels. The codecs
// themselves come from packages: node:zlib for gzip and zstd, `snappy` and `lz4-napi`
// (napi-rs builds, see compression.ts for why not `lz4`); only the containers Kafka
// wraps around them are written here.
//
// - gzip: one gzip member at compression.gzip.level (-1 = zlib's default, 6).
// - snappy: snappy-java's SnappyOutputStream framing ("xerial"), as Kafka writes it: a
//   16-byte header (magic, version 1, compatible version 1), then each 32 KiB of input as
//   a big-endian int32 length and a raw snappy block. librdkafka, kafka-python,
//   @platformatic/kafka, kafkajs-snappy and snappy-java recognise the magic (and read raw
//   snappy, what librdkafka writes, too), so the choice only follows what Kafka writes.
// - lz4: an LZ4 frame as Kafka's Lz4BlockOutputStream writes it: FLG 0x60 (version 1,
//   independent blocks, no block or content checksum, no content size), BD 0x40 (64 KiB
//   blocks), each block compressed on its own and stored raw (high bit) when that is not
//   smaller, then the zero end mark. Kafka's reader refuses dependent blocks; lz4-napi's
//   own frame encoder grows blocks to 256 KiB for larger input, which every reader
//   accepts but Kafka never writes, so the frame is assembled here from lz4-napi blocks.
//   Level: lz4-napi (lz4_flex) has only LZ4's fast compressor, which is what Kafka uses
//   at its default level 9; levels asking for LZ4-HC get the fast compressor too.
// - zstd: one zstd frame at compression.zstd.level; node:zlib writes the content size.

import { Compression } from './record-batch.ts'
import { lz4, snappy, zlib } from './codec-modules.ts'

/** The KIP-390 levels, with Kafka's defaults (gzip -1, lz4 9, zstd 3). */
export interface CompressionLevels {
  gzip: number
  lz4: number
  zstd: number
}

export const DEFAULT_LEVELS: Readonly<CompressionLevels> = Object.freeze({ gzip: -1, lz4: 9, zstd: 3 })

// snappy-java SnappyCodec: MAGIC_HEADER, DEFAULT_VERSION, MINIMUM_COMPATIBLE_VERSION;
// SnappyOutputStream.DEFAULT_BLOCK_SIZE.
const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
const XERIAL_BLOCK = 32 * 1024

// Magic 0x184D2204 (little-endian), FLG 0x60, BD 0x40, and the header checksum: the second
// byte of xxHash32 over FLG and BD, constant for this FLG/BD (lz4-napi's encoder writes the
// same seven bytes for small input; a test compares them).
export const LZ4_KAFKA_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
const LZ4_BLOCK = 64 * 1024
const LZ4_STORED = 0x80000000
// lz4-napi's compressSync prefixes the block with its uncompressed size (4 bytes LE).
const LZ4_SIZE_PREFIX = 4

function xerialSnappy(body: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER]
  let total = XERIAL_HEADER.length
  for (let pos = 0; pos < body.length; pos += XERIAL_BLOCK) {
    const block = snappy().compressSync(body.subarray(pos, Math.min(pos + XERIAL_BLOCK, body.length)))
    const length = Buffer.allocUnsafe(4)
    length.writeInt32BE(block.length, 0)
    parts.push(length, block)
    total += 4 + block.length
  }
  return Buffer.concat(parts, total)
}

function kafkaLz4Frame(body: Buffer): Buffer {
  const parts: Buffer[] = [LZ4_KAFKA_FRAME_HEADER]
  let total = LZ4_KAFKA_FRAME_HEADER.length
  for (let pos = 0; pos < body.length; pos += LZ4_BLOCK) {
    const raw = body.subarray(pos, Math.min(pos + LZ4_BLOCK, body.length))
    const packed = lz4().compressSync(raw).subarray(LZ4_SIZE_PREFIX)
    const stored = packed.length >= raw.length
    const block = stored ? raw : packed
    const word = Buffer.allocUnsafe(4)
    word.writeUInt32LE((block.length | (stored ? LZ4_STORED : 0)) >>> 0, 0)
    parts.push(word, block)
    total += 4 + block.length
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts, total + 4)
}

/** `body` (uncompressed records) compressed with `codec` as a Kafka broker writes it. */
export function compressAsKafka(codec: number, body: Buffer, levels: Readonly<CompressionLevels> = DEFAULT_LEVELS): Buffer {
  switch (codec) {
    case Compression.NONE: return body
    case Compression.GZIP: return zlib().gzipSync(body, { level: levels.gzip })
    case Compression.SNAPPY: return xerialSnappy(body)
    case Compression.LZ4: return kafkaLz4Frame(body)
    case Compression.ZSTD: return zlib().zstdCompressSync(body, { params: { [zlib().constants.ZSTD_c_compressionLevel]: levels.zstd } })
  }
  throw new RangeError(`unknown compression codec ${codec}`)
}

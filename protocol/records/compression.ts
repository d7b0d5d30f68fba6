// Decompression of record-batch bodies for every codec Kafka defines: gzip and zstd from
// node:zlib, lz4 (the LZ4 frame format Kafka uses for magic 2) from lz4-napi, snappy
// (raw, or in the xerial framing the Java client writes) from snappy. Both are napi-rs
// packages whose binaries ship inside their registry packages: the `lz4` package needs a
// node-gyp build that npm runs under the machine's Node, which Node 24 then cannot load.
// Codec failures throw CompressionError; callers decide what error code that is.

import { Compression } from './record-batch.ts'
import { lz4, snappy, zlib } from './codec-modules.ts'

export class CompressionError extends Error {}

/**
 * The most a batch may decompress to. Kafka streams records out of a compressed batch;
 * we materialise the body, so a decompression bomb (gzip and zstd reach ratios above
 * 1000:1) must stop here rather than take the shard's memory.
 */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024

// lz4-napi has no output bound, so the frame is read first (LZ4 frame format: magic,
// FLG, BD, optional content size and dictionary id, header checksum, then blocks of a
// little-endian size, high bit = stored uncompressed, optional block checksums, a zero
// end mark). The content size, when the frame states it, or else the number of blocks
// times the block maximum from BD, bounds what it can decompress to.
const LZ4_MAGIC = 0x184d2204
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]

function checkLz4Bound(body: Buffer): void {
  if (body.length < 7 || body.readUInt32LE(0) !== LZ4_MAGIC) throw new CompressionError('not an LZ4 frame (bad magic)')
  const flg = body[4]!
  const blockMax = LZ4_BLOCK_MAX[(body[5]! >> 4) & 0x7] ?? 0
  if (blockMax === 0) throw new CompressionError('LZ4 frame with an invalid block size')
  const hasBlockChecksum = (flg & 0x10) !== 0
  let pos = 6
  if ((flg & 0x08) !== 0) {
    if (body.length < pos + 8) throw new CompressionError('truncated LZ4 frame header')
    const contentSize = Number(body.readBigUInt64LE(pos))
    if (contentSize > MAX_DECOMPRESSED_BYTES) throw new CompressionError(`LZ4 frame declares ${contentSize} bytes, above the ${MAX_DECOMPRESSED_BYTES}-byte limit`)
    pos += 8
  }
  if ((flg & 0x01) !== 0) pos += 4
  pos += 1 // header checksum
  let bound = 0
  while (pos + 4 <= body.length) {
    const word = body.readUInt32LE(pos)
    pos += 4
    if (word === 0) return
    bound += blockMax
    if (bound > MAX_DECOMPRESSED_BYTES) throw new CompressionError(`LZ4 frame could decompress to more than the ${MAX_DECOMPRESSED_BYTES}-byte limit`)
    pos += (word & 0x7fffffff) + (hasBlockChecksum ? 4 : 0)
  }
  throw new CompressionError('truncated LZ4 frame (no end mark)')
}

// gzip's trailer and zstd's frame header state the uncompressed size: a bomb that says
// what it is refused before anything is inflated (one that lies still stops at the limit).
function checkStatedSize(codec: number, body: Buffer): void {
  let stated = -1
  if (codec === Compression.GZIP && body.length >= 18) stated = body.readUInt32LE(body.length - 4)
  if (codec === Compression.ZSTD && body.length >= 6 && body.readUInt32LE(0) === 0xfd2fb528) {
    const fhd = body[4]!
    const fcsFlag = fhd >> 6
    const singleSegment = (fhd >> 5) & 1
    const dictBytes = [0, 1, 2, 4][fhd & 3]!
    const at = 5 + (singleSegment === 1 ? 0 : 1) + dictBytes
    const size = fcsFlag === 0 ? singleSegment : fcsFlag === 1 ? 2 : fcsFlag === 2 ? 4 : 8
    if (size > 0 && body.length >= at + size) {
      stated = size === 1 ? body[at]! : size === 2 ? body.readUInt16LE(at) + 256 : size === 4 ? body.readUInt32LE(at) : Number(body.readBigUInt64LE(at))
    }
  }
  if (stated > MAX_DECOMPRESSED_BYTES) throw new CompressionError(`${CODEC_NAMES[codec]} body states ${stated} bytes, above the ${MAX_DECOMPRESSED_BYTES}-byte limit`)
}

// zlib's default 16 KiB output chunks make a typical 16-64 KiB batch body take several
// rounds and a concatenation; sizing the first chunk from the gzip trailer's ISIZE (or a
// larger default) does it in one.
function gzipChunkSize(body: Buffer): number {
  const isize = body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0
  return Math.min(Math.max(isize + 64, 64 * 1024), 8 * 1024 * 1024)
}

// snappy-java's SnappyOutputStream header: magic, then a version and a compatible version.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = 16

// A raw snappy block starts with its uncompressed length (a varint): checked first.
function checkSnappyLength(block: Buffer): void {
  let length = 0
  for (let i = 0, shift = 1; i < 5 && i < block.length; i++, shift *= 128) {
    length += (block[i]! & 0x7f) * shift
    if (block[i]! < 128) break
  }
  if (length > MAX_DECOMPRESSED_BYTES) throw new CompressionError(`snappy block claims ${length} bytes, above the ${MAX_DECOMPRESSED_BYTES}-byte limit`)
}

function snappyBlock(block: Buffer): Buffer {
  checkSnappyLength(block)
  return snappy().uncompressSync(block, { asBuffer: true }) as Buffer
}

function unsnappy(body: Buffer): Buffer {
  if (body.length < XERIAL_HEADER || !body.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyBlock(body)
  const parts: Buffer[] = []
  let pos = XERIAL_HEADER
  while (pos < body.length) {
    if (pos + 4 > body.length) throw new CompressionError('truncated xerial snappy chunk header')
    const size = body.readInt32BE(pos)
    pos += 4
    if (size < 0 || pos + size > body.length) throw new CompressionError(`xerial snappy chunk of ${size} bytes runs past the batch`)
    parts.push(snappyBlock(body.subarray(pos, pos + size)))
    pos += size
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

// Refuses, before anything is inflated, a body that states or bounds a size above the
// limit (snappy states it per block, checked as each block is read).
function checkBound(codec: number, body: Buffer): void {
  if (codec === Compression.LZ4) checkLz4Bound(body)
  else if (codec === Compression.GZIP || codec === Compression.ZSTD) checkStatedSize(codec, body)
}

function asCompressionError(codec: number, err: unknown): CompressionError {
  if (err instanceof CompressionError) return err
  return new CompressionError(`cannot decompress a ${CODEC_NAMES[codec] ?? codec} batch: ${(err as Error).message}`)
}

/** The uncompressed record bytes of a batch body compressed with `codec`. */
export function decompress(codec: number, body: Buffer): Buffer {
  try {
    checkBound(codec, body)
    switch (codec) {
      case Compression.NONE: return body
      case Compression.GZIP: return zlib().gunzipSync(body, { chunkSize: gzipChunkSize(body), maxOutputLength: MAX_DECOMPRESSED_BYTES })
      case Compression.SNAPPY: return unsnappy(body)
      case Compression.LZ4: return lz4().decompressFrameSync(body)
      case Compression.ZSTD: return zlib().zstdDecompressSync(body, { chunkSize: 64 * 1024, maxOutputLength: MAX_DECOMPRESSED_BYTES })
    }
  } catch (err) {
    throw asCompressionError(codec, err)
  }
  throw new CompressionError(`unknown compression codec ${codec}`)
}

/**
 * decompress() off the calling thread for lz4 and raw snappy, on libuv's thread pool
 * through the napi-rs packages' async calls, so a shard can decompress several batches
 * at once while its own thread stays free. Other codecs decompress here (node:zlib's
 * async calls measured slower than its sync ones). Rejects with CompressionError.
 */
export async function decompressAsync(codec: number, body: Buffer): Promise<Buffer> {
  try {
    if (codec === Compression.LZ4) {
      checkLz4Bound(body)
      return await lz4().decompressFrame(body)
    }
    if (codec === Compression.SNAPPY) return await unsnappyAsync(body)
  } catch (err) {
    throw asCompressionError(codec, err)
  }
  return decompress(codec, body)
}

async function unsnappyAsync(body: Buffer): Promise<Buffer> {
  if (body.length < XERIAL_HEADER || !body.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    checkSnappyLength(body)
    return (await snappy().uncompress(body, { asBuffer: true })) as Buffer
  }
  // Framed bodies are rare (the Java client's) and made of 32 KiB chunks: decompressed here.
  return unsnappy(body)
}

/** `body` compressed with `codec` as Kafka clients send it (snappy raw, lz4 as a frame). */
export function compress(codec: number, body: Buffer): Buffer {
  switch (codec) {
    case Compression.NONE: return body
    case Compression.GZIP: return zlib().gzipSync(body)
    case Compression.SNAPPY: return snappy().compressSync(body)
    case Compression.LZ4: return lz4().compressFrameSync(body)
    case Compression.ZSTD: return zlib().zstdCompressSync(body)
  }
  throw new CompressionError(`unknown compression codec ${codec}`)
}

export const CODEC_NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' }

// Topic compression.type applied to a produced batch, as Kafka's broker does it
// (BrokerCompressionType.targetCompression, then LogValidator's rebuild when the codecs
// differ): 'producer' keeps the producer's codec, anything else names the codec the batch
// is stored with. A batch already in the target codec is kept as sent, whatever level it
// was compressed at (Kafka compares codecs, not levels). Runs on the shard threads.
//
// The rebuilt batch keeps everything but the codec: base offset, producer id, epoch, base
// sequence, attributes (transactional, timestamp type), base and max timestamp, record
// count and the records themselves, byte for byte once decompressed. Kafka re-encodes the
// records one by one with a MemoryRecordsBuilder, which yields the same record bytes
// except that its base timestamp is the first record's; every record's absolute
// timestamp is the same either way. The CRC is recomputed over the new bytes.

import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK, Compression, LOG_OVERHEAD, RECORDS_OFFSET, updateBatchCrc } from '../protocol/records/record-batch.ts'
import { compressAsKafka, type CompressionLevels } from '../protocol/records/broker-compression.ts'
import type { LogConfig, TopicCompressionType } from './log-config.ts'

const CODEC_OF: Readonly<Record<Exclude<TopicCompressionType, 'producer'>, number>> = Object.freeze({
  uncompressed: Compression.NONE,
  gzip: Compression.GZIP,
  snappy: Compression.SNAPPY,
  lz4: Compression.LZ4,
  zstd: Compression.ZSTD,
})

export type CompressionConfig = Partial<Pick<LogConfig, 'compressionType' | 'compressionGzipLevel' | 'compressionLz4Level' | 'compressionZstdLevel'>>

/** The codec a batch produced with `sourceCodec` is stored with under this topic config. */
export function targetCodec(config: CompressionConfig, sourceCodec: number): number {
  const type = config.compressionType
  return type === undefined || type === 'producer' ? sourceCodec : CODEC_OF[type]
}

export function compressionLevels(config: CompressionConfig): CompressionLevels {
  return { gzip: config.compressionGzipLevel ?? -1, lz4: config.compressionLz4Level ?? 9, zstd: config.compressionZstdLevel ?? 3 }
}

/**
 * A new batch holding `batch`'s header and `body` (its records, uncompressed) compressed
 * with `codec`. `batch` is one whole magic-2 batch that passed validation.
 */
export function recompressBatch(batch: Buffer, body: Buffer, codec: number, levels: CompressionLevels): Buffer {
  const packed = compressAsKafka(codec, body, levels)
  const out = Buffer.allocUnsafe(RECORDS_OFFSET + packed.length)
  batch.copy(out, 0, 0, RECORDS_OFFSET)
  packed.copy(out, RECORDS_OFFSET)
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  out.writeInt16BE((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_OFFSET)
  updateBatchCrc(out, 0)
  return out
}

// LogValidator's conversions on a produced batch: compression.type recompresses to the
// topic's codec keeping every header field and record; compacted topics refuse records
// without a key with Kafka's record errors and messages.

import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch, decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { ATTRIBUTES_OFFSET, COMPRESSION_CODEC_MASK, Compression, isCrcValid, readBatchHeader } from '../../protocol/records/record-batch.ts'
import { validateProducedRecords } from '../../storage/log-validator.ts'
import type { TopicCompressionType } from '../../storage/log-config.ts'
import { config } from './helpers.ts'

const TYPES: Array<[TopicCompressionType, number]> = [['uncompressed', 0], ['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]]
const now = Date.now()

function produced(codec: number, count = 40): Buffer {
  return buildRecordBatch({
    compression: codec,
    producerId: 4321,
    producerEpoch: 7,
    baseSequence: 99,
    isTransactional: true,
    baseTimestamp: now - 10,
    records: Array.from({ length: count }, (_, i) => ({
      key: i % 3 === 0 ? Buffer.alloc(0) : Buffer.from(`key-${i}`),
      value: i % 5 === 0 ? null : Buffer.from(`value ${i} `.repeat(i + 1)),
      headers: i % 2 === 0 ? [{ key: 'h', value: Buffer.from([i]) }, { key: 'n', value: null }] : [],
      timestamp: now - 10 + (i % 4),
    })),
  })
}

t.test('a batch in another codec is rebuilt in the topic\'s, everything else kept', async (t) => {
  for (const [, source] of TYPES) {
    for (const [type, target] of TYPES) {
      const batch = produced(source)
      const before = decodeRecords(batch)
      const header = readBatchHeader(batch, 0)
      const r = validateProducedRecords(batch, config({ compressionType: type }), now, 't-0')
      t.equal(r.error, 0, `${source} -> ${type}`)
      if (source === target) {
        t.equal(r.records, undefined, `${source} -> ${type}: same codec, stored as sent`)
        continue
      }
      const out = r.records!
      t.ok(Buffer.isBuffer(out), `${source} -> ${type}: rebuilt`)
      t.equal(out.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK, target, 'with the topic\'s codec')
      t.ok(isCrcValid(out, 0), 'and a CRC that matches')
      const h = readBatchHeader(out, 0)
      t.same({ ...h, batchLength: 0, crc: 0, attributes: h.attributes & ~7, compression: 0 }, { ...header, batchLength: 0, crc: 0, attributes: header.attributes & ~7, compression: 0 },
        'base offset, epoch, producer id and epoch, sequence, flags, timestamps and count unchanged')
      t.same(decodeRecords(out), before, 'the same records')
    }
  }
})

t.test('producer keeps the codec; levels alone never recompress', async (t) => {
  for (const [, codec] of TYPES) t.equal(validateProducedRecords(produced(codec), config(), now).records, undefined, `producer: codec ${codec} stored as sent`)
  const gz = produced(Compression.GZIP)
  t.equal(validateProducedRecords(gz, config({ compressionType: 'gzip', compressionGzipLevel: 9 }), now).records, undefined, 'gzip batch, gzip topic at level 9: as sent')
})

t.test('levels reach the compressor', async (t) => {
  const fast = validateProducedRecords(produced(0, 200), config({ compressionType: 'zstd', compressionZstdLevel: -100 }), now).records!
  const slow = validateProducedRecords(produced(0, 200), config({ compressionType: 'zstd', compressionZstdLevel: 19 }), now).records!
  t.ok(fast.length > slow.length, `zstd -100 (${fast.length} B) larger than 19 (${slow.length} B)`)
  const g1 = validateProducedRecords(produced(0, 200), config({ compressionType: 'gzip', compressionGzipLevel: 1 }), now).records!
  const g9 = validateProducedRecords(produced(0, 200), config({ compressionType: 'gzip', compressionGzipLevel: 9 }), now).records!
  t.ok(g1.length > g9.length, `gzip 1 (${g1.length} B) larger than 9 (${g9.length} B)`)
})

t.test('a rebuilt batch over max.message.bytes is MESSAGE_TOO_LARGE, as UnifiedLog checks it again', async (t) => {
  const batch = produced(Compression.ZSTD, 200)
  const r = validateProducedRecords(batch, config({ compressionType: 'uncompressed', maxMessageBytes: batch.length + 100 }), now, 'big-3')
  t.equal(r.error, ErrorCode.MESSAGE_TOO_LARGE)
  t.match(r.message, /^Message batch size is \d+ bytes in append topartition big-3 which exceeds the maximum configured size of \d+\.$/)
})

t.test('compacted topics refuse records without a key, one record error each', async (t) => {
  const batch = (keys: Array<Buffer | null>, timestamps?: number[]) => buildRecordBatch({ records: keys.map((key, i) => ({ key, value: Buffer.from('v'), timestamp: timestamps?.[i] ?? now })) })
  for (const policy of ['compact', 'compact,delete', 'delete,compact']) {
    const r = validateProducedRecords(batch([Buffer.from('a'), null, Buffer.alloc(0), null]), config({ cleanupPolicy: policy }), now, 'orders-2')
    t.equal(r.error, ErrorCode.INVALID_RECORD, `${policy}: INVALID_RECORD`)
    const message = 'Compacted topic cannot accept message without key in topic partition orders-2'
    t.same(r.recordErrors, [{ batchIndex: 1, message }, { batchIndex: 3, message }], 'the null keys, not the empty one')
    t.equal(r.message, `One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${message}'), RecordError(batchIndex=3, message='${message}')]`)
  }
  const many = validateProducedRecords(batch([null, null, null, null, null]), config({ cleanupPolicy: 'compact' }), now, 'x-0')
  t.equal(many.recordErrors!.length, 5)
  t.match(many.message, /due to 5 record errors in total.*\[RecordError\(batchIndex=0, .*RecordError\(batchIndex=2, [^\]]*\]$/)
  t.notMatch(many.message, /batchIndex=3/, 'only the first three in the message')
  t.equal(validateProducedRecords(batch([null]), config({ cleanupPolicy: 'delete' }), now).error, 0, 'delete topics take keyless records')
  t.equal(validateProducedRecords(batch([null]), config({ cleanupPolicy: 'compact', messageTimestampType: 'LogAppendTime' }), now).error, ErrorCode.INVALID_RECORD, 'LogAppendTime topics check keys too')
  for (const codec of [1, 2, 3, 4]) {
    const b = buildRecordBatch({ compression: codec, records: [{ key: Buffer.from('k'), value: null }, { key: null, value: Buffer.from('v') }] })
    t.same(validateProducedRecords(b, config({ cleanupPolicy: 'compact' }), now, 'c-0').recordErrors!.map((e) => e.batchIndex), [1], `codec ${codec}: found inside the compressed body`)
  }
  const mixed = validateProducedRecords(batch([null, Buffer.from('k')], [now, now + 10 * 3_600_000]), config({ cleanupPolicy: 'compact' }), now, 'm-0')
  t.equal(mixed.error, ErrorCode.INVALID_TIMESTAMP, 'a timestamp error among them makes it INVALID_TIMESTAMP (processRecordErrors)')
  t.same(mixed.recordErrors!.map((e) => e.batchIndex), [0, 1])
  t.match(mixed.recordErrors![0]!.message, /without key/)
})

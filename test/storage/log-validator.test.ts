import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import {
  ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, RECORDS_OFFSET, RECORD_COUNT_OFFSET,
  isCrcValid, readInt64, setBaseOffset, updateBatchCrc,
} from '../../protocol/records/record-batch.ts'
import { batchWithBody, field, rawRecord } from '../helpers/raw-records.ts'
import { validateProducedRecords } from '../../storage/log-validator.ts'
import { config, makeBatch } from './helpers.ts'

const cfg = config()

function patched(edit: (b: Buffer) => void, fixCrc = true): Buffer {
  const b = makeBatch({ records: 3 })
  edit(b)
  if (fixCrc) updateBatchCrc(b, 0)
  return b
}

t.test('a well-formed batch passes', async (t) => {
  t.same(validateProducedRecords(makeBatch({ records: 5 }), cfg), { error: 0 })
  t.same(validateProducedRecords(buildRecordBatch({ records: [{ value: Buffer.from('x') }], producerId: 5, producerEpoch: 0, baseSequence: 0 }), cfg), { error: 0 })
  t.same(validateProducedRecords(buildRecordBatch({ records: [{ value: Buffer.from('x') }], isTransactional: true, producerId: 5, producerEpoch: 0, baseSequence: 0 }), cfg), { error: 0 })
  for (const compression of [1, 4]) t.same(validateProducedRecords(makeBatch({ records: 5, compression }), cfg), { error: 0 }, `codec ${compression}: opened and accepted`)
})

t.test('error codes', async (t) => {
  const one = makeBatch({ records: 2 })
  const cases: [string, Buffer, number][] = [
    ['empty payload', Buffer.alloc(0), ErrorCode.INVALID_RECORD],
    ['fewer bytes than a batch prelude', one.subarray(0, 10), ErrorCode.CORRUPT_MESSAGE],
    ['truncated batch', one.subarray(0, one.length - 1), ErrorCode.CORRUPT_MESSAGE],
    ['two batches', Buffer.concat([makeBatch(), makeBatch()]), ErrorCode.INVALID_RECORD],
    ['trailing partial bytes', Buffer.concat([makeBatch(), Buffer.from([1, 2, 3])]), ErrorCode.CORRUPT_MESSAGE],
    ['trailing partial second batch', Buffer.concat([makeBatch(), makeBatch().subarray(0, 30)]), ErrorCode.CORRUPT_MESSAGE],
    ['magic 1', patched((b) => b.writeInt8(1, MAGIC_OFFSET), false), ErrorCode.INVALID_RECORD],
    ['magic 0', patched((b) => b.writeInt8(0, MAGIC_OFFSET), false), ErrorCode.INVALID_RECORD],
    ['magic 3', patched((b) => b.writeInt8(3, MAGIC_OFFSET), false), ErrorCode.CORRUPT_MESSAGE],
    ['batch length below the minimum', patched((b) => b.writeInt32BE(5, 8), false), ErrorCode.CORRUPT_MESSAGE],
    ['bad CRC', patched((b) => { b[b.length - 1]! ^= 0xff }, false), ErrorCode.CORRUPT_MESSAGE],
    ['non-zero base offset', patched((b) => setBaseOffset(b, 0, 5)), ErrorCode.INVALID_RECORD],
    ['lastOffsetDelta + 1 != recordCount', patched((b) => b.writeInt32BE(5, LAST_OFFSET_DELTA_OFFSET)), ErrorCode.INVALID_RECORD],
    ['zero records', patched((b) => { b.writeInt32BE(-1, LAST_OFFSET_DELTA_OFFSET); b.writeInt32BE(0, RECORD_COUNT_OFFSET) }), ErrorCode.INVALID_RECORD],
    ['control batch', buildRecordBatch({ records: [{ key: Buffer.alloc(4), value: Buffer.alloc(6) }], isControl: true, isTransactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 }), ErrorCode.INVALID_RECORD],
    ['producer id without sequence', buildRecordBatch({ records: [{ value: Buffer.from('x') }], producerId: 9, producerEpoch: 0, baseSequence: -1 }), ErrorCode.INVALID_RECORD],
    ['unknown compression codec 5', patched((b) => b.writeInt16BE(5, ATTRIBUTES_OFFSET)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
    ['unknown compression codec 7', patched((b) => b.writeInt16BE(7, ATTRIBUTES_OFFSET)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
  ]
  for (const [name, records, code] of cases) {
    const r = validateProducedRecords(records, cfg)
    t.equal(r.error, code, name)
    t.type(r.message, 'string', `${name} explains`)
  }
})

t.test('max.message.bytes', async (t) => {
  const b = makeBatch({ records: 1, valueBytes: 1000 })
  t.equal(validateProducedRecords(b, { ...cfg, maxMessageBytes: b.length }).error, 0, 'exactly at the limit')
  t.equal(validateProducedRecords(b, { ...cfg, maxMessageBytes: b.length - 1 }).error, ErrorCode.MESSAGE_TOO_LARGE)
})

t.test('checks come in Kafka order: size before CRC, CRC before count', async (t) => {
  const b = patched((x) => {
    x.writeInt32BE(9, LAST_OFFSET_DELTA_OFFSET)
    x.writeInt32BE(-1, BASE_SEQUENCE_OFFSET)
  }, false)
  t.equal(validateProducedRecords(b, { ...cfg, maxMessageBytes: 10 }).error, ErrorCode.MESSAGE_TOO_LARGE)
  t.equal(validateProducedRecords(b, cfg).error, ErrorCode.CORRUPT_MESSAGE)
  updateBatchCrc(b, 0)
  t.equal(validateProducedRecords(b, cfg).error, ErrorCode.INVALID_RECORD)
})

const bad: Array<[string, Buffer, number]> = [
  ['a key length of -5', Buffer.concat([rawRecord({}, 0), rawRecord({ keyLength: -5, key: Buffer.alloc(0) }, 1)]), 2],
  ['a value length past the end of the batch', rawRecord({ valueLength: 500 }, 0), 1],
  ['a header count of -3', rawRecord({ headerCount: -3 }, 0), 1],
  ['a header count of 1e9', rawRecord({ headerCount: 1e9 }, 0), 1],
  ['a header key length of -1', rawRecord({ headerCount: 1, headers: Buffer.concat([field(-1), field(1), Buffer.from('v')]) }, 0), 1],
  ['a record length one too long', rawRecord({ lengthSkew: 1 }, 0), 1],
  ['a record length one too short', rawRecord({ lengthSkew: -1 }, 0), 1],
  ['trailing bytes after the last record', Buffer.concat([rawRecord({}, 0), Buffer.from([0, 0, 0])]), 1],
  ['fewer records than the count says', rawRecord({}, 0), 2],
  ['an offset delta out of sequence', Buffer.concat([rawRecord({}, 0), rawRecord({ offsetDelta: 5 }, 1)]), 2],
  ['a length varint running off the end', Buffer.from([0xff, 0xff]), 1],
]

t.test('malformed records inside a batch with a valid CRC: INVALID_RECORD, for every codec', async (t) => {
  for (const codec of [0, 1, 2, 3, 4]) {
    for (const [name, body, count] of bad) {
      const r = validateProducedRecords(batchWithBody(body, count, codec), cfg)
      t.equal(r.error, ErrorCode.INVALID_RECORD, `codec ${codec}: ${name}`)
      t.type(r.message, 'string')
    }
    const good = batchWithBody(Buffer.concat([rawRecord({}, 0), rawRecord({ keyLength: -1, key: Buffer.alloc(0), headerCount: 1, headers: Buffer.concat([field(1), Buffer.from('h'), field(-1)]) }, 1)]), 2, codec)
    t.same(validateProducedRecords(good, cfg), { error: 0 }, `codec ${codec}: null key, a header with a null value: fine`)
  }
})

t.test('a compressed payload that does not decompress: CORRUPT_MESSAGE', async (t) => {
  for (const codec of [1, 2, 3, 4]) {
    const b = batchWithBody(rawRecord({}, 0), 1, codec)
    b.fill(0xff, RECORDS_OFFSET, RECORDS_OFFSET + 8)
    updateBatchCrc(b, 0)
    t.equal(validateProducedRecords(b, cfg).error, ErrorCode.CORRUPT_MESSAGE, `codec ${codec}`)
  }
})

t.test('CreateTime timestamps outside message.timestamp.before/after.max.ms: INVALID_TIMESTAMP with record errors', async (t) => {
  const now = 1_700_000_000_000
  const bounded = { ...cfg, messageTimestampBeforeMaxMs: 60_000, messageTimestampAfterMaxMs: 60_000 }
  const body = Buffer.concat([rawRecord({ timestampDelta: 0 }, 0), rawRecord({ timestampDelta: 120_000 }, 1), rawRecord({ timestampDelta: -120_000 }, 2)])
  const r = validateProducedRecords(batchWithBody(body, 3, 0, now), bounded, now)
  t.equal(r.error, ErrorCode.INVALID_TIMESTAMP)
  t.same(r.recordErrors?.map((e) => e.batchIndex), [1, 2], 'one record error per record out of range')
  t.match(r.recordErrors?.[0]?.message, /Timestamp 1700000120000 of message with offset 1 is out of range/)
  t.same(validateProducedRecords(batchWithBody(body, 3, 0, now), { ...bounded, messageTimestampType: 'LogAppendTime' }, now), { error: 0 }, 'LogAppendTime topics do not check')
  t.same(validateProducedRecords(batchWithBody(rawRecord({}, 0), 1, 0, now + 3_000_000), cfg, now), { error: 0 }, 'Kafka 4 defaults: 50 minutes ahead is fine')
  t.equal(validateProducedRecords(batchWithBody(rawRecord({}, 0), 1, 0, now + 4_000_000), cfg, now).error, ErrorCode.INVALID_TIMESTAMP, 'more than an hour ahead is not')
})

t.test('a wrong maxTimestamp is set from the records, as Kafka does', async (t) => {
  const now = 1_700_000_000_000
  const b = batchWithBody(Buffer.concat([rawRecord({ timestampDelta: 0 }, 0), rawRecord({ timestampDelta: 50 }, 1)]), 2, 0, now)
  t.equal(validateProducedRecords(b, cfg, now).error, 0)
  t.equal(readInt64(b, MAX_TIMESTAMP_OFFSET), now + 50, 'maxTimestamp is the largest record timestamp')
  t.ok(isCrcValid(b, 0), 'and the CRC still matches')
})

t.test('a decompression bomb is refused without inflating it', async (t) => {
  const { MAX_DECOMPRESSED_BYTES } = await import('../../protocol/records/compression.ts')
  const batch = batchWithBody(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1024 * 1024), 1, 1)
  const before = process.memoryUsage().arrayBuffers
  const r = validateProducedRecords(batch, { ...cfg, maxMessageBytes: 64 * 1024 * 1024 })
  t.equal(r.error, ErrorCode.CORRUPT_MESSAGE, `${(batch.length / 1024).toFixed(0)} KiB that would inflate past ${MAX_DECOMPRESSED_BYTES / 1024 / 1024} MiB`)
  t.ok(process.memoryUsage().arrayBuffers - before < MAX_DECOMPRESSED_BYTES * 2, 'memory stays bounded')
})

t.test('an lz4 frame that could inflate past the limit is refused before it is decompressed', async (t) => {
  const { MAX_DECOMPRESSED_BYTES } = await import('../../protocol/records/compression.ts')
  const batch = batchWithBody(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 4 * 1024 * 1024), 1, 3)
  const before = process.memoryUsage().arrayBuffers
  const r = validateProducedRecords(batch, { ...cfg, maxMessageBytes: 64 * 1024 * 1024 })
  t.equal(r.error, ErrorCode.CORRUPT_MESSAGE, `${(batch.length / 1024).toFixed(0)} KiB of lz4: CORRUPT_MESSAGE`)
  t.match(r.message, /limit/)
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'without inflating it')
  t.same(validateProducedRecords(buildRecordBatch({ records: [{ value: Buffer.alloc(300_000, 1) }], compression: 3 }), cfg), { error: 0 }, 'an ordinary lz4 batch still passes')
})

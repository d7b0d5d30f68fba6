import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import {
  ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORD_COUNT_OFFSET, setBaseOffset, updateBatchCrc,
} from '../../protocol/records/record-batch.ts'
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
  t.same(validateProducedRecords(makeBatch({ records: 5, compression: 1 }), cfg), { error: 0 }, 'compressed batches are not opened')
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
  t.equal(validateProducedRecords(b, { maxMessageBytes: b.length }).error, 0, 'exactly at the limit')
  t.equal(validateProducedRecords(b, { maxMessageBytes: b.length - 1 }).error, ErrorCode.MESSAGE_TOO_LARGE)
})

t.test('checks come in Kafka order: size before CRC, CRC before count', async (t) => {
  const b = patched((x) => {
    x.writeInt32BE(9, LAST_OFFSET_DELTA_OFFSET)
    x.writeInt32BE(-1, BASE_SEQUENCE_OFFSET)
  }, false)
  t.equal(validateProducedRecords(b, { maxMessageBytes: 10 }).error, ErrorCode.MESSAGE_TOO_LARGE)
  t.equal(validateProducedRecords(b, cfg).error, ErrorCode.CORRUPT_MESSAGE)
  updateBatchCrc(b, 0)
  t.equal(validateProducedRecords(b, cfg).error, ErrorCode.INVALID_RECORD)
})

import t from 'tap'
import { ErrorCode, errorName } from '../../protocol/error-codes.ts'

t.test('codes are Kafka numbers', async (t) => {
  t.equal(ErrorCode.NONE, 0)
  t.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1)
  t.equal(ErrorCode.OFFSET_OUT_OF_RANGE, 1)
  t.equal(ErrorCode.CORRUPT_MESSAGE, 2)
  t.equal(ErrorCode.MESSAGE_TOO_LARGE, 10)
  t.equal(ErrorCode.INVALID_CONFIG, 40)
  t.equal(ErrorCode.KAFKA_STORAGE_ERROR, 56)
  t.equal(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 76)
  t.equal(ErrorCode.INVALID_RECORD, 87)
  t.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100)
  t.equal(ErrorCode.TRANSACTION_ABORTABLE, 120)
  const values = Object.values(ErrorCode)
  t.equal(new Set(values).size, values.length, 'no code used twice')
})

t.test('errorName', async (t) => {
  t.equal(errorName(87), 'INVALID_RECORD')
  t.equal(errorName(-1), 'UNKNOWN_SERVER_ERROR')
  t.equal(errorName(9999), 'UNKNOWN_ERROR_CODE_9999')
})

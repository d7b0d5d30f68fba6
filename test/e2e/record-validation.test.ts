// Issue 8, defect 1: batches whose CRC is right but whose records are malformed were
// stored, and kcat then stalled on the partition without an error. Every record is now
// parsed on append (after decompression), the batch is refused with Kafka's error, and
// consumers read the partition to its end.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, produceRequest } from '../helpers/wire-requests.ts'
import { batchWithBody, field, rawRecord } from '../helpers/raw-records.ts'
import { run } from '../helpers/external.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'

t.test('malformed records are refused on the wire and consumers are not stalled', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'validated')
  const send = async (records: Buffer, version = 9) => (await c.request<ProduceResponse>(0, version, produceRequest([{ topic: 'validated', partition: 0, records }]))).responses[0]!.partitionResponses[0]!

  t.equal((await send(batchOf(['good-0']))).errorCode, 0)
  const malformed: Array<[string, Buffer, number]> = [
    ['key length -5', rawRecord({ keyLength: -5, key: Buffer.alloc(0) }, 0), 1],
    ['value past the end', rawRecord({ valueLength: 900 }, 0), 1],
    ['header count 1e9', rawRecord({ headerCount: 1e9 }, 0), 1],
    ['header key length -1', rawRecord({ headerCount: 1, headers: Buffer.concat([field(-1), field(-1)]) }, 0), 1],
    ['trailing bytes', Buffer.concat([rawRecord({}, 0), Buffer.from([7])]), 1],
  ]
  for (const codec of [0, 1, 3]) {
    for (const [name, body, count] of malformed) {
      const r = await send(batchWithBody(body, count, codec))
      t.equal(r.errorCode, ErrorCode.INVALID_RECORD, `codec ${codec}, ${name}: INVALID_RECORD`)
      t.type(r.errorMessage, 'string', 'with a reason')
    }
  }
  const future = batchWithBody(Buffer.concat([rawRecord({}, 0), rawRecord({ timestampDelta: 10 * 3_600_000 }, 1)]), 2, 0)
  const late = await send(future)
  t.equal(late.errorCode, ErrorCode.INVALID_TIMESTAMP, 'a record ten hours ahead: INVALID_TIMESTAMP')
  t.same(late.recordErrors.map((e) => e.batchIndex), [1], 'naming the record (Produce v8+)')
  t.equal((await send(batchOf(['good-1']))).errorCode, 0, 'the partition still takes good batches')

  // A consumer reads to the end: only the two good records were stored.
  const r = await run('kcat', ['-b', `127.0.0.1:${broker.port}`, '-C', '-t', 'validated', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o:%s\n'], { timeoutMs: 30_000 })
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), ['0:good-0', '1:good-1'], 'kcat reads both and reaches the end')
})

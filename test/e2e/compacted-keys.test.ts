// Records without a key produced to a compacted topic (issue 14), as Kafka's
// LogValidator.validateKey refuses them: INVALID_RECORD with one record error per keyless
// record (Produce v8+) and Kafka's message, nothing of the batch stored, and the producer
// carries on on the same connection. Seen on the raw wire, by kafkajs and by
// confluent-kafka.

import t from 'tap'
import kafkajs from 'kafkajs'
import { memoryBroker } from '../helpers/broker.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic, fetchOne, produce, splitBatches } from '../helpers/wire-requests.ts'
import { buildRecordBatch, decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const { Kafka, CompressionTypes, logLevel } = kafkajs

const keyless = (topic: string): string => `Compacted topic cannot accept message without key in topic partition ${topic}`

t.test('raw Produce: INVALID_RECORD with record errors, nothing stored, the next keyed batch is taken', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'table', 2, { 'cleanup.policy': 'compact' })
  await createTopic(c, 'table-both', 1, { 'cleanup.policy': 'compact,delete' })

  t.equal((await produce(c, 'table', 1, buildRecordBatch({ records: [{ key: Buffer.from('a'), value: Buffer.from('1') }] }))).errorCode, 0)
  for (const compression of [0, 1, 3]) {
    const batch = buildRecordBatch({ compression, records: [{ key: Buffer.from('b'), value: Buffer.from('2') }, { key: null, value: Buffer.from('no key') }, { key: Buffer.alloc(0), value: Buffer.from('empty key') }] })
    const r = await produce(c, 'table', 1, batch, 9)
    t.equal(r.errorCode, ErrorCode.INVALID_RECORD, `codec ${compression}: INVALID_RECORD`)
    t.same(r.recordErrors, [{ batchIndex: 1, batchIndexErrorMessage: keyless('table-1') }], 'one record error, for the null key (an empty key is a key)')
    t.equal(r.errorMessage, `One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${keyless('table-1')}')]`)
    t.equal(r.baseOffset, -1)
  }
  const v7 = await produce(c, 'table-both', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }), 7)
  t.equal(v7.errorCode, ErrorCode.INVALID_RECORD, 'Produce v7 (no record errors in the schema): INVALID_RECORD; compact,delete counts as compacted')

  const after = await fetchOne(c, 'table', 1, 0)
  t.equal(Number(after.highWatermark), 1, 'nothing of the refused batches was stored')
  const next = await produce(c, 'table', 1, buildRecordBatch({ records: [{ key: Buffer.from('c'), value: Buffer.from('3') }] }))
  t.same([next.errorCode, Number(next.baseOffset)], [0, 1], 'the next keyed batch on the same connection lands at offset 1')
  const stored = splitBatches((await fetchOne(c, 'table', 1, 0)).records).flatMap((b) => decodeRecords(b))
  t.same(stored.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]), [[0, 'a', '1'], [1, 'c', '3']])

  await createTopic(c, 'plain', 1)
  t.equal((await produce(c, 'plain', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }))).errorCode, 0, 'a delete topic takes keyless records')
})

t.test('kafkajs and confluent-kafka see INVALID_RECORD and keep producing', async (t) => {
  const broker = await memoryBroker(t)
  const bootstrap = `127.0.0.1:${broker.port}`
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'kjs-table', 1, { 'cleanup.policy': 'compact' })
  await createTopic(c, 'py-table', 1, { 'cleanup.policy': 'compact' })

  const kafka = new Kafka({ clientId: 'keys-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const err = await producer.send({ topic: 'kjs-table', compression, messages: [{ key: 'k', value: 'kept?' }, { value: 'no key' }] }).then(() => null, (e: unknown) => e as { name: string; type?: string; retriable?: boolean; cause?: { type?: string } })
    t.ok(err !== null, `codec ${compression}: the send fails`)
    t.equal(err?.type ?? err?.cause?.type, 'INVALID_RECORD', `kafkajs names INVALID_RECORD (${err?.name})`)
  }
  const ok = await producer.send({ topic: 'kjs-table', messages: [{ key: 'k1', value: 'v1' }] })
  t.same([ok[0]!.errorCode, ok[0]!.baseOffset], [0, '0'], 'the same producer goes on: its next keyed record is offset 0 (nothing was stored before)')

  const py = await run(systemPython, ['-c', `
import json, sys
from confluent_kafka import Producer, KafkaError
p = Producer({'bootstrap.servers': sys.argv[1], 'linger.ms': 0})
out = []
def report(err, msg):
    out.append(None if err is None else [err.code() == KafkaError.INVALID_RECORD, err.str()])
p.produce('py-table', partition=0, value=b'no key', on_delivery=report)
p.flush(30)
p.produce('py-table', partition=0, key=b'k', value=b'with key', on_delivery=report)
p.flush(30)
print(json.dumps({'reports': out}))
`, bootstrap], { timeoutMs: 60_000 })
  t.equal(py.code, 0, py.stderr)
  const reports = lastJsonLine(py.stdout).reports
  t.equal(reports[0]?.[0], true, `confluent-kafka: the keyless record fails with INVALID_RECORD (${reports[0]?.[1]})`)
  t.equal(reports[1], null, 'and the keyed one after it is delivered')
  const hw = await fetchOne(c, 'py-table', 0, 0)
  t.equal(Number(hw.highWatermark), 1, 'only the keyed record is stored')
})

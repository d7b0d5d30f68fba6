// Hostile and broken input. Each case gets Kafka's error code or a closed connection with
// a log line naming the problem, while a well-behaved kafkajs client on the same broker
// keeps producing and consuming unaffected.

import t from 'tap'
import { pino } from 'pino'
import { startBroker } from '../../src/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { kafkaClient, fetchAll } from '../helpers/kafkajs-fetch.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

t.test('bad input is refused without disturbing a well-behaved client', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) })
  const maxRequestBytes = 1 << 20
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, maxRequestBytes }, { logger })
  t.teardown(() => broker.close())
  const logged = (re: RegExp): boolean => lines.some((l) => re.test(l))

  // The well-behaved client runs during every bad case below.
  const kafka = kafkaClient(broker.port, 'good-client')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'good', numPartitions: 1 }, { topic: 'target', numPartitions: 1 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  let sent = 0
  let goodErrors = 0
  let stop = false
  const goodLoad = (async () => {
    while (!stop) {
      try {
        await producer.send({ topic: 'good', acks: -1, messages: [{ partition: 0, value: `good-${sent}` }] })
        sent++
      } catch {
        goodErrors++
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  })()

  await t.test('garbage bytes close the connection', async (t) => {
    const c = await RawClient.connect(broker.port)
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    t.equal(await c.nextFrame(), null, 'no response, connection closed')
    t.ok(logged(/exceeds the maximum request size/), 'logged')
  })

  await t.test('a frame above the maximum size closes the connection', async (t) => {
    const c = await RawClient.connect(broker.port)
    const head = Buffer.alloc(4)
    head.writeInt32BE(maxRequestBytes + 1)
    c.write(head)
    t.equal(await c.nextFrame(), null, 'closed before the body is even sent')
    t.ok(logged(new RegExp(`frame of ${maxRequestBytes + 1} bytes exceeds`)), 'logged with the size')
  })

  await t.test('a truncated frame is logged when the client goes away', async (t) => {
    const c = await RawClient.connect(broker.port)
    const full = c.frameFor(3, 1, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    c.write(full.subarray(0, full.length - 3))
    t.equal(await c.nextFrame(300), null, 'no answer to half a request')
    c.socket.end()
    await c.closed
    for (let i = 0; i < 50 && !logged(/in the middle of a request frame/); i++) await new Promise((r) => setTimeout(r, 10))
    t.ok(logged(/in the middle of a request frame/), 'logged')
  })

  await t.test('an unknown API key closes the connection', async (t) => {
    const c = await RawClient.connect(broker.port)
    const frame = Buffer.alloc(4 + 10 + 2)
    frame.writeInt32BE(12, 0)
    frame.writeInt16BE(999, 4) // api key
    frame.writeInt16BE(0, 6)
    frame.writeInt32BE(7, 8)
    frame.writeInt16BE(-1, 12) // null client id
    c.write(frame)
    t.equal(await c.nextFrame(), null)
    t.ok(logged(/unknown API key 999/), 'logged')
  })

  await t.test('an unsupported version: ApiVersions answers v0 with UNSUPPORTED_VERSION, others close', async (t) => {
    const c = await RawClient.connect(broker.port)
    const frame = Buffer.alloc(4 + 10 + 2)
    frame.writeInt32BE(12, 0)
    frame.writeInt16BE(18, 4)
    frame.writeInt16BE(99, 6)
    frame.writeInt32BE(42, 8)
    frame.writeInt16BE(-1, 12)
    c.write(frame)
    const res = await c.nextFrame()
    t.ok(res !== null, 'ApiVersions v99 is answered')
    t.equal(res!.readInt32BE(0), 42, 'with its correlation id')
    t.equal(res!.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION, 'and error 35 in a v0 body')
    const keys = res!.readInt32BE(6)
    const entries = Array.from({ length: keys }, (_, i) => res!.readInt16BE(10 + i * 6))
    t.ok(entries.includes(18), 'listing the ApiVersions range')

    const fetchV3 = Buffer.alloc(4 + 10 + 2)
    fetchV3.writeInt32BE(12, 0)
    fetchV3.writeInt16BE(1, 4)
    fetchV3.writeInt16BE(3, 6)
    fetchV3.writeInt32BE(43, 8)
    fetchV3.writeInt16BE(-1, 12)
    c.write(fetchV3)
    t.equal(await c.nextFrame(), null, 'Fetch v3 (not served) closes the connection')
    t.ok(logged(/unsupported version 3 of Fetch/), 'logged')

    const c2 = await RawClient.connect(broker.port)
    const produceV2 = await c2.request(0, 2, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'target', partitionData: [{ index: 0, records: Buffer.alloc(10) }] }] })
    t.equal(produceV2.responses[0].partitionResponses[0].errorCode, ErrorCode.UNSUPPORTED_VERSION, 'Produce v2 (listed for librdkafka) answers UNSUPPORTED_VERSION')
    c2.close()
  })

  await t.test('a malformed body closes the connection', async (t) => {
    const c = await RawClient.connect(broker.port)
    const good = c.frameFor(3, 1, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'good' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    const bad = Buffer.from(good)
    bad.writeInt32BE(1_000_000, 4 + 10 + 2 + 'raw-client'.length) // topic count far beyond the bytes present
    c.write(bad)
    t.equal(await c.nextFrame(), null)
    t.ok(logged(/malformed Metadata v1 request/), 'logged')
  })

  await t.test('batch-level errors come back as Kafka error codes', async (t) => {
    const c = await RawClient.connect(broker.port)
    t.teardown(() => c.close())
    const produce = (records: Buffer) =>
      c.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'target', partitionData: [{ index: 0, records }] }] })
    const batch = () => buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }, { value: Buffer.from('w') }] })

    const corrupt = batch()
    corrupt[corrupt.length - 1]! ^= 0xff
    let res = await produce(corrupt)
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE, 'wrong CRC: CORRUPT_MESSAGE')

    res = await produce(Buffer.concat([batch(), batch()]))
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD, 'two batches for one partition: INVALID_RECORD')

    const control = buildRecordBatch({ records: [{ value: Buffer.alloc(6) }], isControl: true, producerId: 1, producerEpoch: 0, baseSequence: 0 })
    res = await produce(control)
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD, 'control batch from a client: INVALID_RECORD')
    // Kafka checks the transactional flag before anything else: without a transactional id
    // the request is refused as unauthorised, whatever else is wrong with the batch.
    const txnControl = buildRecordBatch({ records: [{ value: Buffer.alloc(6) }], isControl: true, isTransactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 })
    res = await produce(txnControl)
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactional control batch without a transactional id')

    res = await c.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'nope', partitionData: [{ index: 0, records: batch() }] }] })
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic: UNKNOWN_TOPIC_OR_PARTITION')

    res = await produce(batch())
    t.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE, 'a good batch after all that is accepted')
    t.equal(res.responses[0].partitionResponses[0].baseOffset, 0, 'and nothing from the bad ones was appended')
  })

  stop = true
  await goodLoad
  await producer.disconnect()
  t.equal(goodErrors, 0, 'the well-behaved producer saw no errors')
  t.ok(sent > 10, `it kept producing throughout (${sent} messages)`)
  const got = await fetchAll(kafka, 'good', 1, sent)
  t.same(got.map((m) => m.value), Array.from({ length: sent }, (_, i) => `good-${i}`), 'and reads back everything it sent, in order')
})

// Fetch responses are read into buffers that go back to the shard for the next fetch once
// the response has been written. A client that does not read its response keeps that
// buffer out: other fetches meanwhile must not read into it, or the waiting response's
// unwritten bytes would change under it.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic, decodeFrame, fetch, fetchRequest, produce, roundTrip, splitBatches } from '../helpers/wire-requests.ts'
import { buildRecordBatch, decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { isCrcValid } from '../../protocol/records/record-batch.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'

const TOPIC = 'held'
// Far more than loopback buffers hold for a client that reads nothing (a socket's receive
// buffer only grows while its reader keeps up), so most of the response waits in the broker.
const BATCHES = 24
const VALUE = 512 * 1024
const LIMIT = 16 << 20

function fill(partition: number): Buffer {
  return buildRecordBatch({ records: [{ value: Buffer.alloc(VALUE, partition === 0 ? 'a' : 'b') }] })
}

t.test('a response the client has not read yet keeps its bytes while other fetches run', async (t) => {
  const broker = await memoryBroker(t, { shards: 1 })
  const admin = await RawClient.connect(broker.port)
  t.teardown(() => admin.close())
  await createTopic(admin, TOPIC, 2)
  for (let i = 0; i < BATCHES; i++) {
    for (const p of [0, 1]) {
      const r = await produce(admin, TOPIC, p, fill(p))
      if (r.errorCode !== 0) throw new Error(`produce failed: ${r.errorCode}`)
    }
  }

  const slow = await RawClient.connect(broker.port)
  t.teardown(() => slow.close())
  slow.socket.pause()
  slow.write(slow.frameFor(1, 12, fetchRequest([{ topic: TOPIC, partition: 0, offset: 0, partitionMaxBytes: LIMIT }], { maxBytes: LIMIT }), 77))
  // The broker has read the slow client's fetch and sent its read to the shard.
  await roundTrip(admin)

  const other = await RawClient.connect(broker.port)
  t.teardown(() => other.close())
  for (let i = 0; i < 4; i++) {
    const res = await fetch(other, 12, [{ topic: TOPIC, partition: 1, offset: 0, partitionMaxBytes: LIMIT }], { maxBytes: LIMIT })
    t.equal(splitBatches(res.responses[0]!.partitions[0]!.records).length, BATCHES, `fetch ${i + 1} on another connection got partition 1 whole`)
  }

  slow.socket.resume()
  const frame = await slow.nextFrame()
  t.ok(frame !== null, 'the slow client gets its response')
  const res = decodeFrame<FetchResponse>(frame!, 1, 12)
  t.equal(res.correlationId, 77)
  const batches = splitBatches(res.body.responses[0]!.partitions[0]!.records)
  t.equal(batches.length, BATCHES, 'every batch of partition 0')
  t.ok(batches.every((b) => isCrcValid(b, 0)), 'every CRC still matches')
  const values = batches.flatMap((b) => decodeAllRecords(b).map((r) => r.value!))
  t.ok(values.every((v) => v.length === VALUE && v.every((x) => x === 0x61)), 'partition 0 bytes only, none of what the other fetches read')
})

// Fetch as a consumer sees it, over real sockets, at v4 (kafka-python, oldest served)
// and v12 (flexible): long polling, min_bytes, size limits, whole batches, errors, the
// offsets reported with every partition, and responses staying in request order.

import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { memoryBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, decodeFrame, fetch, fetchOne, fetchRequest, produce, roundTrip, splitBatches, ZERO_UUID } from '../helpers/wire-requests.ts'
import { batchBaseOffset, batchLastOffset, batchSize } from '../../protocol/records/record-batch.ts'
import { decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { defaultDeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import type { DeleteTopicsResponse } from '../../protocol/messages/delete-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const VERSIONS = [4, 12]

const values = (records: Buffer | null): string[] => (records === null ? [] : decodeAllRecords(records).map((r) => r.value!.toString()))

/** A broker on a ManualClock: a long poll's max_wait_ms passes only when the test advances it. */
async function clockBroker(t: Test, options: Record<string, unknown> = {}): Promise<{ broker: RunningBroker; clock: ManualClock }> {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', ...options }, { pollClock: clock })
  t.teardown(() => broker.close())
  return { broker, clock }
}

/**
 * Whether `pending` has settled once the broker has answered a request sent after it on
 * another connection (so the first request was read and is waiting, not in transit).
 */
async function settledAfterRoundTrip(pending: Promise<unknown>, other: RawClient): Promise<boolean> {
  let settled = false
  void pending.then(() => (settled = true), () => (settled = true))
  await roundTrip(other)
  return settled
}

t.test('long polling', async (t) => {
  const { broker, clock } = await clockBroker(t)
  const c = await RawClient.connect(broker.port)
  const c2 = await RawClient.connect(broker.port)
  t.teardown(() => {
    c.close()
    c2.close()
  })
  await createTopic(c, 'poll')
  await produce(c, 'poll', 0, batchOf(['a', 'b']))

  for (const v of VERSIONS) {
    await t.test(`v${v}: with nothing new, waits max_wait_ms and answers empty with the high watermark`, async (t) => {
      const hw = (await fetchOne(c, 'poll', 0, 0)).highWatermark
      const pending = fetch(c, v, [{ topic: 'poll', partition: 0, offset: hw }], { maxWaitMs: 300 })
      t.notOk(await settledAfterRoundTrip(pending, c2), 'not answered before max_wait_ms')
      clock.advance(299)
      t.notOk(await settledAfterRoundTrip(pending, c2), 'nor 1 ms before it')
      clock.advance(1)
      const p = (await pending).responses[0]!.partitions[0]!
      t.equal(p.errorCode, ErrorCode.NONE, 'answered at max_wait_ms')
      t.equal(p.records?.length ?? 0, 0, 'no records')
      t.equal(p.highWatermark, hw, 'high watermark')
      t.ok(hw >= 2)
    })

    await t.test(`v${v}: answers as soon as data arrives`, async (t) => {
      const hw = (await fetchOne(c, 'poll', 0, 0)).highWatermark
      const pending = fetch(c, v, [{ topic: 'poll', partition: 0, offset: hw }], { maxWaitMs: 5000 })
      t.notOk(await settledAfterRoundTrip(pending, c2), 'waits while there is nothing')
      await produce(c2, 'poll', 0, batchOf([`late-${v}`]))
      // The clock never moved: only the append can have ended the wait.
      const p = (await pending).responses[0]!.partitions[0]!
      t.same(values(p.records), [`late-${v}`], 'with the new batch')
      t.equal(p.highWatermark, hw + 1)
    })

    await t.test(`v${v}: min_bytes above one small batch waits for more data`, async (t) => {
      const hw = (await fetchOne(c, 'poll', 0, 0)).highWatermark
      const small = batchOf(['tiny'])
      const big = batchOf(['x'.repeat(3000)])

      // One small batch is not enough: the fetch runs to its deadline and returns it.
      let pending = fetch(c, v, [{ topic: 'poll', partition: 0, offset: hw }], { maxWaitMs: 800, minBytes: 2000 })
      await settledAfterRoundTrip(pending, c2)
      await produce(c2, 'poll', 0, small)
      t.notOk(await settledAfterRoundTrip(pending, c2), `a ${small.length}-byte batch does not satisfy min_bytes 2000`)
      clock.advance(800)
      let res = await pending
      t.same(values(res.responses[0]!.partitions[0]!.records), ['tiny'], 'at the deadline it returns what arrived')

      // A second, larger batch completes min_bytes and ends the wait early.
      pending = fetch(c, v, [{ topic: 'poll', partition: 0, offset: hw + 1 }], { maxWaitMs: 5000, minBytes: 2000 })
      await settledAfterRoundTrip(pending, c2)
      await produce(c2, 'poll', 0, small)
      t.notOk(await settledAfterRoundTrip(pending, c2), 'still waiting after the first small batch')
      await produce(c2, 'poll', 0, big)
      res = await pending
      t.same(values(res.responses[0]!.partitions[0]!.records), ['tiny', 'x'.repeat(3000)], 'both batches, before the deadline')
    })
  }
})

t.test('a client that disconnects during a long poll disturbs nothing', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) })
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2 }, { logger, pollClock: clock })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'gone')

  for (const v of VERSIONS) {
    const leaver = await RawClient.connect(broker.port)
    const pending = leaver.nextFrame(30_000)
    leaver.write(leaver.frameFor(1, v, fetchRequest([{ topic: 'gone', partition: 0, offset: 0 }], { maxWaitMs: 3000 })))
    await settledAfterRoundTrip(pending, c)
    leaver.close()
    await leaver.closed
  }

  const other = await RawClient.connect(broker.port)
  t.teardown(() => other.close())
  const pending = fetch(other, 12, [{ topic: 'gone', partition: 0, offset: 0 }], { maxWaitMs: 3000 })
  await settledAfterRoundTrip(pending, c)
  t.equal((await produce(c, 'gone', 0, batchOf(['still here']))).errorCode, ErrorCode.NONE, 'produce still works')
  const res = await pending
  t.pass('another long poll is still woken by the append (the clock never moved)')
  t.same(values(res.responses[0]!.partitions[0]!.records), ['still here'])
  t.same(values((await fetchOne(c, 'gone', 0, 0, 4)).records), ['still here'], 'and a plain fetch reads it')
  const bad = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)
  t.same(bad, [], 'nothing logged at error level')
})

t.test('size limits and batch boundaries', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  await t.test('the first batch comes back whole even above partition_max_bytes and max_bytes', async (t) => {
    await createTopic(c, 'big')
    const big = batchOf(['y'.repeat(5000)])
    await produce(c, 'big', 0, big)
    await produce(c, 'big', 0, batchOf(['after']))
    for (const v of VERSIONS) {
      const res = await fetch(c, v, [{ topic: 'big', partition: 0, offset: 0, partitionMaxBytes: 100 }], { maxBytes: 100 })
      const batches = splitBatches(res.responses[0]!.partitions[0]!.records)
      t.ok(batches.length >= 1, `v${v}: one batch`)
      t.equal(batches[0]!.length, big.length, `v${v}: the whole ${big.length}-byte batch`)
      t.same(values(batches[0]!), ['y'.repeat(5000)])
    }
  })

  await t.test('a fetch offset inside a batch returns the whole batch holding it', async (t) => {
    await createTopic(c, 'mid')
    await produce(c, 'mid', 0, batchOf(['0', '1', '2', '3', '4']))
    await produce(c, 'mid', 0, batchOf(['5', '6', '7', '8', '9']))
    for (const v of VERSIONS) {
      for (const offset of [2, 7, 9]) {
        const p = await fetchOne(c, 'mid', 0, offset, v)
        const first = splitBatches(p.records)[0]!
        t.ok(batchBaseOffset(first) <= offset && offset <= batchLastOffset(first), `v${v} offset ${offset}: batch ${batchBaseOffset(first)}..${batchLastOffset(first)} holds it`)
        t.equal(batchBaseOffset(first), offset < 5 ? 0 : 5)
      }
    }
  })

  await t.test('max_bytes bounds the response across partitions, except the first non-empty one', async (t) => {
    await createTopic(c, 'multi', 3)
    const kb = (tag: string): Buffer => batchOf([tag.repeat(1000)])
    const b = kb('b')
    // Partition 0 stays empty; 1 and 2 hold two ~1 KB batches each.
    for (const p of [1, 2]) for (const tag of ['p', 'q']) await produce(c, 'multi', p, kb(tag))
    const all = [0, 1, 2].map((partition) => ({ topic: 'multi', partition, offset: 0 }))
    for (const v of VERSIONS) {
      let res = await fetch(c, v, all, { maxBytes: Math.floor(b.length * 1.5) })
      let sizes = res.responses[0]!.partitions.map((p) => p.records?.length ?? 0)
      t.equal(sizes[0], 0, `v${v}: partition 0 is empty`)
      t.ok(splitBatches(res.responses[0]!.partitions[1]!.records).length >= 1, `v${v}: partition 1, the first non-empty one, gets its first batch`)
      t.ok(sizes.reduce((a, s) => a + s, 0) <= Math.floor(b.length * 1.5), `v${v}: total ${sizes.join('+')} within max_bytes`)

      // A limit below one batch: only the first non-empty partition's first batch.
      res = await fetch(c, v, all, { maxBytes: 10 })
      sizes = res.responses[0]!.partitions.map((p) => p.records?.length ?? 0)
      t.same(sizes, [0, b.length, 0], `v${v}: exactly one whole batch, from partition 1`)

      // No limit to speak of: everything.
      res = await fetch(c, v, all, { maxBytes: 1 << 20 })
      t.same(res.responses[0]!.partitions.map((p) => splitBatches(p.records).length), [0, 2, 2], `v${v}: all four batches`)
    }
  })

  await t.test(
    'a later partition gets as many whole batches as fit in what max_bytes leaves',
    async (t) => {
      await createTopic(c, 'fill', 2)
      const one = batchOf(['f'.repeat(600)])
      await produce(c, 'fill', 0, one)
      await produce(c, 'fill', 1, batchOf(['g'.repeat(600)]))
      await produce(c, 'fill', 1, batchOf(['h'.repeat(600)]))
      // 2.5 batches of room: partition 0 takes one, partition 1 has room for one more whole batch.
      const res = await fetch(c, 12, [0, 1].map((partition) => ({ topic: 'fill', partition, offset: 0 })), { maxBytes: Math.floor(one.length * 2.5) })
      t.equal(splitBatches(res.responses[0]!.partitions[0]!.records).length, 1)
      t.same(values(splitBatches(res.responses[0]!.partitions[1]!.records)[0] ?? null), ['g'.repeat(600)], 'partition 1 returns its first batch')
    },
  )

  await t.test(
    'only the first non-empty partition may exceed partition_max_bytes',
    async (t) => {
      await createTopic(c, 'cap', 2)
      await produce(c, 'cap', 0, batchOf(['small']))
      await produce(c, 'cap', 1, batchOf(['z'.repeat(2000)]))
      const res = await fetch(c, 12, [0, 1].map((partition) => ({ topic: 'cap', partition, offset: 0, partitionMaxBytes: 1000 })))
      t.equal(splitBatches(res.responses[0]!.partitions[0]!.records).length, 1, 'partition 0 gets its batch')
      t.ok((res.responses[0]!.partitions[1]!.records?.length ?? 0) <= 1000, 'partition 1 stays within its 1000 bytes')
    },
  )
})

t.test('errors', async (t) => {
  const { broker } = await clockBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'errs', 2)
  await produce(c, 'errs', 0, batchOf(['a', 'b', 'c']))

  for (const v of VERSIONS) {
    await t.test(`v${v}`, async (t) => {
      let p = await fetchOne(c, 'errs', 0, 4, v)
      t.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'offset past the log end: OFFSET_OUT_OF_RANGE')
      t.equal(p.records?.length ?? 0, 0)
      p = await fetchOne(c, 'errs', 0, -5, v)
      t.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'negative offset: OFFSET_OUT_OF_RANGE')
      p = await fetchOne(c, 'errs', 0, 3, v)
      t.equal(p.errorCode, ErrorCode.NONE, 'the log end itself is fine')

      p = await fetchOne(c, 'nope', 0, 0, v)
      t.equal(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic')
      p = await fetchOne(c, 'errs', 2, 0, v)
      t.equal(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown partition')

      // An error answers at once, even with a long max_wait_ms (the clock never moves
      // here); the healthy partition still gets its data.
      const res = await fetch(c, v, [{ topic: 'errs', partition: 0, offset: 0 }, { topic: 'nope', partition: 0, offset: 0 }], { maxWaitMs: 3000, minBytes: 1 << 20 })
      t.pass('an error ends the long poll')
      t.same(values(res.responses[0]!.partitions[0]!.records), ['a', 'b', 'c'])
      t.equal(res.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    })
  }
})

t.test('offsets reported with every partition, sessions, and response order', async (t) => {
  const { broker, clock } = await clockBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'offs', 2)
  await produce(c, 'offs', 0, batchOf(['a', 'b', 'c']))
  await produce(c, 'offs', 0, batchOf(['d', 'e']))

  await t.test('high watermark, last stable offset and log start offset', async (t) => {
    for (const v of VERSIONS) {
      const res = await fetch(c, v, [0, 1].map((partition) => ({ topic: 'offs', partition, offset: 0 })))
      const [p0, p1] = res.responses[0]!.partitions
      t.equal(p0!.highWatermark, 5, `v${v}: partition 0 high watermark`)
      t.equal(p0!.lastStableOffset, 5, `v${v}: last stable offset = high watermark`)
      t.equal(p1!.highWatermark, 0, `v${v}: empty partition high watermark`)
      t.equal(p1!.lastStableOffset, 0, `v${v}: empty partition last stable offset`)
      t.same(p0!.abortedTransactions ?? [], [], `v${v}: no aborted transactions`)
      t.same(values(p0!.records), ['a', 'b', 'c', 'd', 'e'])
      if (v >= 5) {
        t.equal(p0!.logStartOffset, 0, `v${v}: log start offset`)
        t.equal(p1!.logStartOffset, 0)
      }
      if (v >= 7) {
        t.equal(res.errorCode, 0, `v${v}: top-level error code`)
        t.equal(res.sessionId, 0, `v${v}: session id 0 (epoch -1: sessionless)`)
      }
    }
  })

  // Sessions themselves: test/e2e/fetch-sessions.test.ts.
  await t.test('a full fetch that asks for a session gets one, and full data', async (t) => {
    const req = fetchRequest([{ topic: 'offs', partition: 0, offset: 0 }])
    req.sessionId = 0
    req.sessionEpoch = 0 // asks to create a session
    const res = await c.request<FetchResponse>(1, 12, req)
    t.equal(res.errorCode, 0)
    t.not(res.sessionId, 0, 'a session is created')
    t.same(values(res.responses[0]!.partitions[0]!.records), ['a', 'b', 'c', 'd', 'e'])
  })

  await t.test('a long poll is not overtaken by a later request on the same connection', async (t) => {
    for (const v of VERSIONS) {
      const p = await RawClient.connect(broker.port)
      t.teardown(() => p.close())
      const metadata = { ...defaultMetadataRequest(), topics: null }
      // Both waiters are registered up front: RawClient drops frames nobody waits for.
      const both = Promise.all([p.nextFrame(30_000), p.nextFrame(30_000)])
      p.write(Buffer.concat([
        p.frameFor(1, v, fetchRequest([{ topic: 'offs', partition: 1, offset: 0 }], { maxWaitMs: 400 }), 101),
        p.frameFor(3, v === 4 ? 1 : 12, metadata, 102),
      ]))
      t.notOk(await settledAfterRoundTrip(both, c), `v${v}: the metadata answer waits behind the long poll`)
      clock.advance(400)
      const [first, second] = await both
      t.ok(first !== null && second !== null, `v${v}: both answered once the poll's time is up`)
      const fetched = decodeFrame<FetchResponse>(first!, 1, v)
      t.equal(fetched.correlationId, 101, `v${v}: the fetch response comes first`)
      t.equal(fetched.body.responses[0]!.partitions[0]!.highWatermark, 0)
      const meta = decodeFrame<MetadataResponse>(second!, 3, v === 4 ? 1 : 12)
      t.equal(meta.correlationId, 102, `v${v}: then the metadata response`)
      t.ok(meta.body.topics.some((x) => x.name === 'offs'))
    }
  })

  await t.test('batches are served with the offsets they were given', async (t) => {
    const p = await fetchOne(c, 'offs', 0, 0)
    const batches = splitBatches(p.records)
    t.same(batches.map((b) => [batchBaseOffset(b), batchLastOffset(b)]), [[0, 2], [3, 4]])
    t.equal(batches.reduce((a, b) => a + batchSize(b), 0), p.records!.length, 'only whole batches')
  })
})

t.test(
  'a topic deleted during a long poll',
  async (t) => {
    const dataDir = tempDir(t)
    const { broker } = await clockBroker(t, { memory: false, dataDir, shards: 1 })
    const c = await RawClient.connect(broker.port)
    const poller = await RawClient.connect(broker.port)
    t.teardown(() => {
      c.close()
      poller.close()
    })
    await createTopic(c, 'doomed')
    await produce(c, 'doomed', 0, batchOf(['a']))
    const pending = fetch(poller, 12, [{ topic: 'doomed', partition: 0, offset: 1 }], { maxWaitMs: 3000 })
    t.notOk(await settledAfterRoundTrip(pending, c), 'the poll waits')
    const del = await c.request<DeleteTopicsResponse>(20, 6, { ...defaultDeleteTopicsRequest(), topics: [{ name: 'doomed', topicId: ZERO_UUID }] })
    t.equal(del.responses[0]!.errorCode, ErrorCode.NONE, 'deleted')
    const res = await pending
    t.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'the poll answers at once (the clock never moved), with UNKNOWN_TOPIC_OR_PARTITION')
    // A fetch after the deletion reaches the shards behind it: the directory must stay gone.
    t.equal((await fetchOne(c, 'doomed', 0, 0)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    t.notOk(existsSync(join(dataDir, 'doomed-0')), 'and the partition directory stays deleted')
  },
)

// Memory for requests grows with the bytes that arrive, not with what a frame header
// declares, and the request bytes buffered across all connections have a cap
// (queued.max.request.bytes): past it the broker stops reading new frames until
// memory is released, while everyone else keeps being served.

import t from 'tap'
import { connect, type Socket } from 'node:net'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, decodeFrame, fetchRequest, produce, produceRequest } from '../helpers/wire-requests.ts'
import { startBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import type { RunningBroker } from '../../src/broker.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'

const MiB = 1024 * 1024

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
}

/** Polls the broker's counters (no timing involved) until `ok` holds; bounded. */
async function until(broker: RunningBroker, ok: (s: ReturnType<RunningBroker['stats']>) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (ok(broker.stats())) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`never reached: ${what} (stats ${JSON.stringify(broker.stats())})`)
}

t.test('100 MiB frame headers with 16 bytes behind them cost almost nothing, and cap the queue', async (t) => {
  const broker = await memoryBroker(t, { maxRequestBytes: 100 * MiB, queuedMaxRequestBytes: 256 * MiB })
  const ok = await RawClient.connect(broker.port)
  t.teardown(() => ok.close())
  await createTopic(ok, 'calm')

  const before = process.memoryUsage().arrayBuffers
  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((s) => s.destroy()))
  for (let i = 0; i < 50; i++) {
    const s = await openSocket(broker.port)
    s.on('error', () => {})
    const header = Buffer.alloc(4 + 16)
    header.writeInt32BE(100 * MiB, 0)
    s.write(header)
    sockets.push(s)
  }
  // Two 100 MiB frames fit in 256 MiB; a third would not: 48 connections wait.
  await until(broker, (s) => s.connectionsWaitingForMemory === 48, '48 connections waiting for memory')
  const grown = process.memoryUsage().arrayBuffers - before
  t.ok(grown < 32 * MiB, `50 × 100 MiB declared, ${(grown / MiB).toFixed(1)} MiB allocated`)
  t.equal(broker.stats().queuedRequestBytes, 200 * MiB, 'the two admitted frames hold their declared size in the budget')

  t.equal((await produce(ok, 'calm', 0, batchOf(['still served']))).errorCode, 0, 'a well-behaved client is still served')

  sockets[0]!.destroy()
  await until(broker, (s) => s.connectionsWaitingForMemory === 47, 'one waiting connection admitted after another left')
  for (const s of sockets) s.destroy()
  await until(broker, (s) => s.queuedRequestBytes === 0 && s.connectionsWaitingForMemory === 0, 'everything released once they are gone')
  t.pass('the budget is back to zero')
})

t.test('a frame that does not fit waits until the frame ahead of it is handled', async (t) => {
  const broker = await memoryBroker(t, { maxRequestBytes: MiB, queuedMaxRequestBytes: MiB })
  const setup = await RawClient.connect(broker.port)
  t.teardown(() => setup.close())
  await createTopic(setup, 'queued')
  const big = (tag: string): Buffer => batchOf([`${tag}:${'x'.repeat(600 * 1024)}`])

  const a = await RawClient.connect(broker.port)
  const b = await RawClient.connect(broker.port)
  t.teardown(() => a.close())
  t.teardown(() => b.close())
  const frameA = a.frameFor(0, 9, produceRequest([{ topic: 'queued', partition: 0, records: big('a') }]), 7)
  const frameB = b.frameFor(0, 9, produceRequest([{ topic: 'queued', partition: 0, records: big('b') }]), 8)

  const answerA = a.nextFrame(30_000)
  a.write(frameA.subarray(0, 300 * 1024))
  await until(broker, (s) => s.queuedRequestBytes >= 600 * 1024, 'A admitted')
  const answerB = b.nextFrame(30_000)
  let bAnswered = false
  void answerB.then(() => (bAnswered = true))
  b.write(frameB)
  await until(broker, (s) => s.connectionsWaitingForMemory === 1, 'B waiting for memory')
  t.notOk(bAnswered, 'B is not handled while A holds the budget')

  a.write(frameA.subarray(300 * 1024))
  const ra = decodeFrame<ProduceResponse>((await answerA)!, 0, 9).body.responses[0]!.partitionResponses[0]!
  const rb = decodeFrame<ProduceResponse>((await answerB)!, 0, 9).body.responses[0]!.partitionResponses[0]!
  t.same([ra.errorCode, ra.baseOffset, rb.errorCode, rb.baseOffset], [0, 0, 0, 1], 'A first, then B, both stored')
  await until(broker, (s) => s.queuedRequestBytes === 0 && s.connectionsWaitingForMemory === 0, 'budget released')
  t.pass('nothing left queued')
})

t.test('a connection with 256 requests outstanding stops reading, then answers everything in order', async (t) => {
  // Long polls on a ManualClock stay outstanding until the test advances it.
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent' }, { pollClock: clock })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'polled')

  const total = 300
  const answers: Array<Promise<Buffer | null>> = []
  for (let i = 0; i < total; i++) answers.push(c.nextFrame(60_000))
  const poll = fetchRequest([{ topic: 'polled', partition: 0, offset: 0 }], { maxWaitMs: 10_000 })
  c.write(Buffer.concat(Array.from({ length: total }, (_, i) => c.frameFor(1, 12, poll, 1000 + i))))
  await until(broker, (s) => s.connectionsAtRequestLimit === 1, 'the connection at its limit of outstanding requests')

  // Polls read after the connection resumes wait on the clock too: it moves on each turn
  // that brings no answer, until the answer comes (bounded).
  const settle = async (answer: Promise<Buffer | null>): Promise<Buffer | null> => {
    for (let turn = 0; turn < 20_000; turn++) {
      const frame = await Promise.race([answer, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))])
      if (frame !== undefined) return frame
      clock.advance(10_000)
    }
    return null
  }
  const ids: number[] = []
  for (const a of answers) {
    const frame = await settle(a)
    if (frame === null) break
    const { correlationId, body } = decodeFrame<FetchResponse>(frame, 1, 12)
    if (body.errorCode !== 0) t.fail(`poll ${correlationId} answered error ${body.errorCode}`)
    ids.push(correlationId)
  }
  t.same(ids, Array.from({ length: total }, (_, i) => 1000 + i), 'all 300 polls answered, in the order they were sent')
  await until(broker, (s) => s.connectionsAtRequestLimit === 0, 'reading again')
  t.pass('the connection reads again once its requests are answered')
})

t.test('queued.max.request.bytes below socket.request.max.bytes is a config error naming both', async (t) => {
  const { resolveBrokerOptions } = await import('../../src/config/broker-options.ts')
  t.throws(() => resolveBrokerOptions({ maxRequestBytes: 2 * MiB, queuedMaxRequestBytes: MiB }), /queued\.max\.request\.bytes.*socket\.request\.max\.bytes/)
  t.doesNotThrow(() => resolveBrokerOptions({ maxRequestBytes: 2 * MiB, queuedMaxRequestBytes: -1 }), '-1: no limit')
})

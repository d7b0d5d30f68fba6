// Memory for requests grows with the bytes that arrive, not with what a frame header
// declares, and the request bytes buffered across all connections have a cap
// (queued.max.request.bytes): past it the broker stops reading new frames until
// memory is released, while everyone else keeps being served.

import t from 'tap'
import { connect, type Socket } from 'node:net'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, decodeFrame, produce, produceRequest } from '../helpers/wire-requests.ts'
import type { RunningBroker } from '../../src/broker.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'

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

t.test('queued.max.request.bytes below socket.request.max.bytes is a config error naming both', async (t) => {
  const { resolveBrokerOptions } = await import('../../src/config/broker-options.ts')
  t.throws(() => resolveBrokerOptions({ maxRequestBytes: 2 * MiB, queuedMaxRequestBytes: MiB }), /queued\.max\.request\.bytes.*socket\.request\.max\.bytes/)
  t.doesNotThrow(() => resolveBrokerOptions({ maxRequestBytes: 2 * MiB, queuedMaxRequestBytes: -1 }), '-1: no limit')
})

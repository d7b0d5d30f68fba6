// Kafka's ordering rule for one producer connection: records of one partition are stored
// in the order their requests arrived, and responses leave in request order. The load
// that broke it: several large produce requests pipelined on one socket while the
// partition's shard is busy writing (the shard's queue then reordered tasks).

import t, { type Test } from 'tap'
import { memoryBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, decodeFrame, produceRequest } from '../helpers/wire-requests.ts'
import { readPartition } from '../helpers/partition-records.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'

const BIG = 300 * 1024

function bigValue(tag: string): string {
  return tag + ':' + 'x'.repeat(BIG - tag.length - 1)
}

/** Each stored record's offset and tag (the part of its value before ':'), in offset order. */
async function readAllValues(port: number, topic: string, partition: number): Promise<Array<{ offset: number; tag: string }>> {
  return (await readPartition(port, topic, partition, { valuePrefix: 16 })).map((r) => ({ offset: r.offset, tag: r.value!.split(':')[0]! }))
}

async function pipelinedProduce(t: Test, port: number, topic: string, partitions: number, requests: number): Promise<void> {
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  await createTopic(c, topic, partitions)

  // Every request carries one ≥ 256 KiB batch per partition; all are written before any answer is read.
  const frames: Buffer[] = []
  for (let i = 0; i < requests; i++) {
    const parts = Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, records: batchOf([bigValue(`m${i}`)]) }))
    frames.push(c.frameFor(0, 9, produceRequest(parts, 1), 100 + i))
  }
  const answers = frames.map(() => c.nextFrame(60_000))
  // One write per request, as a client writes each request when it is ready: they reach the
  // broker over several event-loop turns while the shard is still busy with the first ones.
  for (const f of frames) {
    c.write(f)
    await new Promise((resolve) => setImmediate(resolve))
  }

  const bases: number[][] = Array.from({ length: partitions }, () => [])
  for (let i = 0; i < requests; i++) {
    const frame = await answers[i]!
    if (frame === null) throw new Error(`no answer to request ${i}`)
    const res = decodeFrame<ProduceResponse>(frame, 0, 9)
    t.equal(res.correlationId, 100 + i, `answer ${i} leaves in request order`)
    for (const pr of res.body.responses[0]!.partitionResponses) {
      t.equal(pr.errorCode, 0)
      bases[pr.index]!.push(pr.baseOffset)
    }
  }
  for (let p = 0; p < partitions; p++) {
    t.same(bases[p], Array.from({ length: requests }, (_, i) => i), `partition ${p}: base offsets follow send order`)
    const stored = await readAllValues(port, topic, p)
    t.same(stored.map((s) => s.tag), Array.from({ length: requests }, (_, i) => `m${i}`), `partition ${p}: the log reads back in send order`)
  }
}

t.test('pipelined large produce requests to one partition are stored in send order (disk)', async (t) => {
  // fsync always keeps the shard busy on the disk while later requests arrive.
  const broker = await memoryBroker(t, { memory: false, dataDir: tempDir(t), shards: 1, fsync: 'always' })
  await pipelinedProduce(t, broker.port, 'ordered', 1, 24)
})

t.test('pipelined large produce requests over several shards keep per-partition order', async (t) => {
  const broker = await memoryBroker(t, { shards: 3 })
  await pipelinedProduce(t, broker.port, 'ordered-wide', 6, 16)
})

t.test('several connections producing to one partition at once: each connection\'s records keep its order', async (t) => {
  const broker = await memoryBroker(t, { memory: false, dataDir: tempDir(t), shards: 1, fsync: 'always' })
  const setup = await RawClient.connect(broker.port)
  t.teardown(() => setup.close())
  await createTopic(setup, 'shared')
  const conns = await Promise.all([0, 1, 2].map(() => RawClient.connect(broker.port)))
  t.teardown(() => conns.forEach((c) => c.close()))
  const perConn = 12
  await Promise.all(conns.map(async (c, k) => {
    const frames = Array.from({ length: perConn }, (_, i) => c.frameFor(0, 9, produceRequest([{ topic: 'shared', partition: 0, records: batchOf([`c${k}-${i}:${'y'.repeat(64 * 1024)}`]) }], 1), 500 + i))
    const answers = frames.map(() => c.nextFrame(60_000))
    for (const f of frames) {
      c.write(f)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const bases: number[] = []
    for (const a of answers) bases.push(decodeFrame<ProduceResponse>((await a)!, 0, 9).body.responses[0]!.partitionResponses[0]!.baseOffset)
    t.ok(bases.every((b, i) => i === 0 || b > bases[i - 1]!), `connection ${k}: base offsets increase in send order`)
  }))
  const stored = await readAllValues(broker.port, 'shared', 0)
  t.equal(stored.length, 3 * perConn, 'every record stored once')
  for (let k = 0; k < 3; k++) {
    t.same(stored.filter((s) => s.tag.startsWith(`c${k}-`)).map((s) => s.tag), Array.from({ length: perConn }, (_, i) => `c${k}-${i}`), `connection ${k}: its records read back in its send order`)
  }
})

// kill -9 in the middle of an idempotent produce load (Python confluent-kafka, librdkafka
// with enable.idempotence and up to 5 requests in flight), --fsync always. The broker comes
// back on the same port and data dir; the same producer process reconnects and retries
// what was in flight. Kafka's promise, which needs the producer state rebuilt from the log:
// every acknowledged message stored exactly once at the offset it was acknowledged with, no
// value twice anywhere (retries of batches the crash had already persisted are duplicates),
// offsets dense. The second test makes that retry certain: a proxy withholds the broker's
// answers to batches it has stored, then the broker is killed.

import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { pythonScript, type JsonEvent, type LineProcess } from '../helpers/line-process.ts'
import { describeProducers, freePort, readPartition, recordsOnDisk, type StoredRecord } from '../helpers/partition-records.ts'
import { HoldingProxy } from '../helpers/holding-proxy.ts'
import { waitFor } from '../helpers/groups.ts'

const TOTAL = 20_000
const TOPIC = 'crash-idem'

interface Crash {
  producer: LineProcess
  /** Records in whole batches on disk after the kill: where the recovered log ends. */
  onDisk: number
  /** Delivery reports the producer had printed when the broker was dead (a lower bound). */
  ackedBeforeKill: number
  brokers: ChildBroker[]
}

/**
 * Broker on `brokerPort` (advertising `clientPort`), topic, idempotent load to `clientPort`;
 * once 3,000 are acknowledged `beforeKill` runs, then kill -9 and a restart on the same
 * port and data dir.
 */
async function crashUnderLoad(t: Test, brokerPort: number, clientPort: number, beforeKill: () => Promise<void> = async () => {}): Promise<Crash> {
  const dataDir = tempDir(t)
  const args = ['--data-dir', dataDir, '--fsync', 'always', '--shards', '2', '--advertised-port', String(clientPort)]
  const brokers: ChildBroker[] = []
  t.teardown(() => brokers.forEach((b) => b.child.kill('SIGKILL')))
  const first = await spawnBroker(args, {}, brokerPort)
  brokers.push(first)
  t.equal(first.port, brokerPort, 'the broker listens on the chosen port')

  const admin = kafkaClient(clientPort).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()

  // About 5,000 messages a second: the load runs for seconds, the kill lands in its middle.
  const producer = pythonScript(t, 'confluent_idempotent_load.py', [`127.0.0.1:${clientPort}`, TOPIC, String(TOTAL)])
  await producer.waitEvent((e) => e.event === 'progress' && e.acked >= 3000, '3,000 acknowledgements', 30_000)
  await beforeKill()

  first.child.kill('SIGKILL')
  t.equal(await first.exited, null, 'the broker died of the signal')
  const ackedBeforeKill = Math.max(...producer.of('progress').map((e) => e.acked as number))
  t.ok(ackedBeforeKill >= 3000 && ackedBeforeKill < TOTAL, `the load was running when the broker was killed (${ackedBeforeKill} of ${TOTAL} acknowledged)`)
  t.notOk(existsSync(join(dataDir, '.kafka_cleanshutdown')), 'no clean shutdown marker after kill -9')
  const onDisk = recordsOnDisk(dataDir, TOPIC, 0)
  t.ok(onDisk >= ackedBeforeKill, `with fsync always the log on disk holds at least what was acknowledged (${onDisk} >= ${ackedBeforeKill})`)

  const second = await spawnBroker(args, {}, brokerPort)
  brokers.push(second)
  t.match(second.output(), /recovered logs/, 'the unclean start ran recovery')
  // Every report of a response from before the kill has been served by now (the producer
  // polls every 10 ms): reports from here on answer requests to the restarted broker.
  producer.send('mark')
  return { producer, onDisk, ackedBeforeKill, brokers }
}

/** The producer's outcome and the whole partition, checked against each other. */
async function verify(t: Test, port: number, crash: Crash): Promise<{ done: JsonEvent; stored: StoredRecord[] }> {
  const { producer, onDisk } = crash
  const done = await producer.waitEvent((e) => e.event === 'done', 'the producer to finish', 45_000)
  t.equal(await producer.exited, 0, `the producer exits 0\n${producer.stderr.slice(-2000)}`)
  t.same(producer.of('error').filter((e) => e.fatal === true), [], 'no fatal producer error')
  t.equal(done.failed, 0, 'no delivery failed')
  t.equal(done.unflushed, 0, 'nothing left unsent')
  t.equal(done.acked, TOTAL, 'every message acknowledged in the end')
  const offsets = done.offsets as number[]
  const pastRecovered = offsets.filter((o) => o >= onDisk).length
  t.ok(pastRecovered > 0, `messages were acknowledged after the restart (${pastRecovered} at offsets past the recovered log end ${onDisk})`)

  const stored = await readPartition(port, TOPIC, 0)
  t.same(stored.map((r) => r.offset), Array.from({ length: stored.length }, (_, i) => i), `offsets dense from 0 to ${stored.length - 1}`)
  const at = new Map<string, number>()
  const twice: string[] = []
  for (const r of stored) {
    if (at.has(r.value!)) twice.push(`${r.value} at ${at.get(r.value!)} and ${r.offset}`)
    else at.set(r.value!, r.offset)
  }
  t.same(twice.slice(0, 10), [], `no value stored twice (${twice.length} duplicates)`)
  let missing = 0
  let moved = 0
  offsets.forEach((offset, i) => {
    if (offset < 0) return
    const found = at.get(`n${i}`)
    if (found === undefined) missing++
    else if (found !== offset) moved++
  })
  t.equal(missing, 0, 'no acknowledged message lost')
  t.equal(moved, 0, 'every acknowledged message at the offset its acknowledgement gave')
  t.equal(stored.length, TOTAL, `the log holds exactly the ${TOTAL} messages`)
  t.equal(stored.filter((r, i) => r.value !== `n${i}`).length, 0, 'in the order they were produced')

  const ids = [...new Set(stored.map((r) => r.producerId))]
  t.equal(ids.length, 1, `one producer id across the crash (${ids}): the producer never had to reset`)
  const [described] = await describeProducers(port, TOPIC, [0])
  t.same(
    described!.producers.map((p) => ({ producerId: p.producerId, lastSequence: p.lastSequence })),
    [{ producerId: ids[0], lastSequence: TOTAL - 1 }],
    'DescribeProducers after the crash: that producer, last sequence at the last message',
  )
  return { done, stored }
}

async function stopCleanly(t: Test, crash: Crash): Promise<void> {
  const last = crash.brokers[crash.brokers.length - 1]!
  last.child.kill('SIGTERM')
  t.equal(await last.exited, 0, 'the restarted broker stops cleanly')
}

t.test('kill -9 during an idempotent produce load: every acknowledged message once, at its offset, nothing twice', async (t) => {
  // A fixed port, so librdkafka reconnects to the restarted broker at the same address.
  const port = await freePort()
  const crash = await crashUnderLoad(t, port, port)
  const { done } = await verify(t, port, crash)
  // Whether the kill landed between a batch's write and its answer is down to timing: reported, not asserted.
  const retried = (done.late as Array<[number, number]>).filter(([, offset]) => offset < crash.onDisk)
  t.comment(`${done.late.length} acknowledged after the restart, ${retried.length} of them at offsets stored before the kill (retries answered as duplicates)`)
  await stopCleanly(t, crash)
})

t.test('batches stored but never answered before kill -9 are retried and answered as duplicates with their first offsets', async (t) => {
  const brokerPort = await freePort()
  const proxy = await HoldingProxy.start(t, brokerPort)
  // The broker advertises the proxy, so every client connection goes through it.
  const crash = await crashUnderLoad(t, brokerPort, proxy.port, async () => {
    proxy.holding = true
    // librdkafka 2.0 keeps at most 5 idempotent messages in flight per partition: with
    // batches of dozens that is one request at a time, so one answer is what there is.
    await waitFor(() => proxy.heldProduce().length >= 1, 'a produce answer withheld', 20_000, 10)
  })
  proxy.release()
  const withheld = proxy.heldProduce()
  t.ok(withheld.length >= 1 && withheld.every((w) => w.errorCode === 0 && w.topic === TOPIC), `the broker had answered ${withheld.length} produce requests with success that the producer never saw`)
  t.ok(withheld.every((w) => w.baseOffset < crash.onDisk), `those batches are in the log on disk (base offsets ${withheld.map((w) => w.baseOffset)} < ${crash.onDisk})`)

  const { done, stored } = await verify(t, proxy.port, crash)
  // The only answer carrying these offsets never reached the producer, and its connection
  // died with the broker. So the producer knows them only from answers to its retries
  // after the restart (same producer id and sequences): the rebuilt producer state
  // recognised each batch and answered with the offsets it was stored at, storing nothing.
  const offsets = done.offsets as number[]
  for (const w of withheld) {
    const value = stored[w.baseOffset]?.value ?? ''
    const i = Number(value.slice(1))
    t.equal(offsets[i], w.baseOffset, `${value}, stored at ${w.baseOffset} by a withheld batch, was acknowledged after the retry at that offset`)
  }
  await stopCleanly(t, crash)
})

// Durability through the real CLI in a child process: a graceful stop keeps everything;
// kill -9 during a produce load with --fsync always loses nothing that was acknowledged,
// serves no partial batch, and producing continues at the right offsets.

import t from 'tap'
import { appendFileSync, existsSync, readFileSync, unlinkSync } from 'node:fs'
import { pino } from 'pino'
import { startBroker } from '../../src/broker.ts'
import { join } from 'node:path'
import { spawnBroker, tempDir } from '../helpers/broker.ts'
import { acknowledgedCheck, kafkaClient, fetchAll } from '../helpers/kafkajs-fetch.ts'

t.test('graceful stop and start keeps every message', async (t) => {
  const dataDir = tempDir(t)
  const first = await spawnBroker(['--data-dir', dataDir])
  let kafka = kafkaClient(first.port)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 2 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  for (let b = 0; b < 10; b++) {
    await producer.send({ topic: 'durable', messages: Array.from({ length: 100 }, (_, i) => ({ partition: (b * 100 + i) % 2, value: `m${b * 100 + i}` })) })
  }
  await producer.disconnect()
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM exits 0')
  t.ok(existsSync(join(dataDir, '.kafka_cleanshutdown')), 'clean shutdown marker written')

  const second = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => second.child.kill('SIGKILL'))
  t.notMatch(second.output(), /recovered logs/, 'a clean start does not run recovery')
  kafka = kafkaClient(second.port)
  const got = await fetchAll(kafka, 'durable', 2, 1000)
  t.equal(got.length, 1000, 'all 1000 messages still there')
  t.same(new Set(got.map((m) => m.value)).size, 1000, 'no duplicates')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('kill -9 under load with --fsync always loses no acknowledged message', async (t) => {
  const dataDir = tempDir(t)
  const first = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always'])
  const kafka = kafkaClient(first.port)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'crashy', numPartitions: 3 }] })
  await admin.disconnect()

  const acked = new Map<string, { partition: number; offset: number }>()
  const producer = kafkaClient(first.port, 'crash-producer').producer({ retry: { retries: 0 } })
  await producer.connect()
  let n = 0
  let stop = false
  const load = (async () => {
    // Three concurrent senders keep requests in flight when the kill lands.
    await Promise.all(
      [0, 1, 2].map(async (partition) => {
        while (!stop) {
          const values = Array.from({ length: 50 }, () => `c${n++}`)
          try {
            const res = await producer.send({ topic: 'crashy', acks: -1, messages: values.map((value) => ({ partition, value })) })
            const base = Number(res[0]!.baseOffset)
            values.forEach((v, i) => acked.set(v, { partition, offset: base + i }))
          } catch {
            return
          }
        }
      }),
    )
  })()
  const deadline = Date.now() + 10_000
  while (acked.size < 3000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  first.child.kill('SIGKILL')
  await first.exited
  stop = true
  await load
  await producer.disconnect().catch(() => {})
  t.ok(acked.size >= 1000, `load was running when killed (${acked.size} acknowledged)`)
  t.notOk(existsSync(join(dataDir, '.kafka_cleanshutdown')), 'no clean shutdown marker after kill -9')

  const second = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always'])
  t.teardown(() => second.child.kill('SIGKILL'))
  t.match(second.output(), /recovered logs/, 'the unclean start ran recovery')
  const kafka2 = kafkaClient(second.port)
  const admin2 = kafka2.admin()
  await admin2.connect()
  const ends = (await admin2.fetchTopicOffsets('crashy')).map((o) => ({ partition: o.partition, high: Number(o.high) }))
  await admin2.disconnect()
  const stored = ends.reduce((s, e) => s + e.high, 0)
  t.ok(stored >= acked.size, `log ends cover every acknowledged message (${stored} >= ${acked.size})`)

  const got = await fetchAll(kafka2, 'crashy', 3, stored)
  t.equal(got.length, stored, 'every stored offset is readable: no partial batch served')
  const { missing, moved } = acknowledgedCheck(acked, got)
  t.equal(missing, 0, 'no acknowledged message lost')
  t.equal(moved, 0, 'every acknowledged message at the offset it was acknowledged with')
  for (const e of ends) {
    const offsets = got.filter((m) => m.partition === e.partition).map((m) => m.offset)
    t.same(offsets, Array.from({ length: e.high }, (_, i) => i), `partition ${e.partition}: dense offsets 0..${e.high - 1}`)
  }

  const producer2 = kafka2.producer()
  await producer2.connect()
  const res = await producer2.send({ topic: 'crashy', acks: -1, messages: [{ partition: 0, value: 'after-crash' }] })
  await producer2.disconnect()
  t.equal(Number(res[0]!.baseOffset), ends.find((e) => e.partition === 0)!.high, 'producing continues at the recovered log end')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('a torn tail left by a crash is truncated at start-up and producing continues', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, logLevel: 'silent' })
  let kafka = kafkaClient(first.port)
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'torn', messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `t${i}` })) })
  await producer.disconnect()
  await first.close()

  // What a crash mid-write leaves: half a batch after the last good one, and no marker.
  const segment = join(dataDir, 'torn-0', '00000000000000000000.log')
  const good = readFileSync(segment)
  appendFileSync(segment, good.subarray(0, Math.floor(good.length / 2)))
  unlinkSync(join(dataDir, '.kafka_cleanshutdown'))

  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) })
  const second = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1 }, { logger })
  t.teardown(() => second.close())
  t.ok(lines.some((l) => /recovery truncated a torn log tail/.test(l) && /"truncatedBytes":\d+/.test(l)), 'recovery logged what it cut')
  t.equal(readFileSync(segment).length, good.length, 'the segment is back to its last whole batch')
  kafka = kafkaClient(second.port)
  const p2 = kafka.producer()
  await p2.connect()
  const res = await p2.send({ topic: 'torn', messages: [{ partition: 0, value: 'after' }] })
  await p2.disconnect()
  t.equal(Number(res[0]!.baseOffset), 20, 'the next offset follows the last whole batch')
  const got = await fetchAll(kafka, 'torn', 1, 21)
  t.same(got.map((m) => m.value), [...Array.from({ length: 20 }, (_, i) => `t${i}`), 'after'])
})

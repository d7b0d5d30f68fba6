// kcat (librdkafka 2.0.2 from Debian): metadata listing, and produce/consume with every
// compression codec. The stored batch must keep the codec the client chose: the broker
// never recompresses.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { tempDir } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run } from '../helpers/external.ts'
import { storedBatches } from '../helpers/segments.ts'

const codecs = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

t.test('kcat', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const bootstrap = `127.0.0.1:${broker.port}`
  const admin = kafkaClient(broker.port).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: Object.keys(codecs).map((c) => ({ topic: `kcat-${c}`, numPartitions: 1 })) })

  await t.test('-L lists the broker and the topics', async (t) => {
    const r = await run('kcat', ['-b', bootstrap, '-L'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, new RegExp(`1 brokers:\\s+broker 0 at 127\\.0\\.0\\.1:${broker.port} \\(controller\\)`))
    for (const c of Object.keys(codecs)) t.match(r.stdout, new RegExp(`topic "kcat-${c}" with 1 partitions`))
  })

  for (const [codec, id] of Object.entries(codecs)) {
    await t.test(`-z ${codec}: produce and consume, stored compressed`, async (t) => {
      const topic = `kcat-${codec}`
      const lines = Array.from({ length: 200 }, (_, i) => `key${i}:${codec} message ${i} ${'x'.repeat(i % 50)}`)
      const p = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-K:', '-X', 'linger.ms=50'], { input: lines.join('\n') + '\n' })
      t.equal(p.code, 0, p.stderr)
      const c = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n'])
      t.equal(c.code, 0, c.stderr)
      t.same(c.stdout.trim().split('\n'), lines, 'every message back, in order, content intact')

      // librdkafka sends a batch uncompressed when compressing would not shrink it (a batch
      // of one or two short lines): every batch of 20+ records must keep the codec.
      const stored = storedBatches(dataDir, topic, 0)
      const sizeable = stored.filter((b) => b.records >= 20)
      t.equal(stored.reduce((n, b) => n + b.records, 0), lines.length, 'the stored batches hold every record')
      t.ok(sizeable.length > 0 && sizeable.every((b) => b.codec === id), `every batch of 20+ records on disk is ${codec}-compressed as sent (${sizeable.length} of ${stored.length})`)
    })
  }
})

// The Python clients from Debian: confluent-kafka (librdkafka) with lz4 at volume, and
// kafka-python 2.0.2, whose fixed old versions (ApiVersions v0 pipelined with Metadata
// v0, then Metadata v1, Produce v7, Fetch v4, ListOffsets v1) are their own code path.

import t from 'tap'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { memoryBroker, repoRoot, tempDir } from '../helpers/broker.ts'
import { storedBatches } from '../helpers/segments.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'

const script = (name: string): string => join(repoRoot, 'test/e2e/python', name)

t.test('python confluent-kafka: 10,000 lz4 messages round trip', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const admin = kafkaClient(broker.port).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'py-lz4', numPartitions: 1 }] })
  await admin.disconnect()
  const r = await run(systemPython, [script('confluent_roundtrip.py'), `127.0.0.1:${broker.port}`, 'py-lz4', '10000', 'lz4'])
  t.equal(r.code, 0, r.stderr)
  const res = lastJsonLine(r.stdout)
  t.same(res.errors, [], 'no delivery or consume errors')
  t.equal(res.produced, 10000, 'all delivered')
  t.equal(res.consumed, 10000, 'all consumed')
  t.ok(res.in_order, 'offsets dense and in order')
  t.ok(res.values_ok, 'keys and values intact')
  // librdkafka sends a batch uncompressed when lz4 would not make it smaller (a small
  // trailing batch of these tiny records): every batch big enough to gain must be lz4.
  const batches = storedBatches(dataDir, 'py-lz4', 0)
  const sizeable = batches.filter((b) => b.records >= 100)
  t.ok(sizeable.length > 1 && sizeable.every((b) => b.codec === 3), `stored as lz4 batches, as sent (${sizeable.length} of ${batches.length} batches hold 100+ records)`)
  t.equal(batches.reduce((n, b) => n + b.records, 0), 10000, 'the stored batches hold every record')
})

t.test('kafka-python: produce/consume round trip', async (t) => {
  const broker = await memoryBroker(t)
  const r = await run(systemPython, [script('kafka_python_roundtrip.py'), `127.0.0.1:${broker.port}`, 'kafka-python-topic', '100'])
  t.equal(r.code, 0, r.stderr)
  const res = lastJsonLine(r.stdout)
  t.ok(Array.isArray(res.api_version) && res.api_version[0] >= 2, `probed a modern broker version (${res.api_version})`)
  t.same(res.offsets, Array.from({ length: 100 }, (_, i) => i), 'offsets assigned densely from 0 (topic auto-created)')
  t.equal(res.consumed, 100)
  t.ok(res.values_ok, 'values back in order with their keys')
})

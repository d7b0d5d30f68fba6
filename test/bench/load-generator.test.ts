// The benchmark kit checks itself: the load generator produces and fetches exactly the
// bytes it claims against an in-process broker, and a run's result JSON carries what every
// figure needs to be read elsewhere (durability settings, versions, machine facts, ratios).
// A correctness check of the kit, not a timed test.

import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { KafkaConn, createTopic } from '../../bench/lib/wire.ts'
import { runProduce, buildBatch } from '../../bench/load/produce.ts'
import { runFetch } from '../../bench/load/fetch.ts'
import { runBench } from '../../bench/main.ts'
import type { RunResults } from '../../bench/lib/result.ts'

t.test('idempotent load: numbered batches from two connections are all accepted and stored once', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const conn = await KafkaConn.open(broker.port)
  await createTopic(conn, 'kit-idem', 4)
  conn.close()
  const produced = await runProduce({ port: broker.port, topic: 'kit-idem', partitions: 4, recordSize: 100, recordsPerBatch: 8, partitionsPerRequest: 4, connections: 2, inFlight: 4, acks: 1, compression: 0, durationMs: 60_000, maxRequests: 400, idempotent: true })
  t.equal(produced.errors, 0, 'no sequence errors: every frame carried the next sequence of its producer')
  t.equal(produced.requests, 400)
  const fetched = await runFetch({ port: broker.port, topic: 'kit-idem', partitions: 4, connections: 1, durationMs: 30_000 })
  t.equal(fetched.records, produced.records, 'each acknowledged batch stored once')
})

t.test('produce then fetch: byte counts add up', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const conn = await KafkaConn.open(broker.port)
  await createTopic(conn, 'kit', 4)
  conn.close()

  const batch = buildBatch(1024, 16, 0)
  const produced = await runProduce({ port: broker.port, topic: 'kit', partitions: 4, recordSize: 1024, recordsPerBatch: 16, partitionsPerRequest: 2, connections: 2, inFlight: 4, acks: 1, compression: 0, durationMs: 1500 })
  t.equal(produced.errors, 0, 'no partition errors')
  t.ok(produced.requests > 0, 'requests were acknowledged')
  t.equal(produced.batches, produced.requests * 2, 'two batches per request')
  t.equal(produced.batchBytes, produced.batches * batch.length, 'acknowledged bytes are whole batches')
  t.equal(produced.records, produced.batches * 16)

  const fetched = await runFetch({ port: broker.port, topic: 'kit', partitions: 4, connections: 2, durationMs: 30_000 })
  t.ok(fetched.reachedEnd, 'read to the high watermark')
  t.equal(fetched.errors, 0)
  t.equal(fetched.batchBytes, produced.batchBytes, 'fetched exactly the bytes produced')
  t.equal(fetched.records, produced.records, 'and the same records')

  const zero = await runProduce({ port: broker.port, topic: 'kit', partitions: 4, recordSize: 100, recordsPerBatch: 10, connections: 1, inFlight: 1, acks: 0, compression: 4, durationMs: 60_000, maxRequests: 50 })
  t.equal(zero.requests, 50, 'acks=0 stops at maxRequests')
  const after = await runFetch({ port: broker.port, topic: 'kit', partitions: 4, connections: 1, durationMs: 30_000 })
  t.equal(after.records, produced.records + 50 * 4 * 10, 'acks=0 zstd batches (one per partition per request) all arrived')
})

t.test('a test-mode run writes JSON with durability, versions, machine facts and ratios', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'samsa-bench-test-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const run = await runBench({ mode: 'test', outDir: out, build: 'source' })
  const json = JSON.parse(readFileSync(join(out, 'test.json'), 'utf8')) as RunResults
  t.same(json.results.map((r) => r.id), run.results.map((r) => r.id), 'the file holds the run')
  t.ok(readFileSync(join(out, 'test.md'), 'utf8').includes('| figure |'), 'markdown table written')
  t.equal(json.kit, 'samsa-bench')
  t.ok(json.machine.cpus >= 1 && json.machine.memoryBytes > 0 && json.machine.cpuModel !== '', 'machine facts')
  t.ok(json.versions.node === process.versions.node && json.versions.samsa !== '', 'versions')
  const produce = json.results.find((r) => r.id === 'produce/headline')
  const fetch = json.results.find((r) => r.id === 'fetch/headline')
  t.ok(produce !== undefined && fetch !== undefined, 'produce and fetch figures present')
  for (const r of [produce!, fetch!]) {
    t.ok(r.value > 0, `${r.id} measured something`)
    t.ok(r.baseline !== null && r.baseline.value > 0, `${r.id} has a same-run baseline`)
    t.equal(r.ratio, r.value / r.baseline!.value, `${r.id} ratio is value / baseline`)
    t.ok(['always', 'interval', 'never'].includes(r.durability.fsync), `${r.id} records fsync`)
    t.ok(r.durability.storage === 'disk', `${r.id} records the storage`)
  }
  t.equal(produce!.durability.acks, 1, 'acks recorded')
  t.ok(Number(fetch!.metrics.fetchedBytes) > 0 && fetch!.metrics.reachedEnd === true, 'fetch read its whole topic')
  t.ok(json.baselines.some((b) => b.id.startsWith('tcp-sink')) && json.baselines.some((b) => b.id === 'tcp-source'), 'baselines recorded')
  t.ok(json.targets.some((x) => x.id === 'produce-vs-tcp') && json.targets.some((x) => x.id === 'fetch-vs-tcp'), 'targets checked')
})

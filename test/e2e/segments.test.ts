// Segments on disk through the broker: segment.bytes rolls a partition into Kafka-named
// files, reads cross segment boundaries, everything survives a graceful restart on the
// same directory, and segment.ms rolls on the first append after it expires.

import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, fetch, fetchOne, produce, splitBatches } from '../helpers/wire-requests.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { batchBaseOffset, batchLastOffset } from '../../protocol/records/record-batch.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const SEGMENT_FILE = /^(\d{20})\.log$/

function start(dataDir: string): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
}

/** Base offsets named by the partition's .log files, in order. */
function segmentBases(dataDir: string, topic: string, partition = 0): number[] {
  return readdirSync(join(dataDir, `${topic}-${partition}`))
    .map((n) => SEGMENT_FILE.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
}

/** Every record value from `from` on, one fetch of at most ~one batch at a time (bounded). */
async function readAll(c: RawClient, topic: string, from = 0): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = []
  let next = from
  for (let i = 0; i < 500; i++) {
    const res = await fetch(c, 12, [{ topic, partition: 0, offset: next, partitionMaxBytes: 1500 }])
    const p = res.responses[0]!.partitions[0]!
    if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} at ${next}`)
    const records = decodeAllRecords(p.records ?? Buffer.alloc(0)).filter((r) => r.offset >= next)
    if (records.length === 0) break
    for (const r of records) out.push([r.offset, r.value!.toString()])
    next = records[records.length - 1]!.offset + 1
  }
  return out
}

t.test('segment.bytes: many segments, reads across them, restart', async (t) => {
  const dataDir = tempDir(t)
  let broker = await start(dataDir)
  t.teardown(() => broker.close())
  let c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'rolled', 1, { 'segment.bytes': '4096' })

  // 50 batches of two ~500-byte records: ~51 KB, about three batches per segment.
  const expected: Array<[number, string]> = []
  for (let b = 0; b < 50; b++) {
    const values = [`${b}-a-`.padEnd(500, 'a'), `${b}-b-`.padEnd(500, 'b')]
    const r = await produce(c, 'rolled', 0, batchOf(values))
    t.equal(r.errorCode, ErrorCode.NONE)
    values.forEach((v, i) => expected.push([r.baseOffset + i, v]))
  }
  t.equal(expected.at(-1)![0], 99)

  const dir = join(dataDir, 'rolled-0')
  const bases = segmentBases(dataDir, 'rolled')
  t.ok(bases.length >= 10, `${bases.length} segments`)
  t.equal(bases[0], 0, 'the first segment starts at offset 0')
  for (const base of bases) {
    const name = String(base).padStart(20, '0')
    const files = readdirSync(dir)
    t.ok(files.includes(`${name}.index`) && files.includes(`${name}.timeindex`), `${name}: .log, .index and .timeindex`)
    const log = readFileSync(join(dir, `${name}.log`))
    t.ok(log.length > 0 && log.length <= 4096, `${name}.log holds ${log.length} bytes (<= segment.bytes)`)
    t.equal(batchBaseOffset(log), base, `${name}.log starts with the batch at offset ${base}`)
  }

  // One fetch spanning every segment, then batch-sized steps across each boundary.
  const all = await fetchOne(c, 'rolled', 0, 0)
  t.same(decodeAllRecords(all.records!).map((r) => [r.offset, r.value!.toString()]), expected, 'one big fetch returns everything, in order')
  t.same(await readAll(c, 'rolled'), expected, 'small fetches walk across every segment boundary')
  for (const base of bases.slice(1)) {
    const first = splitBatches((await fetchOne(c, 'rolled', 0, base - 1)).records)[0]!
    t.ok(batchBaseOffset(first) <= base - 1 && base - 1 <= batchLastOffset(first), `offset ${base - 1}, at the end of a segment, is found`)
  }

  // Graceful stop, then a new broker in this process on the same directory.
  c.close()
  await broker.close()
  broker = await start(dataDir)
  c = await RawClient.connect(broker.port)
  t.same(segmentBases(dataDir, 'rolled'), bases, 'the same segments after the restart')
  const p = await fetchOne(c, 'rolled', 0, 0)
  t.equal(p.highWatermark, 100, 'high watermark restored')
  t.same(await readAll(c, 'rolled'), expected, 'everything still readable in order')
  const r = await produce(c, 'rolled', 0, batchOf(['after restart']))
  t.equal(r.baseOffset, 100, 'appends continue at the old log end')
  t.same((await readAll(c, 'rolled', 99)).map(([o, v]) => [o, v.slice(0, 13)]), [[99, expected[99]![1].slice(0, 13)], [100, 'after restart']])
  c.close()
  await broker.close()
})

t.test('segment.ms rolls on the first append after it expires', async (t) => {
  const dataDir = tempDir(t)
  // Storage time is a ManualClock: segment.ms passes when the test says so.
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' }, { storageClock: clock })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  const req = defaultCreateTopicsRequest()
  req.topics = [{ ...defaultCreatableTopic(), name: 'never', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.ms', value: '0' }] }]
  const refused = await c.request<CreateTopicsResponse>(19, 7, req)
  t.equal(refused.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'segment.ms 0 is below the minimum of 1: INVALID_CONFIG')

  await createTopic(c, 'timed', 1, { 'segment.ms': '300' })
  await produce(c, 'timed', 0, batchOf(['first']))
  clock.advance(300)
  await produce(c, 'timed', 0, batchOf(['second']))
  t.same(segmentBases(dataDir, 'timed'), [0], 'appends within segment.ms (300 ms later, not past it) share a segment')

  clock.advance(1)
  t.same(segmentBases(dataDir, 'timed'), [0], 'time alone does not roll')
  const r = await produce(c, 'timed', 0, batchOf(['third']))
  t.equal(r.baseOffset, 2)
  t.same(segmentBases(dataDir, 'timed'), [0, 2], 'the next append starts a new segment at its offset')
  t.ok(statSync(join(dataDir, 'timed-0', `${'2'.padStart(20, '0')}.log`)).size > 0, 'holding that batch')

  t.same(decodeAllRecords((await fetchOne(c, 'timed', 0, 0)).records!).map((x) => x.value!.toString()), ['first', 'second', 'third'], 'read across the roll')
})

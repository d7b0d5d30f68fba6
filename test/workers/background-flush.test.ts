// --fsync interval: shards hand the list of written files to the main thread, which
// fdatasyncs them off every hot thread and only then moves the recovery-point checkpoint.

import t from 'tap'
import { existsSync, linkSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PartitionLog } from '../../storage/partition-log.ts'
import { NodeFileIO } from '../../storage/file-io.ts'
import { defaultLogConfig } from '../../storage/log-config.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { fsyncPaths, writeFileDurably } from '../../src/workers/background-flush.ts'
import { startBroker } from '../../src/broker.ts'
import { tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'

const batch = (n: number) => buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })) })

t.test('a log hands off exactly the files written since the last hand-off', async (t) => {
  const dir = join(tempDir(t), 'orders-0')
  const log = PartitionLog.open(new NodeFileIO(), dir, defaultLogConfig, { clean: true, recoveryPoint: 0, now: Date.now() })
  t.teardown(() => log.close())
  log.append(batch(3), Date.now())
  const first = log.handOffFlush()
  t.ok(first.files.some((f) => f.endsWith('00000000000000000000.log')), 'the segment written to is listed')
  t.equal(first.recoveryPoint, 3, 'valid once those files are synced')
  t.same(log.handOffFlush().files, [], 'nothing new: nothing listed')
  log.append(batch(2), Date.now())
  const third = log.handOffFlush()
  t.ok(third.files.length > 0 && third.recoveryPoint === 5, 'a new append is listed again')
  await t.resolves(fsyncPaths([...third.files, join(dir, 'no-such-file.log')], [dir]), 'syncing by path skips files deleted meanwhile')
})

t.test('writeFileDurably replaces a file by rename, never by rewriting it in place', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'checkpoint')
  await writeFileDurably(file, Buffer.from('one'))
  // A second name for the first file: an in-place rewrite would change what it shows.
  linkSync(file, join(dir, 'old-inode'))
  const before = statSync(file).ino
  await writeFileDurably(file, Buffer.from('two'))
  t.equal(readFileSync(file, 'utf8'), 'two')
  t.not(statSync(file).ino, before, 'the name now points at a new file')
  t.equal(readFileSync(join(dir, 'old-inode'), 'utf8'), 'one', 'the old file was never touched, so a crash mid-write leaves it whole')
  t.notOk(existsSync(`${file}.tmp`), 'no temp file left behind')
})

t.test('the broker moves the recovery-point checkpoint after a background flush', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, fsync: 'interval', fsyncIntervalMs: 50, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await c.request(19, 5, { topics: [{ name: 'flushed', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
  for (let i = 0; i < 3; i++) await c.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'flushed', partitionData: [{ index: 0, records: batch(4) }] }] })
  const checkpoint = join(dataDir, 'recovery-point-offset-checkpoint')
  const read = () => (existsSync(checkpoint) ? readFileSync(checkpoint, 'utf8') : '')
  for (let i = 0; i < 100 && !read().includes('flushed 0 12'); i++) await new Promise((r) => setTimeout(r, 20))
  t.match(read(), /^0\n\d+\n/, "Kafka's checkpoint format")
  t.match(read(), /flushed 0 12\n/, 'the recovery point reached the log end without a shutdown')
})

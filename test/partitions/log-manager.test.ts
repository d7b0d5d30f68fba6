// The log lifecycle's crash points around topic deletion: a deletion interrupted after
// its partitions became `-delete` tombstones but before the catalogue was rewritten is
// finished at the next start (the topic does not come back), and tombstones of topics
// the catalogue no longer lists are removed.

import t from 'tap'
import { existsSync, readdirSync, renameSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { spawnBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, produce } from '../helpers/wire-requests.ts'
import { deletedDirName, parseDeletedDirName } from '../../storage/log-file-names.ts'

const quiet = { host: '127.0.0.1', port: 0, shards: 1, logLevel: 'silent' as const }

t.test('tombstone names round trip and carry the topic id', async (t) => {
  const name = deletedDirName('my.topic-x', 12, 'AAECAwQFBgcICQoLDA0ODw')
  t.equal(name, 'my.topic-x-12.000102030405060708090a0b0c0d0e0f-delete')
  t.same(parseDeletedDirName(name), { topic: 'my.topic-x', partition: 12, topicId: 'AAECAwQFBgcICQoLDA0ODw' })
  t.equal(parseDeletedDirName('my.topic-x-12'), null)
})

t.test('a deletion a crash interrupted after the tombstones is finished at the next start', async (t) => {
  const dataDir = tempDir(t)
  let broker = await startBroker({ ...quiet, dataDir })
  let c = await RawClient.connect(broker.port)
  const id = await createTopic(c, 'doomed', 2)
  await createTopic(c, 'kept')
  await produce(c, 'doomed', 0, batchOf(['a']))
  await produce(c, 'kept', 0, batchOf(['k']))
  c.close()
  await broker.close()

  // What a crash leaves between "directories moved aside" and "catalogue rewritten".
  for (const p of [0, 1]) renameSync(join(dataDir, `doomed-${p}`), join(dataDir, deletedDirName('doomed', p, id)))
  // And a tombstone of a topic the catalogue already forgot.
  mkdirSync(join(dataDir, deletedDirName('older', 0, 'AAECAwQFBgcICQoLDA0ODw')))

  broker = await startBroker({ ...quiet, dataDir })
  t.teardown(() => broker.close())
  t.same(broker.stats().topics, 1, 'only the kept topic is left')
  t.notOk(readdirSync(dataDir).some((n) => n.endsWith('-delete')), 'every tombstone is gone')
  t.notOk(existsSync(join(dataDir, 'doomed-0')), 'and the deleted topic was not recreated')
  c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  t.equal((await produce(c, 'doomed', 0, batchOf(['x']))).errorCode, 3, 'producing to it: UNKNOWN_TOPIC_OR_PARTITION')
  t.equal((await produce(c, 'kept', 0, batchOf(['k2']))).baseOffset, 1, 'the other topic kept its data')
})

t.test('the data dir is locked against a second broker, and belongs to one node id', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBroker({ ...quiet, dataDir })
  // The lock is per process (a pid file): the second broker is another process, as in real life.
  await t.rejects(spawnBroker(['--data-dir', dataDir]), /in use by another broker \(pid \d+/, 'a second broker on the same directory is refused')
  await first.close()
  await t.rejects(startBroker({ ...quiet, dataDir, nodeId: 7 }), /belongs to node\.id 0, but this broker is node 7/, 'another node id is refused')
  const again = await startBroker({ ...quiet, dataDir })
  t.equal(again.nodeId, 0, 'the owner starts again')
  await again.close()
})

t.test('topic configs and deletions survive a restart on disk', async (t) => {
  const dataDir = tempDir(t)
  let broker = await startBroker({ ...quiet, dataDir })
  let c = await RawClient.connect(broker.port)
  await createTopic(c, 'small-messages', 1, { 'max.message.bytes': '1000' })
  await createTopic(c, 'removed')
  t.equal((await c.request(20, 6, { topics: [{ name: 'removed', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 })).responses[0].errorCode, 0)
  c.close()
  await broker.close()

  broker = await startBroker({ ...quiet, dataDir })
  t.teardown(() => broker.close())
  c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  t.equal((await produce(c, 'small-messages', 0, batchOf(['x'.repeat(2000)]))).errorCode, 10, 'max.message.bytes=1000 still applies: MESSAGE_TOO_LARGE')
  t.equal((await produce(c, 'small-messages', 0, batchOf(['fits']))).errorCode, 0)
  t.equal((await produce(c, 'removed', 0, batchOf(['x']))).errorCode, 3, 'the deleted topic stays deleted')
  t.equal(broker.stats().topics, 1)
})

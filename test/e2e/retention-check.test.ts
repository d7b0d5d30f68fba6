// log.retention.check.interval.ms: segments past retention.ms go without any admin call,
// within a few checks of the configured interval (Kafka's default is 5 minutes, far
// beyond this test's bounded wait, so the test fails if the option is not applied).

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic, produce } from '../helpers/wire-requests.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'

async function logStart(c: RawClient, topic: string): Promise<number> {
  const r = await c.request(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }] })
  return r.topics[0].partitions[0].offset
}

t.test('segments past retention.ms are deleted by the periodic check at log.retention.check.interval.ms', async (t) => {
  const broker = await memoryBroker(t, { logRetentionCheckIntervalMs: 50 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'aging', 1, { 'segment.bytes': '1024', 'retention.ms': '60000' })
  await createTopic(c, 'young', 1, { 'segment.bytes': '1024', 'retention.ms': '60000' })
  const old = Date.now() - 3_600_000
  for (let i = 0; i < 8; i++) {
    t.equal((await produce(c, 'aging', 0, buildRecordBatch({ baseTimestamp: old, records: [{ value: Buffer.from(`old-${i}-${'x'.repeat(300)}`) }] }))).errorCode, 0)
    t.equal((await produce(c, 'young', 0, buildRecordBatch({ baseTimestamp: Date.now(), records: [{ value: Buffer.from(`new-${i}-${'x'.repeat(300)}`) }] }))).errorCode, 0)
  }
  let start = await logStart(c, 'aging')
  for (let i = 0; i < 200 && start === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    start = await logStart(c, 'aging')
  }
  t.ok(start > 0, `the old segments went by themselves (log start ${start})`)
  t.equal(await logStart(c, 'young'), 0, 'records within retention.ms stay')
})

// What a commit guarantees. Committed offsets live in __consumer_offsets and are replayed
// at start-up: after a graceful restart, and after kill -9 with --fsync always, a new
// consumer in the group resumes exactly after the last commit. And where the commit sits
// relative to processing decides the delivery guarantee: commit-before-processing loses
// the message a crash interrupts (at most once), commit-after redelivers it (at least once).

import t, { type Test } from 'tap'
import type { Consumer, Kafka } from 'kafkajs'
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { advanceUntil, groupBroker, settledWithin, waitFor } from '../helpers/groups.ts'
import { nodeScript } from '../helpers/line-process.ts'

const env = { SAMSA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' }

async function setup(kafka: Kafka, topic: string, perPartition: number): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition * 2 }, (_, i) => ({ partition: i % 2, value: `p${i % 2}-${i >> 1}` })) })
  await producer.disconnect()
}

async function committed(kafka: Kafka, groupId: string, topic: string): Promise<number[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] })
    return res[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset))
  } finally {
    await admin.disconnect()
  }
}

/**
 * A kafkajs member that processes and synchronously commits the first `limits[p]` messages
 * of each partition and leaves later ones unprocessed and uncommitted.
 */
async function consumeUpTo(t: Test, kafka: Kafka, groupId: string, topic: string, limits: number[], sessionTimeout = 10_000): Promise<{ consumer: Consumer; processed: Array<[number, number]>; lastCommit: number[] }> {
  // No restarts after a failure: when the broker is killed under it, this consumer stops.
  const consumer = kafka.consumer({ groupId, sessionTimeout, heartbeatInterval: 300, maxWaitTimeInMs: 100, retry: { retries: 0, restartOnFailure: async () => false } })
  const processed: Array<[number, number]> = []
  const lastCommit = limits.map(() => -1)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const offset = Number(message.offset)
      if (processed.filter(([p]) => p === partition).length >= limits[partition]!) return
      processed.push([partition, offset])
      await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }])
      lastCommit[partition] = offset + 1
    },
  })
  await waitFor(() => lastCommit.every((c, p) => c === limits[p]), `commits up to ${limits}`)
  t.same(limits.map((_, p) => processed.filter(([q]) => q === p).map(([, o]) => o)), limits.map((n) => Array.from({ length: n }, (_, o) => o)), 'a new group starts each partition at offset 0 (no commit yet) and processes in order')
  return { consumer, processed, lastCommit }
}

/**
 * A fresh member of the group reads and commits until its commits reach `ends` (the
 * partitions' log ends), then leaves; returns everything it was delivered. Once it has
 * committed the ends it has read each partition to its end, and after it left nothing more
 * can arrive: the list is complete, re-reads and all.
 */
async function resume(kafka: Kafka, groupId: string, topic: string, ends: number[]): Promise<Array<[number, number]>> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 })
  const got: Array<[number, number]> = []
  const lastCommit = ends.map(() => -1)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const offset = Number(message.offset)
      got.push([partition, offset])
      await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }])
      lastCommit[partition] = offset + 1
    },
  })
  await waitFor(() => lastCommit.every((c, p) => c === ends[p]), `commits up to the log ends ${ends} after the restart`)
  await consumer.disconnect()
  return got
}

const expectedAfter = (commits: number[], perPartition: number): Array<[number, number]> =>
  commits.flatMap((c, p) => Array.from({ length: perPartition - c }, (_, i): [number, number] => [p, c + i]))

const sorted = (xs: Array<[number, number]>): Array<[number, number]> => [...xs].sort((a, b) => a[0] - b[0] || a[1] - b[1])

t.test('committed offsets survive a graceful restart', async (t) => {
  const dataDir = tempDir(t)
  let broker: ChildBroker = await spawnBroker(['--data-dir', dataDir], env)
  t.teardown(() => broker.child.kill('SIGKILL'))
  let kafka = kafkaClient(broker.port, 'durable')
  await setup(kafka, 'durable-g', 50)

  const limits = [37, 13]
  const first = await consumeUpTo(t, kafka, 'dg', 'durable-g', limits)
  t.same(first.lastCommit, limits, 'the consumer committed 37 on partition 0 and 13 on partition 1')
  await first.consumer.disconnect()
  t.same(await committed(kafka, 'dg', 'durable-g'), limits, 'OffsetFetch before the restart')

  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0, 'SIGTERM exits 0')
  broker = await spawnBroker(['--data-dir', dataDir], env)
  kafka = kafkaClient(broker.port, 'durable')
  t.same(await committed(kafka, 'dg', 'durable-g'), limits, 'OffsetFetch after the restart: the same commits, replayed from __consumer_offsets')
  const got = await resume(kafka, 'dg', 'durable-g', [50, 50])
  t.same(sorted(got), expectedAfter(limits, 50), 'a new member resumes exactly after the last commit: nothing skipped, nothing before it re-read')
  t.same([got.find(([p]) => p === 0)?.[1], got.find(([p]) => p === 1)?.[1]], limits, 'its first offsets are the committed ones')
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0)
})

t.test('committed offsets survive kill -9 with --fsync always', async (t) => {
  const dataDir = tempDir(t)
  // A short session timeout for the member that is still in the group when the broker
  // dies, so that the restarted broker (real clock) drops it quickly if it restored it.
  const crashEnv = { ...env, SAMSA_GROUP_MIN_SESSION_TIMEOUT_MS: '1000' }
  let broker: ChildBroker = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always'], crashEnv)
  t.teardown(() => broker.child.kill('SIGKILL'))
  let kafka = kafkaClient(broker.port, 'crashy')
  await setup(kafka, 'crashy-g', 50)

  const limits = [21, 44]
  const first = await consumeUpTo(t, kafka, 'cg', 'crashy-g', limits, 2_000)
  // The broker dies while the member is still in the group, right after the acknowledged commits.
  broker.child.kill('SIGKILL')
  await broker.exited
  // Stop the old client (its broker is gone): best effort, bounded, not part of the claim.
  if (!(await settledWithin(first.consumer.disconnect(), 5_000))) t.comment('the old consumer did not finish disconnecting within 5 s')

  broker = await spawnBroker(['--data-dir', dataDir, '--fsync', 'always'], crashEnv)
  t.match(broker.output(), /recovered logs/, 'the restart ran crash recovery')
  kafka = kafkaClient(broker.port, 'crashy')
  t.same(await committed(kafka, 'cg', 'crashy-g'), limits, 'every acknowledged commit survived the crash')
  const got = await resume(kafka, 'cg', 'crashy-g', [50, 50])
  t.same(sorted(got), expectedAfter(limits, 50), 'a new member resumes exactly after the last commit')
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0)
})

t.test('commit before processing loses the message a crash interrupts; commit after redelivers it', async (t) => {
  const { port, clock } = await groupBroker(t)
  const kafka = kafkaClient(port, 'semantics')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'sem', numPartitions: 1 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'sem', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `v${i}` })) })
  await producer.disconnect()

  for (const mode of ['commit-before', 'commit-after'] as const) {
    const groupId = `g-${mode}`
    const crashing = nodeScript(t, 'group-child-consumer.ts', { port, groupId, topic: 'sem', clientId: `${mode}-1`, mode, hangOn: 'v4' })
    const hang = await crashing.waitEvent((e) => e.event === 'hang', `${mode}: the consumer is processing v4`)
    t.equal(hang.offset, 4, `${mode}: crash while processing offset 4`)
    crashing.kill('SIGKILL')
    await crashing.exited
    t.same(crashing.of('processed').map((e) => e.value), ['v0', 'v1', 'v2', 'v3'], `${mode}: v0-v3 were fully processed before the crash`)
    t.equal(crashing.of('committed').at(-1)?.offset, mode === 'commit-before' ? 5 : 4, `${mode}: last commit before the crash`)

    // The restarted consumer joins; the dead member holds up the rebalance until its
    // session timeout, which the test drives on the broker's clock.
    // (kafkajs's run() itself waits for the join, so the clock must move first.)
    const restarted = nodeScript(t, 'group-child-consumer.ts', { port, groupId, topic: 'sem', clientId: `${mode}-2`, mode })
    await advanceUntil(clock, () => restarted.of('joined').some((e) => (e.assignment.sem ?? []).length === 1), `${mode}: the restarted consumer gets the partition`)
    await restarted.waitEvent((e) => e.event === 'processed' && e.value === 'v9', `${mode}: restarted consumer reaches v9`)
    await restarted.waitEvent((e) => e.event === 'committed' && e.offset === 10, `${mode}: restarted consumer commits the log end`)
    // Its whole run is on record once it has left: whatever it processed is in `again`.
    t.equal(await restarted.stop('close'), 0, `${mode}: restarted consumer leaves cleanly`)
    const again = restarted.of('processed').map((e) => e.value)
    if (mode === 'commit-before') {
      t.same(again, ['v5', 'v6', 'v7', 'v8', 'v9'], 'at most once: the restarted consumer starts after v4, which is never processed by anyone')
    } else {
      t.same(again, ['v4', 'v5', 'v6', 'v7', 'v8', 'v9'], 'at least once: the restarted consumer processes v4 again, then the rest')
    }
  }
})

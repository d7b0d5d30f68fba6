// Log compaction seen by real clients: 100,000 keyed records over 1,000 keys (some
// deleted) in small segments; after the cleaner runs, kcat and kafkajs reading from
// offset 0 see exactly the newest value of each live key, at its original offset, and
// the segment files shrank. Tombstones go once delete.retention.ms has passed on the
// broker's storage clock. `__consumer_offsets` gets compacted too, so a restart replays
// its live keys rather than every commit ever made.

import t from 'tap'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { tempDir } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run } from '../helpers/external.ts'
import { pino } from 'pino'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic } from '../helpers/wire-requests.ts'
import { Api, commitSimple, fetchCommitted } from '../helpers/groups.ts'

const KEYS = 1_000
const RECORDS = 100_000
const DAY = 86_400_000

function logBytes(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) if (name.endsWith('.log')) total += statSync(join(dir, name)).size
  return total
}

t.test('a compacted topic read by kcat and kafkajs after cleaning', async (t) => {
  const dataDir = tempDir(t)
  const clock = new ManualClock(Date.now())
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent', logCleanerBackoffMs: 3_600_000 }, { storageClock: clock })
  t.teardown(() => broker.close())
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'table', numPartitions: 1, configEntries: [
    { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '65536' }, { name: 'delete.retention.ms', value: String(DAY) },
  ] }] })

  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  const newest = new Map<string, { offset: number; value: string | null }>()
  const all: Array<{ offset: number; key: string; value: string | null }> = []
  let seed = 1
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  for (let i = 0; i < RECORDS; i += 2_000) {
    const messages = Array.from({ length: 2_000 }, (_, j) => ({ key: `key-${Math.floor(random() * KEYS)}`, value: random() < 0.03 ? null : `v-${i + j}` }))
    const [r] = await producer.send({ topic: 'table', messages })
    const base = Number(r!.baseOffset)
    messages.forEach((m, j) => {
      newest.set(m.key, { offset: base + j, value: m.value })
      all.push({ offset: base + j, key: m.key, value: m.value })
    })
  }
  const partitionDir = join(dataDir, 'table-0')
  const before = logBytes(partitionDir)
  t.ok(readdirSync(partitionDir).filter((n) => n.endsWith('.log')).length > 20, 'the log rolled into many segments')

  t.ok(await broker.cleanLogs() >= 1, 'the cleaner cleaned the topic')
  const after = logBytes(partitionDir)
  t.ok(after < before / 5, `segment files shrank from ${before} to ${after} bytes`)

  const kcat = async (): Promise<string[]> => {
    const r = await run('kcat', ['-b', `127.0.0.1:${broker.port}`, '-C', '-t', 'table', '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o %k=%s\n'])
    return r.stdout.split('\n').filter((l) => l !== '')
  }
  // The active segment is never cleaned: records below it must be exactly the newest per key.
  const activeBase = Math.max(...readdirSync(partitionDir).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))))
  const below = (lines: string[]): string[] => lines.filter((l) => Number(l.split(' ')[0]) < activeBase)
  // Below the active segment: the newest record of each key among those below it (a newer one in the active segment is not in the map yet).
  const newestBelow = new Map<string, { offset: number; key: string; value: string | null }>()
  for (const r of all) if (r.offset < activeBase) newestBelow.set(r.key, r)
  const expected = [...newestBelow.values()].sort((a, b) => a.offset - b.offset).map((r) => `${r.offset} ${r.key}=${r.value ?? 'NULL'}`)
  const seen = await kcat()
  t.same(below(seen), below(expected), 'kcat: the newest record of each key, tombstones included, in offset order, at the original offsets')
  t.equal(new Set(seen.map((l) => l.split(' ')[1]!.split('=')[0])).size, newest.size, 'every key is still there')

  const consumer = kafka.consumer({ groupId: 'compaction-reader' })
  await consumer.connect()
  t.teardown(() => consumer.disconnect())
  await consumer.subscribe({ topic: 'table', fromBeginning: true })
  const got: string[] = []
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => {
      got.push(`${message.offset} ${message.key?.toString()}=${message.value?.toString() ?? 'NULL'}`)
      if (got.length === seen.length) resolve()
    } }).catch(reject)
  })
  t.same(got, seen, 'kafkajs reads the same records at the same offsets')
  await consumer.stop()

  // Tombstones go after delete.retention.ms, at the next clean (new records make the log dirty again).
  clock.advance(DAY + 1)
  await producer.send({ topic: 'table', messages: Array.from({ length: 3_000 }, (_, i) => ({ key: `later-${i % 10}`, value: 'x'.repeat(100) })) })
  await broker.cleanLogs()
  const later = await kcat()
  t.same(below(later).filter((l) => l.endsWith('=NULL')), [], 'no tombstone is left below the old active segment after delete.retention.ms')
})

// `__consumer_offsets`: commits by several groups in small segments, then the cleaner,
// then restarts. The coordinator logs how many records its start-up replay read: before
// cleaning that is every commit ever made, after it about one per live key.
//
// Commits go over the raw wire (OffsetCommit v8, generation −1, as admin tools commit for
// a group without members). kafkajs admin.setOffsets cannot drive this: it joins the
// group with a consumer that pauses the topic, and kafkajs then sleeps maxWaitTime (5 s)
// before its first fetch event, so each call takes 5 s on Kafka too. Segments shrink with
// IncrementalAlterConfigs: the legacy AlterConfigs replaces a topic's whole override set,
// so sending segment.bytes alone would also drop cleanup.policy=compact, as in Kafka.
t.test('__consumer_offsets is compacted; a restart replays the live keys only, with every commit right', async (t) => {
  const GROUPS = 10
  const PARTITIONS = 10
  const ROUNDS = 200
  const dataDir = tempDir(t)
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) })
  const options = { host: '127.0.0.1', port: 0, dataDir, shards: 1, offsetsTopicNumPartitions: 1, logCleanerBackoffMs: 3_600_000 }
  const replayedRecords = (): number => {
    const line = lines.filter((l) => l.includes('"topic":"__consumer_offsets"') && l.includes('replayed coordinator topic')).at(-1)
    if (line === undefined) throw new Error('the group coordinator logged no replay')
    return JSON.parse(line).records as number
  }

  let broker = await startBroker(options, { logger })
  let c = await RawClient.connect(broker.port)
  await createTopic(c, 'events', PARTITIONS)
  const groups = Array.from({ length: GROUPS }, (_, g) => `group-${g}`)
  const commitRound = (round: number): Promise<unknown[]> => Promise.all(groups.map((groupId) => c.request(Api.OffsetCommit, 8, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'events', partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: round * PARTITIONS + p, committedLeaderEpoch: -1, committedMetadata: `r${round}` })) }],
  })))
  await commitRound(0)
  const described = await c.request(32, 4, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configurationKeys: ['cleanup.policy', 'compression.type', 'segment.bytes'] }], includeSynonyms: false, includeDocumentation: false })
  t.same(Object.fromEntries(described.results[0].configs.map((e: any) => [e.name, e.value])), { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '104857600' }, 'created with the overrides Kafka gives __consumer_offsets')
  // Kafka's 100 MiB offsets segments would not roll in a test: 16 KiB ones do.
  const altered = await c.request(44, 0, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configs: [{ name: 'segment.bytes', configOperation: 0, value: '16384' }] }], validateOnly: false })
  t.equal(altered.responses[0].errorCode, 0, 'segment.bytes of __consumer_offsets lowered')
  for (let round = 1; round < ROUNDS; round++) {
    const answers = await commitRound(round)
    if (answers.some((a: any) => a.topics[0].partitions.some((p: any) => p.errorCode !== 0))) throw new Error(`commit round ${round} failed`)
  }
  // A group that commits and is then deleted: its tombstones must keep it deleted after cleaning.
  for (let round = 0; round < 20; round++) await commitSimple(c, 'deleted-group', 'events', { 0: round })
  t.same((await c.request(Api.DeleteGroups, 2, { groupsNames: ['deleted-group'] })).results.map((r: any) => r.errorCode), [0], 'deleted-group deleted')
  // Then enough commits by another group that everything above lies below the active segment, where the cleaner works.
  const filler = Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, 0]))
  for (let round = 0; round < 100; round++) await commitSimple(c, 'filler', 'events', Object.fromEntries(Object.keys(filler).map((p) => [p, round])))
  c.close()
  await broker.close()

  const restart = async (): Promise<void> => {
    broker = await startBroker(options, { logger })
    c = await RawClient.connect(broker.port)
  }
  const checkOffsets = async (when: string): Promise<void> => {
    let wrong = 0
    for (const groupId of groups) {
      const got = await fetchCommitted(c, groupId, 'events', Array.from({ length: PARTITIONS }, (_, p) => p), 8)
      for (let p = 0; p < PARTITIONS; p++) if (got[p]?.offset !== (ROUNDS - 1) * PARTITIONS + p || got[p]?.metadata !== `r${ROUNDS - 1}`) wrong++
    }
    t.equal(wrong, 0, `${when}: every group's newest commit on every partition`)
    t.equal((await fetchCommitted(c, 'deleted-group', 'events', [0], 8))[0]!.offset, -1, `${when}: the deleted group has no offsets`)
    t.equal((await fetchCommitted(c, 'filler', 'events', [0, 9], 8))[9]!.offset, 99, `${when}: the last group's commits`)
  }

  await restart()
  const before = replayedRecords()
  t.ok(before >= GROUPS * PARTITIONS * ROUNDS, `before cleaning the replay read ${before} records (every commit)`)
  await checkOffsets('before cleaning')
  const partitionDir = join(dataDir, '__consumer_offsets-0')
  const bytesBefore = logBytes(partitionDir)
  t.ok(await broker.cleanLogs() >= 1, '__consumer_offsets was cleaned')
  t.ok(logBytes(partitionDir) < bytesBefore / 10, `its segment files shrank from ${bytesBefore} to ${logBytes(partitionDir)} bytes`)
  c.close()
  await broker.close()

  await restart()
  t.teardown(async () => {
    c.close()
    await broker.close()
  })
  const after = replayedRecords()
  // The live keys (group x partition, plus the deleted group's tombstones) and the active segment's records.
  t.ok(after < before / 10, `after cleaning the replay read ${after} records (was ${before})`)
  await checkOffsets('after cleaning')
})

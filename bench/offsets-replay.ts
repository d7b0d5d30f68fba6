// Start-up replay of `__consumer_offsets` before and after the log cleaner: N offset
// commits (OffsetCommit v8, generation −1, each one record per partition) by G groups
// over P partitions of one topic, in small offsets segments (S bytes); then restart and time the
// group coordinator's replay (it logs records read and ms), clean the logs, restart and
// time it again. Without compaction the replay grows with every commit ever made; after
// cleaning it reads about one record per live key (G × P) plus the active segment, so
// at most one segment's worth whatever the history (Kafka's is 100 MiB).
//   npx node bench/offsets-replay.ts [commits=200000] [groups=10] [partitions=10] [segmentBytes=65536]

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { startBroker, type RunningBroker } from '../src/broker.ts'
import { apiMessages } from '../protocol/messages/index.ts'
import { Reader } from '../protocol/wire/reader.ts'
import { decodeResponseHeader } from '../protocol/wire/headers.ts'
import { KafkaConn, createTopic, frameOf } from './lib/wire.ts'

const [commits = 200_000, groups = 10, partitions = 10, segmentBytes = 65_536] = process.argv.slice(2).map(Number)
const OFFSET_COMMIT = 8
const INCREMENTAL_ALTER_CONFIGS = 44
const IN_FLIGHT = 64

const root = mkdtempSync(join(tmpdir(), 'samsa-offsets-replay-'))
const lines: string[] = []
const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) })
const options = { host: '127.0.0.1', port: 0, dataDir: root, shards: 1, offsetsTopicNumPartitions: 1, logCleanerBackoffMs: 3_600_000, httpPort: -1 }

function lastReplay(): { records: number; batches: number; ms: number } {
  const line = lines.filter((l) => l.includes('"topic":"__consumer_offsets"') && l.includes('replayed coordinator topic')).at(-1)
  if (line === undefined) throw new Error('no replay logged')
  return JSON.parse(line)
}

async function request(conn: KafkaConn, apiKey: number, version: number, body: unknown): Promise<any> {
  const frame = await conn.request(frameOf(apiKey, version, 1, (w) => apiMessages[apiKey]!.encodeRequest(w, version, body as never)))
  const r = new Reader(frame)
  decodeResponseHeader(r, apiKey, version)
  return apiMessages[apiKey]!.decodeResponse(r, version)
}

async function restart(previous: RunningBroker | null): Promise<RunningBroker> {
  await previous?.close()
  return startBroker(options, { logger })
}

let broker: RunningBroker | null = null
try {
  broker = await startBroker(options, { logger })
  const conn = await KafkaConn.open(broker.port)
  conn.socket.setMaxListeners(IN_FLIGHT + 10)
  await createTopic(conn, 'events', partitions)
  const commitBody = (group: number, round: number): unknown => ({
    groupId: `group-${group}`, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'events', partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, committedOffset: round, committedLeaderEpoch: -1, committedMetadata: '' })) }],
  })
  await request(conn, OFFSET_COMMIT, 8, commitBody(0, 0))
  const altered = await request(conn, INCREMENTAL_ALTER_CONFIGS, 0, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configs: [{ name: 'segment.bytes', configOperation: 0, value: String(segmentBytes) }] }], validateOnly: false })
  if (altered.responses[0].errorCode !== 0) throw new Error(`IncrementalAlterConfigs: error ${altered.responses[0].errorCode}`)
  const requests = Math.ceil(commits / partitions)
  const started = performance.now()
  for (let i = 0; i < requests; i += IN_FLIGHT) {
    const answers = await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, requests - i) }, (_, j) => request(conn, OFFSET_COMMIT, 8, commitBody((i + j) % groups, Math.floor((i + j) / groups)))))
    if (answers.some((a) => a.topics[0].partitions.some((p: any) => p.errorCode !== 0))) throw new Error('a commit failed')
  }
  const fillSeconds = (performance.now() - started) / 1000
  conn.close()

  broker = await restart(broker)
  const before = lastReplay()
  const cleaned = await broker.cleanLogs()
  broker = await restart(broker)
  const after = lastReplay()
  console.log(`${requests * partitions} commits (${groups} groups x ${partitions} partitions, ${segmentBytes}-byte segments) written in ${fillSeconds.toFixed(1)} s; ${cleaned} clean(s)`)
  console.log(`replay before cleaning: ${before.records} records in ${before.batches} batches, ${before.ms} ms`)
  console.log(`replay after cleaning:  ${after.records} records in ${after.batches} batches, ${after.ms} ms (${(before.ms / Math.max(after.ms, 1)).toFixed(0)}x faster)`)
  console.log(`command: npx node bench/offsets-replay.ts ${commits} ${groups} ${partitions} ${segmentBytes}`)
} finally {
  await broker?.close()
  rmSync(root, { recursive: true, force: true })
}

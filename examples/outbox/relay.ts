// The outbox relay: publishes the service's outbox to Kafka, each row exactly once, even
// when it is killed at any instant.
//
// SQLite and Kafka cannot share a transaction, so the relay's position cannot live in
// SQLite: a crash between the Kafka commit and the SQLite update would publish the same
// rows again on restart. The position lives in Kafka instead, committed in the SAME Kafka
// transaction as the records it covers. The relay commits it as a consumer-group offset
// (sendOffsets) on a one-partition "progress" topic that never holds a record: the offset
// is simply "the next outbox id to publish". The transaction then commits the records and
// the new position together, or neither.
//
//   node examples/outbox/relay.ts --broker 127.0.0.1:9092 --db orders.db --topic order-events
//
// Options for demonstrations and tests:
//   --until-idle               exit once the outbox is drained instead of polling forever
//   --crash-after N            SIGKILL itself once N events have been published ...
//   --crash-point in-transaction   ... after sending them, before the commit (the default)
//   --crash-point after-commit     ... after the commit, before marking the rows in SQLite

import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs'
import type { DatabaseSync } from 'node:sqlite'
import { Header, log, openServiceDb, positiveInt, type OutboxRow } from './shared.ts'

interface RelayOptions {
  broker: string
  db: string
  topic: string
  partitions: number
  transactionalId: string
  progressTopic: string
  batchSize: number
  pollMs: number
  untilIdle: boolean
  crashAfter: number | null
  crashPoint: 'in-transaction' | 'after-commit'
}

function parseOptions(): RelayOptions {
  const { values } = parseArgs({
    options: {
      broker: { type: 'string', default: '127.0.0.1:9092' },
      db: { type: 'string' },
      topic: { type: 'string', default: 'order-events' },
      partitions: { type: 'string' },
      'transactional-id': { type: 'string' },
      'progress-topic': { type: 'string', default: 'outbox-relay-progress' },
      batch: { type: 'string' },
      'poll-ms': { type: 'string' },
      'until-idle': { type: 'boolean', default: false },
      'crash-after': { type: 'string' },
      'crash-point': { type: 'string', default: 'in-transaction' },
    },
  })
  if (values.db === undefined) throw new Error('--db is required')
  const crashPoint = values['crash-point']
  if (crashPoint !== 'in-transaction' && crashPoint !== 'after-commit') throw new Error('--crash-point is in-transaction or after-commit')
  return {
    broker: values.broker,
    db: values.db,
    topic: values.topic,
    partitions: positiveInt(values.partitions, 'partitions', 3),
    // Fixed per relay (per outbox), NOT random per process: a restarted relay must present
    // the same transactional id, so that Kafka fences its predecessor and aborts whatever
    // transaction the predecessor left open.
    transactionalId: values['transactional-id'] ?? `outbox-relay.${values.topic}`,
    progressTopic: values['progress-topic'],
    batchSize: positiveInt(values.batch, 'batch', 50),
    pollMs: positiveInt(values['poll-ms'], 'poll-ms', 500),
    untilIdle: values['until-idle'],
    crashAfter: values['crash-after'] === undefined ? null : positiveInt(values['crash-after'], 'crash-after'),
    crashPoint,
  }
}

/** The group whose committed offset is this relay's position. One per transactional id. */
function progressGroup(o: RelayOptions): string {
  return `${o.transactionalId}.progress`
}

async function ensureTopics(admin: Admin, o: RelayOptions): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const wanted = [
    { topic: o.topic, numPartitions: o.partitions },
    // Never written to: it only gives the position a topic-partition to be an offset of.
    { topic: o.progressTopic, numPartitions: 1 },
  ]
  const missing = wanted.filter((t) => !existing.has(t.topic))
  if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing })
}

/** The next outbox id to publish, as last committed in Kafka; null if there is none. */
async function committedPosition(admin: Admin, o: RelayOptions): Promise<number | null> {
  const [topic] = await admin.fetchOffsets({ groupId: progressGroup(o), topics: [o.progressTopic] })
  const offset = Number(topic?.partitions.find((p) => p.partition === 0)?.offset ?? -1)
  return offset < 0 ? null : offset
}

/**
 * 1 + the highest outbox id marked published. Rows are marked only after their
 * transaction committed, so this is never ahead of Kafka's position: it can raise the
 * position (if Kafka lost it: committed offsets expire offsets.retention.minutes after
 * the last commit, and a relay may sit idle that long), never lower it.
 */
function markedPosition(db: DatabaseSync): number {
  const row = db.prepare('SELECT coalesce(max(id), 0) + 1 AS next FROM outbox WHERE published_at IS NOT NULL').get() as { next: number }
  return row.next
}

function readBatch(db: DatabaseSync, from: number, limit: number): OutboxRow[] {
  return db
    .prepare(
      `SELECT id, event_id AS eventId, aggregate_id AS aggregateId, event_type AS eventType, payload
       FROM outbox WHERE id >= ? ORDER BY id LIMIT ?`,
    )
    .all(from, limit) as unknown as OutboxRow[]
}

/** Bookkeeping after a commit; if the relay dies before this runs, the next start does it. */
function markPublished(db: DatabaseSync, before: number): number {
  const { changes } = db
    .prepare('UPDATE outbox SET published_at = ? WHERE id < ? AND published_at IS NULL')
    .run(new Date().toISOString(), before)
  return Number(changes)
}

type CrashHook = (point: RelayOptions['crashPoint'], rows: OutboxRow[]) => void

/** Publishes `rows` and moves the position past them, atomically. Returns the new position. */
async function publish(producer: Producer, o: RelayOptions, rows: OutboxRow[], crash: CrashHook): Promise<number> {
  const next = rows[rows.length - 1]!.id + 1
  const txn = await producer.transaction()
  try {
    await txn.send({
      topic: o.topic,
      messages: rows.map((r) => ({
        key: r.aggregateId,
        value: r.payload,
        headers: { [Header.eventId]: r.eventId, [Header.eventType]: r.eventType, [Header.outboxId]: String(r.id) },
      })),
    })
    await txn.sendOffsets({
      consumerGroupId: progressGroup(o),
      topics: [{ topic: o.progressTopic, partitions: [{ partition: 0, offset: String(next) }] }],
    })
    crash('in-transaction', rows)
    await txn.commit()
  } catch (err) {
    // An abort is only a courtesy: if it fails too (e.g. we were fenced), the broker
    // aborts the transaction when it times out or when the next relay starts.
    await txn.abort().catch(() => {})
    throw err
  }
  return next
}

async function main(): Promise<void> {
  const o = parseOptions()
  const db = openServiceDb(o.db)
  const kafka = new Kafka({ clientId: 'outbox-relay', brokers: [o.broker], logLevel: logLevel.WARN })
  const admin = kafka.admin()
  const producer = kafka.producer({
    transactionalId: o.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    // Java-compatible partitioning by key (murmur2), so every client agrees on where a customer's events are.
    createPartitioner: Partitioners.DefaultPartitioner,
  })

  let stopping = false
  const stop = (): void => {
    stopping = true
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  await admin.connect()
  await ensureTopics(admin, o)
  // Order matters. Connecting the producer sends InitProducerId for our transactional id:
  // Kafka bumps the epoch (a previous relay still alive somewhere can no longer commit)
  // and aborts, or finishes committing, the transaction a previous relay left behind.
  // Only after that is the committed position final, so only then is it read.
  await producer.connect()
  const inKafka = await committedPosition(admin, o)
  const inSqlite = markedPosition(db)
  let next = Math.max(inKafka ?? 1, inSqlite)
  log('resumed', { nextId: next, inKafka, inSqlite, markedOnResume: markPublished(db, next) })

  let published = 0
  // SIGKILL, not an exception: nothing gets to clean up, as when the machine dies.
  const crash: CrashHook = (point, rows) => {
    if (o.crashAfter === null || point !== o.crashPoint || published < o.crashAfter) return
    log('crashing', { point, published, firstId: rows[0]!.id, lastId: rows[rows.length - 1]!.id })
    process.kill(process.pid, 'SIGKILL')
  }

  while (!stopping) {
    const rows = readBatch(db, next, o.batchSize)
    if (rows.length === 0) {
      if (o.untilIdle) break
      await sleep(o.pollMs)
      continue
    }
    published += rows.length
    const committed = await publish(producer, o, rows, crash)
    log('committed', { firstId: rows[0]!.id, lastId: committed - 1, count: rows.length })
    next = committed
    crash('after-commit', rows)
    markPublished(db, next)
  }

  log('idle', { nextId: next, published })
  await producer.disconnect()
  await admin.disconnect()
  db.close()
}

await main()

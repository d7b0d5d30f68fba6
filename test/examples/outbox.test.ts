// The transactional outbox example (examples/outbox) end to end, against a real Samsa:
// the service writes 200 orders, the relay is SIGKILLed mid-way and restarted, and the
// consumer applies every event exactly once.
//
// Two crash points: inside an open Kafka transaction (the records are in the log, the
// commit never came: read_uncommitted shows them twice, read_committed once), and after
// the commit but before the relay marked its SQLite rows (the restart resumes from the
// position committed in Kafka, so nothing is published twice at all). A third case loses
// the position in Kafka altogether: the relay falls back on the rows it marked.
//
// The service runs in this process; the relay and the consumer are child processes, so
// that they can be SIGKILLed, talking to an in-process broker over 127.0.0.1.

import t, { type Test } from 'tap'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { Kafka, logLevel } from 'kafkajs'
import { memoryBroker, repoRoot, tempDir } from '../helpers/broker.ts'
import { LineProcess, type JsonEvent } from '../helpers/line-process.ts'
import { placeOrders } from '../../examples/outbox/service.ts'

const ORDERS = 200
const CUSTOMERS = 10
const PARTITIONS = 3
const BATCH = 25

interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  events: JsonEvent[]
  stderr: string
}

/** Runs one of the example programs to its end (bounded), returning its JSON lines. */
async function runExample(t: Test, script: string, args: string[], timeoutMs = 30_000): Promise<Ran> {
  const p = new LineProcess(process.execPath, [join(repoRoot, 'examples/outbox', script), ...args])
  t.teardown(() => p.kill())
  const timer = setTimeout(() => p.kill(), timeoutMs)
  await p.exited
  clearTimeout(timer)
  return { code: p.child.exitCode, signal: p.child.signalCode, events: p.events, stderr: p.stderr }
}

function ofEvent(ran: Ran, event: string): JsonEvent[] {
  return ran.events.filter((e) => e.event === event)
}

interface ReadBack {
  outboxId: number
  eventId: string
  key: string
  partition: number
}

/**
 * Reads the whole topic at one isolation level. To know where "the whole topic" ends,
 * the caller first appends a sentinel to every partition; a reader that has seen all the
 * sentinels has seen everything before them.
 */
async function readTopic({ kafka, topic }: Setup, readUncommitted: boolean): Promise<ReadBack[]> {
  const consumer = kafka.consumer({ groupId: `read-back-${readUncommitted}-${process.hrtime.bigint()}`, readUncommitted, maxWaitTimeInMs: 200 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const got: ReadBack[] = []
    const sentinels = new Set<number>()
    let done!: () => void
    const all = new Promise<void>((resolve) => (done = resolve))
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.headers?.sentinel !== undefined) sentinels.add(partition)
        else got.push({ outboxId: Number(message.headers!['outbox-id']!.toString()), eventId: message.headers!['event-id']!.toString(), key: message.key!.toString(), partition })
        if (sentinels.size === PARTITIONS) done()
      },
    })
    const timer = setTimeout(done, 20_000)
    await all
    clearTimeout(timer)
    if (sentinels.size !== PARTITIONS) throw new Error(`read-back saw sentinels of ${sentinels.size}/${PARTITIONS} partitions within 20 s`)
    return got
  } finally {
    await consumer.disconnect()
  }
}

async function appendSentinels({ kafka, topic }: Setup): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: 'end', headers: { sentinel: 'yes' } })) })
  await producer.disconnect()
}

function counts<T>(values: T[]): Map<T, number> {
  const m = new Map<T, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  return m
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

interface Setup {
  kafka: Kafka
  topic: string
  serviceDb: string
  dir: string
  relayArgs: string[]
  consumerArgs: (db: string, group: string) => string[]
}

// One broker for the three cases (each its own topic, hence its own relay transactional
// id and progress group): starting a broker's shard workers is the slowest step here.
const broker = await memoryBroker(t, { transactionStateLogNumPartitions: 4, offsetsTopicNumPartitions: 4 })
const address = `127.0.0.1:${broker.port}`

/** A topic for the case, and a service database holding 200 orders. */
function setUp(t: Test, topic: string): Setup {
  const dir = tempDir(t, 'samsa-outbox-')
  const serviceDb = join(dir, 'orders.db')
  const kafka = new Kafka({ clientId: 'outbox-test', brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } })

  // The service runs in this process: it is plain synchronous SQLite, with nothing to kill.
  placeOrders(serviceDb, ORDERS, CUSTOMERS)

  return {
    kafka,
    topic,
    serviceDb,
    dir,
    relayArgs: ['--broker', address, '--db', serviceDb, '--topic', topic, '--partitions', String(PARTITIONS), '--batch', String(BATCH), '--until-idle'],
    consumerArgs: (db, group) => ['--broker', address, '--db', db, '--topic', topic, '--group', group, '--expect', String(ORDERS), '--timeout-ms', '30000'],
  }
}

/** Outbox ids the service marked published, as a sorted list. */
function markedPublished(serviceDb: string): number[] {
  const db = new DatabaseSync(serviceDb, { readOnly: true })
  try {
    return (db.prepare('SELECT id FROM outbox WHERE published_at IS NOT NULL ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id)
  } finally {
    db.close()
  }
}

/** The relay's progress group: its default name, from the relay's default transactional id. */
function progressGroup(topic: string): string {
  return `outbox-relay.${topic}.progress`
}

async function committedPosition({ kafka, topic }: Setup): Promise<string> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [progress] = await admin.fetchOffsets({ groupId: progressGroup(topic), topics: ['outbox-relay-progress'] })
    return progress!.partitions[0]!.offset
  } finally {
    await admin.disconnect()
  }
}

/** Runs the consumer and checks its database: 200 events, each once, each customer's in outbox order. */
async function consumeAndCheck(t: Test, setup: Setup): Promise<void> {
  const statsDb = join(setup.dir, 'stats.db')
  const consumer = await runExample(t, 'consumer.ts', setup.consumerArgs(statsDb, 'order-stats'))
  t.equal(consumer.code, 0, `the consumer handled ${ORDERS} events`, { stderr: consumer.stderr })
  t.match(ofEvent(consumer, 'done')[0], { reason: 'expected', applied: ORDERS, duplicates: 0 })

  const db = new DatabaseSync(statsDb, { readOnly: true })
  const service = new DatabaseSync(setup.serviceDb, { readOnly: true })
  t.teardown(() => {
    db.close()
    service.close()
  })
  const applied = db.prepare('SELECT event_id AS eventId, aggregate_id AS aggregateId, outbox_id AS outboxId FROM applied_events ORDER BY seq').all() as Array<{ eventId: string; aggregateId: string; outboxId: number }>
  t.equal(applied.length, ORDERS, 'applied 200 events')
  t.equal(new Set(applied.map((a) => a.eventId)).size, ORDERS, '200 distinct event ids')
  const outboxIds = (service.prepare('SELECT event_id AS eventId FROM outbox').all() as Array<{ eventId: string }>).map((r) => r.eventId)
  t.same(applied.map((a) => a.eventId).sort(), outboxIds.sort(), 'exactly the events of the outbox')

  const perCustomer = new Map<string, number[]>()
  for (const a of applied) perCustomer.set(a.aggregateId, [...(perCustomer.get(a.aggregateId) ?? []), a.outboxId])
  t.equal(perCustomer.size, CUSTOMERS)
  t.ok([...perCustomer.values()].every((ids) => ids.every((id, i) => i === 0 || ids[i - 1]! < id)), "each customer's events applied in the order they were written")

  const stats = db.prepare('SELECT customer_id AS customerId, orders, total_cents AS totalCents FROM customer_stats ORDER BY customer_id').all()
  const expected = service.prepare('SELECT customer_id AS customerId, count(*) AS orders, sum(amount_cents) AS totalCents FROM orders GROUP BY customer_id ORDER BY customer_id').all()
  t.same(stats, expected, 'the projection matches the orders table')

  // Replaying the whole topic (a new group starts from the beginning) changes nothing.
  const replay = await runExample(t, 'consumer.ts', setup.consumerArgs(statsDb, 'order-stats-replay'))
  t.equal(replay.code, 0, `the replay handled ${ORDERS} events`, { stderr: replay.stderr })
  t.match(ofEvent(replay, 'done')[0], { applied: 0, duplicates: ORDERS }, 'a replay applies nothing: every event is recognised')
}

t.test('relay killed inside an open transaction: aborted on restart, every event applied once', async (t) => {
  const setup = setUp(t, 'order-events.in-transaction')

  const crashed = await runExample(t, 'relay.ts', [...setup.relayArgs, '--crash-after', '100', '--crash-point', 'in-transaction'])
  t.equal(crashed.signal, 'SIGKILL', 'the relay died of SIGKILL', { stderr: crashed.stderr })
  t.same(ofEvent(crashed, 'committed').map((e) => e.lastId), [25, 50, 75], 'three batches committed')
  t.match(ofEvent(crashed, 'crashing'), [{ point: 'in-transaction', firstId: 76, lastId: 100 }], 'killed with outbox rows 76..100 sent but not committed')
  t.same(markedPublished(setup.serviceDb), range(1, 75), 'rows 1..75 marked published')
  t.equal(await committedPosition(setup), '76', "the open transaction's progress (101) is not committed")

  const restarted = await runExample(t, 'relay.ts', setup.relayArgs)
  // Everything after this depends on a drained outbox: stop here rather than wait out the consumers' bounds.
  if (!t.equal(restarted.code, 0, 'the restarted relay drained the outbox', { stderr: restarted.stderr })) return
  t.match(ofEvent(restarted, 'resumed'), [{ nextId: 76, inKafka: 76, inSqlite: 76, markedOnResume: 0 }], 'resumed at 76, the position committed in Kafka')
  t.match(ofEvent(restarted, 'idle'), [{ nextId: ORDERS + 1, published: ORDERS - 75 }])
  t.same(markedPublished(setup.serviceDb), range(1, ORDERS), 'every row marked published')

  await consumeAndCheck(t, setup)

  await appendSentinels(setup)
  const committed = await readTopic(setup, false)
  t.equal(committed.length, ORDERS, 'read_committed: 200 records')
  t.equal(new Set(committed.map((r) => r.eventId)).size, ORDERS, 'read_committed: each event id once')
  t.ok(committed.every((r) => r.key === `customer-${(r.outboxId - 1) % CUSTOMERS}`), 'keyed by customer')
  const partitionsOfCustomer = new Map<string, Set<number>>()
  for (const r of committed) partitionsOfCustomer.set(r.key, (partitionsOfCustomer.get(r.key) ?? new Set()).add(r.partition))
  t.ok([...partitionsOfCustomer.values()].every((p) => p.size === 1), "each customer's events in one partition")

  const everything = await readTopic(setup, true)
  const twice = [...counts(everything.map((r) => r.outboxId))].filter(([, n]) => n > 1).map(([id]) => id).sort((a, b) => a - b)
  t.equal(everything.length, ORDERS + 25, 'read_uncommitted: 225 records, the aborted ones included')
  t.same(twice, range(76, 100), 'read_uncommitted: exactly the rows of the killed transaction appear twice')
})

t.test('relay killed after the commit, before marking its rows: nothing is published twice', async (t) => {
  const setup = setUp(t, 'order-events.after-commit')

  const crashed = await runExample(t, 'relay.ts', [...setup.relayArgs, '--crash-after', '100', '--crash-point', 'after-commit'])
  t.equal(crashed.signal, 'SIGKILL', 'the relay died of SIGKILL', { stderr: crashed.stderr })
  t.same(ofEvent(crashed, 'committed').map((e) => e.lastId), [25, 50, 75, 100], 'four batches committed')
  t.same(markedPublished(setup.serviceDb), range(1, 75), 'rows 76..100 committed to Kafka but not marked in SQLite')
  t.equal(await committedPosition(setup), '101', 'the position committed with them is 101')

  const restarted = await runExample(t, 'relay.ts', setup.relayArgs)
  if (!t.equal(restarted.code, 0, 'the restarted relay drained the outbox', { stderr: restarted.stderr })) return
  t.match(ofEvent(restarted, 'resumed'), [{ nextId: 101, inKafka: 101, inSqlite: 76, markedOnResume: 25 }], 'resumed at 101 from Kafka, not 76 from SQLite, and caught up the marks')
  t.match(ofEvent(restarted, 'committed')[0], { firstId: 101 }, 'rows 76..100 were not sent again')
  t.same(markedPublished(setup.serviceDb), range(1, ORDERS), 'every row marked published')

  await appendSentinels(setup)
  const everything = await readTopic(setup, true)
  t.equal(everything.length, ORDERS, 'read_uncommitted: 200 records, no duplicate even among uncommitted data')
  t.same(everything.map((r) => r.outboxId).sort((a, b) => a - b), range(1, ORDERS), 'each outbox row once')
})

t.test('position lost in Kafka (as when committed offsets expire): the SQLite marks are a safe floor', async (t) => {
  const setup = setUp(t, 'order-events.floor')

  const first = await runExample(t, 'relay.ts', setup.relayArgs)
  t.equal(first.code, 0, 'the relay drained the outbox', { stderr: first.stderr })
  t.equal(await committedPosition(setup), String(ORDERS + 1))

  const admin = setup.kafka.admin()
  await admin.connect()
  await admin.deleteGroups([progressGroup(setup.topic)])
  await admin.disconnect()
  t.equal(await committedPosition(setup), '-1', 'the position is gone from Kafka')

  placeOrders(setup.serviceDb, 50, CUSTOMERS)
  const restarted = await runExample(t, 'relay.ts', setup.relayArgs)
  if (!t.equal(restarted.code, 0, 'the restarted relay drained the outbox', { stderr: restarted.stderr })) return
  t.match(ofEvent(restarted, 'resumed'), [{ nextId: ORDERS + 1, inKafka: null, inSqlite: ORDERS + 1 }], 'resumed after the rows it had marked')
  t.match(ofEvent(restarted, 'idle'), [{ nextId: ORDERS + 51, published: 50 }], 'published only the new orders')

  await appendSentinels(setup)
  const everything = await readTopic(setup, true)
  t.same(everything.map((r) => r.outboxId).sort((a, b) => a - b), range(1, ORDERS + 50), 'each outbox row once')
})

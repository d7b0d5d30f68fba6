// A downstream service that keeps per-customer order statistics from the OrderPlaced
// events, applying each event once.
//
// It reads with isolation read_committed, so records of aborted relay transactions never
// reach it. It is idempotent anyway, because a consumer sees an event again whenever it
// processes it and then crashes (or rebalances) before committing its offset. So the
// event id goes into the consumer's own database in the SAME local transaction as the
// effect: an event whose id is already there is skipped.
//
//   node examples/outbox/consumer.ts --broker 127.0.0.1:9092 --db stats.db --topic order-events
//
//   --group G         consumer group (default order-stats)
//   --expect M        exit after handling M events (applied or skipped as duplicates)
//   --timeout-ms T    give up after T ms (exit code 2)

import { parseArgs } from 'node:util'
import { DatabaseSync } from 'node:sqlite'
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs'
import { Header, inTransaction, log, positiveInt, type OrderPlaced } from './shared.ts'

function openStatsDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path)
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA busy_timeout = 10000;

    -- The idempotence table: one row per event ever applied. seq records the order in
    -- which they were applied.
    CREATE TABLE IF NOT EXISTS applied_events (
      seq          INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id     TEXT    NOT NULL UNIQUE,
      aggregate_id TEXT    NOT NULL,
      outbox_id    INTEGER NOT NULL,
      partition    INTEGER NOT NULL,
      "offset"     INTEGER NOT NULL
    );

    -- The effect: what this service is actually for.
    CREATE TABLE IF NOT EXISTS customer_stats (
      customer_id   TEXT    PRIMARY KEY,
      orders        INTEGER NOT NULL,
      total_cents   INTEGER NOT NULL,
      last_order_id INTEGER NOT NULL
    );
  `)
  return db
}

function header(message: KafkaMessage, name: string): string {
  const value = message.headers?.[name]
  if (value === undefined) throw new Error(`record at offset ${message.offset} has no ${name} header`)
  return value.toString()
}

/** Applies one event unless it was applied before. Returns whether it was applied now. */
function apply(db: DatabaseSync, partition: number, message: KafkaMessage): boolean {
  const eventId = header(message, Header.eventId)
  const event = JSON.parse(message.value!.toString()) as OrderPlaced
  return inTransaction(db, () => {
    const { changes } = db
      .prepare('INSERT OR IGNORE INTO applied_events (event_id, aggregate_id, outbox_id, partition, "offset") VALUES (?, ?, ?, ?, ?)')
      .run(eventId, event.customerId, Number(header(message, Header.outboxId)), partition, Number(message.offset))
    if (changes === 0) return false
    db.prepare(
      `INSERT INTO customer_stats (customer_id, orders, total_cents, last_order_id) VALUES (?, 1, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET
         orders = orders + 1, total_cents = total_cents + excluded.total_cents, last_order_id = excluded.last_order_id`,
    ).run(event.customerId, event.amountCents, event.orderId)
    return true
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      broker: { type: 'string', default: '127.0.0.1:9092' },
      db: { type: 'string' },
      topic: { type: 'string', default: 'order-events' },
      group: { type: 'string', default: 'order-stats' },
      expect: { type: 'string' },
      'timeout-ms': { type: 'string' },
    },
  })
  if (values.db === undefined) throw new Error('--db is required')
  const expect = values.expect === undefined ? null : positiveInt(values.expect, 'expect')
  const timeoutMs = values['timeout-ms'] === undefined ? null : positiveInt(values['timeout-ms'], 'timeout-ms')

  const db = openStatsDb(values.db)
  const kafka = new Kafka({ clientId: 'order-stats', brokers: [values.broker], logLevel: logLevel.WARN })
  const consumer = kafka.consumer({ groupId: values.group, readUncommitted: false, maxWaitTimeInMs: 500 })

  let applied = 0
  let duplicates = 0
  let finish!: (reason: string) => void
  const finished = new Promise<string>((resolve) => (finish = resolve))
  process.once('SIGINT', () => finish('signal'))
  process.once('SIGTERM', () => finish('signal'))
  const timer = timeoutMs === null ? null : setTimeout(() => finish('timeout'), timeoutMs)

  await consumer.connect()
  await consumer.subscribe({ topic: values.topic, fromBeginning: true })
  await consumer.run({
    // kafkajs commits the offset after eachMessage returns. A crash before that commit
    // redelivers the message, and apply() then skips it.
    eachMessage: async ({ partition, message }) => {
      if (apply(db, partition, message)) applied++
      else duplicates++
      if (expect !== null && applied + duplicates >= expect) finish('expected')
    },
  })

  const reason = await finished
  if (timer !== null) clearTimeout(timer)
  await consumer.disconnect()
  db.close()
  log('done', { reason, applied, duplicates })
  if (reason === 'timeout') process.exitCode = 2
}

await main()

// What the three programs of the outbox example share: the service's schema (the service
// writes it, the relay reads it), the shape of an event on the wire, and small helpers.

import { DatabaseSync } from 'node:sqlite'

/** An outbox row as the relay reads it. `id` orders publication; `eventId` identifies the event forever. */
export interface OutboxRow {
  id: number
  eventId: string
  aggregateId: string
  eventType: string
  payload: string
}

/** The payload of an OrderPlaced event. */
export interface OrderPlaced {
  orderId: number
  customerId: string
  amountCents: number
}

/**
 * Kafka record headers the relay sets and the consumer reads. The key of each record is
 * the aggregate id, so all events of one customer land in one partition, in order.
 */
export const Header = {
  eventId: 'event-id',
  eventType: 'event-type',
  outboxId: 'outbox-id',
} as const

/**
 * Opens (and if needed creates) the service's database. WAL lets the relay read the outbox
 * while the service writes; busy_timeout makes the two processes wait for each other's
 * write locks instead of failing with SQLITE_BUSY.
 */
export function openServiceDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path)
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA busy_timeout = 10000;

    CREATE TABLE IF NOT EXISTS orders (
      id           INTEGER PRIMARY KEY,
      customer_id  TEXT    NOT NULL,
      amount_cents INTEGER NOT NULL,
      created_at   TEXT    NOT NULL
    );

    CREATE TABLE IF NOT EXISTS outbox (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id       TEXT    NOT NULL UNIQUE,
      aggregate_type TEXT    NOT NULL,
      aggregate_id   TEXT    NOT NULL,
      event_type     TEXT    NOT NULL,
      payload        TEXT    NOT NULL,
      created_at     TEXT    NOT NULL,
      -- Set by the relay after its Kafka transaction committed. Bookkeeping only (what may
      -- be deleted, how far behind the relay is): the relay never decides what to publish
      -- from this column.
      published_at   TEXT
    );
  `)
  return db
}

/**
 * Runs `fn` in one SQLite transaction. BEGIN IMMEDIATE takes the write lock up front, so
 * two writers queue on busy_timeout rather than deadlocking on a lock upgrade.
 */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE')
  try {
    const result = fn()
    db.exec('COMMIT')
    return result
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

/** One JSON object per line on stdout: readable by people, and by the test that drives these programs. */
export function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
}

export function positiveInt(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`)
    return fallback
  }
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${value}`)
  return n
}

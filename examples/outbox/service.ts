// The order service. Placing an order writes the order row and its OrderPlaced event to
// the outbox in ONE local transaction: either both exist or neither does. The service
// never talks to Kafka; that is the relay's job. So a crash can never leave an order
// without its event, or an event for an order that was rolled back.
//
//   node examples/outbox/service.ts --db orders.db --orders 200 --customers 10

import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { DatabaseSync } from 'node:sqlite'
import { inTransaction, log, openServiceDb, positiveInt, type OrderPlaced } from './shared.ts'

export function placeOrder(db: DatabaseSync, customerId: string, amountCents: number): OrderPlaced {
  return inTransaction(db, () => {
    const now = new Date().toISOString()
    const { lastInsertRowid } = db
      .prepare('INSERT INTO orders (customer_id, amount_cents, created_at) VALUES (?, ?, ?)')
      .run(customerId, amountCents, now)
    const event: OrderPlaced = { orderId: Number(lastInsertRowid), customerId, amountCents }
    // The aggregate is the customer: its events must reach consumers in the order they
    // happened, so the relay uses the aggregate id as the Kafka key.
    db.prepare(
      `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, payload, created_at)
       VALUES (?, 'customer', ?, 'OrderPlaced', ?, ?)`,
    ).run(randomUUID(), customerId, JSON.stringify(event), now)
    return event
  })
}

/** Places `orders` orders spread over `customers` customers; returns their total. */
export function placeOrders(dbPath: string, orders: number, customers: number): number {
  const db = openServiceDb(dbPath)
  let totalCents = 0
  try {
    for (let i = 0; i < orders; i++) {
      const amountCents = 100 + ((i * 7919) % 10_000)
      placeOrder(db, `customer-${i % customers}`, amountCents)
      totalCents += amountCents
    }
  } finally {
    db.close()
  }
  return totalCents
}

function main(): void {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      orders: { type: 'string' },
      customers: { type: 'string' },
    },
  })
  if (values.db === undefined) throw new Error('--db is required')
  const orders = positiveInt(values.orders, 'orders', 200)
  const customers = positiveInt(values.customers, 'customers', 10)
  const totalCents = placeOrders(values.db, orders, customers)
  log('orders-placed', { orders, customers, totalCents })
}

if (import.meta.main) main()

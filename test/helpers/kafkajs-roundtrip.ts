// One kafkajs produce-then-consume round trip over whatever connection settings `kafka`
// carries (TLS, SASL...): the security tests check every listener type this way.

import type { Test } from 'tap'
import type { Kafka } from 'kafkajs'
import { waitFor } from './groups.ts'

export async function kafkajsRoundTrip(t: Test, kafka: Kafka, topic: string, values: string[] = ['one', 'two']): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: values.map((value) => ({ value })) })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `${topic}-g` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()) } })
  await waitFor(() => got.length >= values.length, 'both records consumed', 30_000)
  await consumer.disconnect()
  t.same(got, values)
}

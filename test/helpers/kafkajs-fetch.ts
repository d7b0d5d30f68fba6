// Reads partitions "by assignment" with kafkajs. kafkajs has no assign() API (its
// consumer always joins a group), so this drives kafkajs's own Fetch implementation
// through its cluster object: real kafkajs protocol code, explicit partitions.

import { Kafka, logLevel } from 'kafkajs'

export interface FetchedMessage {
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Record<string, string>
}

type Cluster = {
  connect(): Promise<void>
  disconnect(): Promise<void>
  refreshMetadata(): Promise<void>
  findBroker(q: { nodeId: string }): Promise<{ fetch(args: unknown): Promise<any> }>
}

/**
 * Checks read-back messages against acknowledgements (value → where it was acknowledged):
 * how many acknowledged values are absent, and how many sit at another partition or offset.
 */
export function acknowledgedCheck(acked: ReadonlyMap<string, { partition: number; offset: number }>, got: readonly FetchedMessage[]): { missing: number; moved: number } {
  const byValue = new Map(got.map((m) => [m.value!, m]))
  let missing = 0
  let moved = 0
  for (const [value, at] of acked) {
    const m = byValue.get(value)
    if (m === undefined) missing++
    else if (m.partition !== at.partition || m.offset !== at.offset) moved++
  }
  return { missing, moved }
}

export function kafkaClient(port: number, clientId = 'samsa-test'): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } })
}

export async function fetchAll(kafka: Kafka, topic: string, partitions: number, expected: number, maxRounds = 500): Promise<FetchedMessage[]> {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.toString().includes('createCluster'))!
  const cluster = (kafka as any)[sym]({ metadataMaxAge: 60000, allowAutoTopicCreation: false, maxInFlightRequests: 1, isolationLevel: 1 }) as Cluster
  await cluster.connect()
  await cluster.refreshMetadata()
  const broker = await cluster.findBroker({ nodeId: '0' })
  const next = new Array<number>(partitions).fill(0)
  const out: FetchedMessage[] = []
  try {
    for (let round = 0; round < maxRounds && out.length < expected; round++) {
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 200,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, partitions: next.map((fetchOffset, partition) => ({ partition, fetchOffset: String(fetchOffset), maxBytes: 256 * 1024 })) }],
      })
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} on partition ${p.partition}`)
          for (const m of p.messages) {
            const offset = Number(m.offset)
            // A fetch can start mid-batch: kafkajs drops the records before the fetch offset itself.
            if (offset < next[p.partition]!) continue
            const headers: Record<string, string> = {}
            for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v)
            out.push({ partition: p.partition, offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers })
            next[p.partition] = offset + 1
          }
        }
      }
    }
  } finally {
    await cluster.disconnect()
  }
  return out
}

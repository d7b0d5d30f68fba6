// kafkajs as a real-client load: `produce` sends 1 KiB-style messages across the
// partitions with acks=1 and a few sends in flight, as an application would; `consume`
// reads the topic from offset 0 with kafkajs's own Fetch and record decoding (through
// its cluster object, since kafkajs has no assign() and Samsa has no groups yet).
// Usage: kafkajs-client.ts produce|consume PORT TOPIC PARTITIONS RECORD_SIZE SECONDS|COUNT
// Prints one JSON line.

import { Kafka, logLevel, CompressionTypes } from 'kafkajs'

const [mode, portArg, topic, partitionsArg, sizeArg, limitArg] = process.argv.slice(2)
const port = Number(portArg)
const partitions = Number(partitionsArg)
const size = Number(sizeArg)
const kafka = new Kafka({ clientId: 'samsa-bench-kafkajs', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } })

async function produce(seconds: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const value = Buffer.alloc(size, 0x61)
  const perSend = 100
  const messagesFor = (p: number) => Array.from({ length: perSend }, () => ({ value, partition: p }))
  const batches = Array.from({ length: partitions }, (_, p) => messagesFor(p))
  let sent = 0
  let n = 0
  // Warm up (connections, metadata, JIT) outside the measured window.
  await producer.send({ topic, acks: 1, messages: batches[0]! })
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages: batches[n++ % partitions]! })
      sent += perSend
    }
  }
  await Promise.all(Array.from({ length: 8 }, () => worker()))
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(c0)
  await producer.disconnect()
  process.stdout.write(`${JSON.stringify({ messages: sent, bytes: sent * size, seconds: s, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`)
}

async function consume(count: number): Promise<void> {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.toString().includes('createCluster'))!
  const cluster = (kafka as any)[sym]({ metadataMaxAge: 60000, allowAutoTopicCreation: false, maxInFlightRequests: 1, isolationLevel: 1 })
  await cluster.connect()
  await cluster.refreshMetadata()
  const broker = await cluster.findBroker({ nodeId: '0' })
  const next = new Array<number>(partitions).fill(0)
  let got = 0
  let bytes = 0
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  while (got < count && performance.now() - t0 < 120_000) {
    const res = await broker.fetch({
      replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 50 * 1024 * 1024,
      topics: [{ topic, partitions: next.map((fetchOffset, partition) => ({ partition, fetchOffset: String(fetchOffset), maxBytes: 1024 * 1024 })) }],
    })
    for (const t of res.responses) {
      for (const p of t.partitions) {
        for (const m of p.messages) {
          const off = Number(m.offset)
          if (off < next[p.partition]!) continue
          next[p.partition] = off + 1
          got++
          bytes += m.value?.length ?? 0
        }
      }
    }
  }
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(c0)
  await cluster.disconnect()
  process.stdout.write(`${JSON.stringify({ messages: got, bytes, seconds: s, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`)
}

if (mode === 'produce') await produce(Number(limitArg))
else await consume(Number(limitArg))

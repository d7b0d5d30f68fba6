// A kafkajs group consumer in its own process, so a test can kill it with SIGKILL: no
// LeaveGroup, no more heartbeats, sockets closed by the kernel. Prints JSON lines:
//   {event:'joined', memberId, assignment}            on every GROUP_JOIN
//   {event:'processing', partition, offset, value}     when a message arrives
//   {event:'committed', partition, offset}             after a synchronous commit of offset
//   {event:'processed', partition, offset, value}      when its processing is done
//   {event:'hang', ...}                                when it reaches config.hangOn and stops
// Commits with commitOffsets: before processing (at-most-once) or after (at-least-once).
// stdin: 'close' disconnects (LeaveGroup) and exits 0.
//
// Usage: node group-child-consumer.ts '{"port":..,"groupId":..,"topic":..,...}'

import { Kafka, logLevel } from 'kafkajs'

interface Config {
  port: number
  groupId: string
  topic: string
  clientId?: string
  mode?: 'commit-after' | 'commit-before'
  hangOn?: string
  fromBeginning?: boolean
  sessionTimeout?: number
  heartbeatInterval?: number
  rebalanceTimeout?: number
}

const config = JSON.parse(process.argv[2]!) as Config
const out = (e: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(e) + '\n')

const kafka = new Kafka({ clientId: config.clientId ?? 'child-consumer', brokers: [`127.0.0.1:${config.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5 } })
const consumer = kafka.consumer({
  groupId: config.groupId,
  sessionTimeout: config.sessionTimeout ?? 10_000,
  heartbeatInterval: config.heartbeatInterval ?? 300,
  rebalanceTimeout: config.rebalanceTimeout ?? 60_000,
  maxWaitTimeInMs: 100,
})
consumer.on(consumer.events.GROUP_JOIN, (e) => out({ event: 'joined', memberId: e.payload.memberId, assignment: e.payload.memberAssignment }))
consumer.on(consumer.events.CRASH, (e) => out({ event: 'crash', error: String(e.payload.error) }))

let releaseHang: () => void = () => {}
const hung = new Promise<void>((resolve) => (releaseHang = resolve))

async function commit(partition: number, next: number): Promise<boolean> {
  try {
    await consumer.commitOffsets([{ topic: config.topic, partition, offset: String(next) }])
    out({ event: 'committed', partition, offset: next })
    return true
  } catch (err) {
    out({ event: 'commit-error', partition, offset: next, error: String(err) })
    return false
  }
}

await consumer.connect()
await consumer.subscribe({ topics: [config.topic], fromBeginning: config.fromBeginning ?? true })
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    const offset = Number(message.offset)
    const value = message.value?.toString() ?? null
    out({ event: 'processing', partition, offset, value })
    if (config.mode === 'commit-before') await commit(partition, offset + 1)
    if (value !== null && value === config.hangOn) {
      out({ event: 'hang', partition, offset, value })
      // Stuck mid-message until the test kills the process (bounded all the same).
      await Promise.race([hung, new Promise((r) => setTimeout(r, 60_000))])
      return
    }
    out({ event: 'processed', partition, offset, value })
    if (config.mode !== 'commit-before') await commit(partition, offset + 1)
  },
})
out({ event: 'running' })

process.stdin.setEncoding('utf8')
let buffered = ''
process.stdin.on('data', (d: string) => {
  buffered += d
  if (!buffered.includes('\n')) return
  const cmd = buffered.trim()
  buffered = ''
  if (cmd === 'close') {
    releaseHang()
    void consumer
      .disconnect()
      .catch(() => {})
      .finally(() => {
        out({ event: 'closed' })
        process.exit(0)
      })
  }
})

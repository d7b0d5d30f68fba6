// Real clients against Samsa: what kafkajs and librdkafka users get, produce and consume,
// with the CPU each side used. librdkafka is Debian's python3-confluent-kafka: the npm
// librdkafka bindings (node-rdkafka, @confluentinc/kafka-javascript) are NAN add-ons whose
// build needs the headers of the Node that runs them, and only Node 20's are on this
// machine (see docs/performance.md).

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaConn, createTopic } from '../lib/wire.ts'
import { cpuSeconds, repoRoot } from '../lib/proc.ts'
import { addResult, addTarget, fmt, withBroker, type SuiteContext } from '../lib/result.ts'

interface ClientRun {
  messages: number
  bytes: number
  seconds: number
  cpuSeconds: number
  brokerCores: number
  clientCores: number
}

const systemPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

function runClient(cmd: string, args: string[], brokerPid: number): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const b0 = cpuSeconds(brokerPid) ?? 0
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.once('exit', (code) => {
      const wall = (performance.now() - t0) / 1000
      const b1 = cpuSeconds(brokerPid) ?? b0
      const line = out.trim().split('\n').pop() ?? ''
      if (code !== 0 || line === '') return reject(new Error(`${cmd} ${args[0]} exited ${code}: ${err.slice(-2000)}`))
      const r = JSON.parse(line) as Omit<ClientRun, 'brokerCores' | 'clientCores'>
      // The client reports the CPU of its measured window; the broker's is over the client's whole life.
      resolve({ ...r, brokerCores: (b1 - b0) / wall, clientCores: r.cpuSeconds / r.seconds })
    })
  })
}

export async function clientsSuite(ctx: SuiteContext): Promise<void> {
  const partitions = 8
  const size = 1024
  const seconds = ctx.mode === 'full' ? 8 : ctx.mode === 'quick' ? 4 : 1
  const clients = [
    { name: 'kafkajs', cmd: process.execPath, pre: [join(repoRoot, 'bench/clients/kafkajs-client.ts')] },
    { name: 'librdkafka (python confluent-kafka)', cmd: systemPython, pre: [join(repoRoot, 'bench/clients/rdkafka_client.py')] },
  ]
  for (const c of clients) {
    await withBroker(ctx, { fsync: 'interval' }, async (b) => {
      const conn = await KafkaConn.open(b.port)
      await createTopic(conn, 'clients', partitions)
      conn.close()
      const bootstrap = c.name === 'kafkajs' ? String(b.port) : `127.0.0.1:${b.port}`
      ctx.progress.step(`${c.name}: produce ${size} B messages for ${seconds} s`)
      const p = await runClient(c.cmd, [...c.pre, 'produce', bootstrap, 'clients', String(partitions), String(size), String(seconds)], b.pid)
      const settings = { client: c.name, recordSize: size, partitions, build: ctx.build }
      addResult(ctx, {
        id: `clients/${c.name}/produce`, suite: 'clients', title: `${c.name} produce, ${size} B messages`, durability: { acks: 1, fsync: 'interval', storage: 'disk' }, settings,
        value: p.bytes / 1e6 / p.seconds, unit: 'MB/s', metrics: { messagesPerSec: p.messages / p.seconds, brokerCores: p.brokerCores, clientCores: p.clientCores, messages: p.messages },
        baseline: null, backgroundCores: null,
      })
      if (c.name === 'kafkajs') {
        addTarget(ctx, {
          id: 'kafkajs-bound', target: 'kafkajs producer limited by kafkajs: broker < 0.5 core while the client saturates its own',
          measured: `${fmt(p.messages / p.seconds / 1000)}k msg/s; broker ${fmt(p.brokerCores)} cores, kafkajs ${fmt(p.clientCores)} cores`,
          met: p.brokerCores < 0.5 && p.clientCores >= 0.75, note: 'saturated = its one JS thread ≥ 0.75 core over its sending window; broker CPU over the client process\'s whole life (an upper bound)',
        })
      }
      ctx.progress.step(`${c.name}: consume the ${p.messages} messages from offset 0`)
      const r = await runClient(c.cmd, [...c.pre, 'consume', bootstrap, 'clients', String(partitions), String(size), String(p.messages)], b.pid)
      addResult(ctx, {
        id: `clients/${c.name}/consume`, suite: 'clients', title: `${c.name} consume from offset 0, ${size} B messages`, durability: { acks: null, fsync: 'interval', storage: 'disk' }, settings,
        value: r.bytes / 1e6 / r.seconds, unit: 'MB/s', metrics: { messagesPerSec: r.messages / r.seconds, brokerCores: r.brokerCores, clientCores: r.clientCores, messages: r.messages, complete: r.messages >= p.messages },
        baseline: null, backgroundCores: null,
      })
    })
  }
}

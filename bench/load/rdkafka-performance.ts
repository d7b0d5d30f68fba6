// librdkafka's rdkafka_performance as a producer load, and librdkafka's mock cluster as
// a broker process, both built by bench/tools/rdkafka-tools.ts.

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { cpuSeconds } from '../lib/proc.ts'

export interface PerfLoad {
  bin: string
  bootstrap: string
  topic: string
  messageSize: number
  messages: number
  /** librdkafka's `acks`: 1, -1 (all) or 0. */
  acks: number
  /** linger.ms; rdkafka_performance itself sets 1000, which adds up to a second of tail to every run. */
  lingerMs: number
  /** none, gzip, snappy, lz4, zstd (librdkafka's compression.codec). */
  compression?: string
  /** More librdkafka properties, `name=value` (batch.size, batch.num.messages, ...). */
  extra?: string[]
  onProgress?: (p: { messages: number; msgsPerSec: number; mbPerSec: number }) => void
}

export interface PerfResult {
  delivered: number
  failed: number
  /** Start of producing to the last delivery report, as rdkafka_performance measures it. */
  ms: number
  msgsPerSec: number
  /** Payload MB/s (1e6 bytes), as rdkafka_performance prints it. */
  mbPerSec: number
  /** Average record batch (MessageSet) size librdkafka sent, bytes, from its statistics. */
  avgBatchBytes: number | null
  avgBatchMessages: number | null
  produceRequests: number | null
  clientCpuSeconds: number
  summary: string
}

// "% 1000000 messages produced (1024000000 bytes), 1000000 delivered (offset 999999, 0 failed) in 3011ms: 331871 msgs/s and 339.84 MB/s, ..."
const SUMMARY = /^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/

export function parseSummary(line: string): { produced: number; delivered: number; failed: number; ms: number; msgsPerSec: number; mbPerSec: number } | null {
  const m = SUMMARY.exec(line)
  if (m === null) return null
  return { produced: Number(m[1]), delivered: Number(m[3]), failed: Number(m[4]), ms: Number(m[5]), msgsPerSec: Number(m[6]), mbPerSec: Number(m[7]) }
}

interface Stats {
  topics?: Record<string, { batchsize?: { avg: number }; batchcnt?: { avg: number } }>
  brokers?: Record<string, { txbytes?: number; req?: Record<string, number> }>
}

export function runPerf(load: PerfLoad): Promise<PerfResult> {
  const args = ['-P', '-t', load.topic, '-b', load.bootstrap, '-s', String(load.messageSize), '-c', String(load.messages), '-a', String(load.acks),
    '-X', `linger.ms=${load.lingerMs}`, '-T', '1000']
  if (load.compression !== undefined && load.compression !== 'none') args.push('-X', `compression.codec=${load.compression}`)
  for (const x of load.extra ?? []) args.push('-X', x)
  return new Promise((resolve, reject) => {
    const child = spawn(load.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let last: ReturnType<typeof parseSummary> = null
    let lastLine = ''
    let stats: Stats | null = null
    let cpu = 0
    let err = ''
    const recent: string[] = []
    // /proc is gone once the child exits: keep the latest reading.
    const sampler = setInterval(() => (cpu = cpuSeconds(child.pid!) ?? cpu), 100)
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) {
        try {
          stats = JSON.parse(line) as Stats
        } catch {
          // a truncated statistics line: the next one will do
        }
        return
      }
      recent.push(line)
      if (recent.length > 12) recent.shift()
      const s = parseSummary(line)
      if (s !== null) {
        last = s
        lastLine = line
        load.onProgress?.({ messages: s.delivered, msgsPerSec: s.msgsPerSec, mbPerSec: s.mbPerSec })
      }
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.once('error', (e) => {
      clearInterval(sampler)
      reject(e)
    })
    child.once('close', (code) => {
      clearInterval(sampler)
      const s = last as ReturnType<typeof parseSummary>
      if (code !== 0 || s === null) {
        const stderr = err.split('\n').filter((l) => l !== '' && !l.includes('CONFWARN')).slice(-5)
        return reject(new Error(`rdkafka_performance ${args.join(' ')} exited ${code}:\n${[...recent, ...stderr].join('\n')}`))
      }
      const st = stats as Stats | null
      const t = st?.topics?.[load.topic]
      let requests: number | null = null
      let txbytes = 0
      for (const b of Object.values(st?.brokers ?? {})) {
        if (b.req?.Produce !== undefined) requests = (requests ?? 0) + b.req.Produce
        txbytes += b.txbytes ?? 0
      }
      // The statistics histogram covers the last interval only; the totals cover the run (one partition's batch per request in librdkafka 2.0).
      const avgBatchBytes = requests !== null && requests > 0 ? txbytes / requests : t?.batchsize?.avg ?? null
      resolve({
        delivered: s.delivered, failed: s.failed, ms: s.ms, msgsPerSec: s.delivered / (s.ms / 1000), mbPerSec: (s.delivered * load.messageSize) / 1e6 / (s.ms / 1000),
        avgBatchBytes, avgBatchMessages: t?.batchcnt?.avg ?? null, produceRequests: requests, clientCpuSeconds: cpu, summary: lastLine,
      })
    })
  })
}

/** librdkafka's mock cluster in its own process (bench/tools/mock-cluster.c). */
export class MockCluster {
  readonly child: ChildProcess
  readonly bootstrap: string
  private readonly replies: Array<(line: string) => void>

  private constructor(child: ChildProcess, bootstrap: string, replies: Array<(line: string) => void>) {
    this.child = child
    this.bootstrap = bootstrap
    this.replies = replies
  }

  get pid(): number {
    return this.child.pid!
  }

  static start(bin: string): Promise<MockCluster> {
    const child = spawn(bin, ['1'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const replies: Array<(line: string) => void> = []
    let err = ''
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    return new Promise((resolve, reject) => {
      let started = false
      child.once('error', reject)
      child.once('exit', (code) => {
        if (!started) reject(new Error(`mock-cluster exited ${code}: ${err}`))
      })
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^BOOTSTRAP=(.+)$/.exec(line)
        if (m !== null && !started) {
          started = true
          resolve(new MockCluster(child, m[1]!, replies))
        } else if (started) {
          replies.shift()?.(line)
        }
      })
    })
  }

  createTopic(name: string, partitions: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.replies.push((line) => (line === 'ok' ? resolve() : reject(new Error(`mock-cluster: topic ${name}: ${line}`))))
      this.child.stdin!.write(`topic ${name} ${partitions}\n`)
    })
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin!.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

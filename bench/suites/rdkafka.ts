// librdkafka's rdkafka_performance against librdkafka's in-memory mock cluster and
// against Samsa, in one run (issue 13): the same client and settings on both, brokers
// alternating, a new topic every round, medians of the rounds.
//
// - 1 KiB × N and 100 B × N, acks=1: mock vs Samsa (default fsync, data on disk in a
//   temporary directory). Target: Samsa ≥ 0.9 of the mock.
// - 1 KiB × N, acks=all, Samsa `--fsync always`: vs a sequential write + fdatasync baseline
//   measured right after it with the batch size librdkafka reported for that run, one
//   fdatasync per batch, spread over as many files as the topic has partitions. Target ≥ 0.7.
//   Its ratio to the mock's acks=1 figure is printed too (the issue's third row).
//
// Each broker lives through all rounds, so a figure that falls round after round shows
// decay; the per-round lines carry each broker's CPU per MB (user/system), Samsa's RSS,
// open descriptors and segment files, and the machine's free memory.
//
// Samsa deletes each round's topic once it is measured (--rdk-keep-topics keeps them).
// The mock keeps at most 5 MiB per partition (rdkafka_mock.c), while Samsa keeps every
// byte, in files and so in the page cache: kept topics grow the page cache by the whole
// round's data. On the project's VMs, page-cache growth beyond a few GB costs several
// times more per page (plain sequential writes into new files, older ones kept, fell from ~1 GB/s to
// 150-200 MB/s after ~6 GB of growth, system and steal time rising), so kept topics make
// later rounds measure the VM's memory rather than the broker.
//
// Steps whose tool is missing print one "skipped" line (see bench/tools/rdkafka-tools.ts).

import { cpus } from 'node:os'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { KafkaConn, createTopic, frameOf } from '../lib/wire.ts'
import { Reader } from '../../protocol/wire/reader.ts'
import { decodeResponseHeader } from '../../protocol/wire/headers.ts'
import { defaultDeleteTopicsRequest, encodeDeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import { decodeDeleteTopicsResponse } from '../../protocol/messages/delete-topics-response.ts'
import { rssBytes, spawnBroker, type BrokerProcess } from '../lib/proc.ts'
import { addBaseline, addResult, addTarget, fmt, systemMeter, type SuiteContext } from '../lib/result.ts'
import { percentiles } from '../load/latency.ts'
import { MockCluster, runPerf, type PerfResult } from '../load/rdkafka-performance.ts'
import { sequentialWrite } from '../baselines/disk.ts'
import { ensureRdkafkaTools } from '../tools/rdkafka-tools.ts'

export type RdkafkaCase = '1k' | '100b' | 'durable'

export interface RdkafkaOptions {
  rounds: number
  messages1k: number
  messages100b: number
  messagesDurable: number
  partitions: number
  lingerMs: number
  cases: RdkafkaCase[]
  /** Node options for the default-fsync Samsa broker, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p']. */
  samsaNodeArgs: string[]
  /** More librdkafka properties for every run (name=value). */
  extra: string[]
  /** Keep each round's topic on Samsa instead of deleting it after the round. */
  keepTopics: boolean
}

export const RDKAFKA_DEFAULTS: RdkafkaOptions = {
  rounds: 3, messages1k: 500_000, messages100b: 1_000_000, messagesDurable: 200_000, partitions: 8, lingerMs: 5,
  cases: ['1k', '100b', 'durable'], samsaNodeArgs: [], extra: [], keepTopics: false,
}

let options: RdkafkaOptions = RDKAFKA_DEFAULTS

/** Set by bench/main.ts from its --rdk-* flags before the suite runs. */
export function configureRdkafka(o: Partial<RdkafkaOptions>): void {
  for (const c of o.cases ?? []) if (!RDKAFKA_DEFAULTS.cases.includes(c)) throw new Error(`unknown rdkafka case ${c} (known: ${RDKAFKA_DEFAULTS.cases.join(', ')})`)
  options = { ...RDKAFKA_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) }
}

/** User and system CPU seconds of a process (null once it is gone). */
function cpuSplit(pid: number): { user: number; sys: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 }
  } catch {
    return null
  }
}

function memFreeGB(): number {
  const m = /^MemFree:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))
  return m === null ? NaN : (Number(m[1]) * 1024) / 1e9
}

async function deleteTopic(port: number, name: string): Promise<void> {
  const version = 5
  const conn = await KafkaConn.open(port)
  try {
    const req = defaultDeleteTopicsRequest()
    req.topicNames = [name]
    req.timeoutMs = 60_000
    const frame = await conn.request(frameOf(20, version, 1, (w) => encodeDeleteTopicsRequest(w, version, req)))
    const r = new Reader(frame)
    decodeResponseHeader(r, 20, version)
    const res = decodeDeleteTopicsResponse(r, version)
    const code = res.responses[0]?.errorCode ?? -1
    if (code !== 0) throw new Error(`DeleteTopics ${name}: error ${code} ${res.responses[0]?.errorMessage ?? ''}`)
  } finally {
    conn.close()
  }
}

/** What a Samsa broker holds: segment files, bytes on disk, open descriptors, RSS. */
function brokerState(pid: number, dataDir: string): { rssMB: number; fds: number; segments: number; dataMB: number } {
  let segments = 0
  let bytes = 0
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else {
        if (e.name.endsWith('.log')) segments++
        try {
          bytes += statSync(p).size
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  walk(dataDir)
  let fds = 0
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length
  } catch {
    fds = -1
  }
  return { rssMB: (rssBytes(pid) ?? 0) / 1e6, fds, segments, dataMB: bytes / 1e6 }
}

interface Target {
  name: string
  pid: number
  bootstrap: string
  createTopic(name: string, partitions: number): Promise<void>
  /** Drops a measured topic's data (a no-op for the mock, whose partitions keep 5 MiB at most). */
  dropTopic(name: string): Promise<void>
  describe(): string
}

function samsaTarget(name: string, b: BrokerProcess, dataDir: string): Target {
  return {
    name, pid: b.pid, bootstrap: `127.0.0.1:${b.port}`,
    async createTopic(topic, partitions) {
      const conn = await KafkaConn.open(b.port)
      try {
        await createTopic(conn, topic, partitions)
      } finally {
        conn.close()
      }
    },
    dropTopic: (topic) => deleteTopic(b.port, topic),
    describe() {
      const s = brokerState(b.pid, dataDir)
      return `RSS ${fmt(s.rssMB)} MB, ${s.fds} fds, ${s.segments} segments, ${fmt(s.dataMB)} MB on disk`
    },
  }
}

function mockTarget(m: MockCluster): Target {
  return {
    name: 'mock', pid: m.pid, bootstrap: m.bootstrap,
    createTopic: (topic, partitions) => m.createTopic(topic, partitions),
    dropTopic: async () => undefined,
    describe: () => `RSS ${fmt((rssBytes(m.pid) ?? 0) / 1e6)} MB`,
  }
}

interface Measured extends PerfResult {
  /** Broker CPU per MB of payload, ms (user, system). */
  brokerUserMsPerMB: number
  brokerSysMsPerMB: number
  brokerCores: number
  clientCores: number
  backgroundCores: number
}

async function measure(ctx: SuiteContext, bin: string, t: Target, topic: string, size: number, messages: number, acks: number): Promise<Measured> {
  await t.createTopic(topic, options.partitions)
  const sys = systemMeter(cpus().length)
  const c0 = cpuSplit(t.pid) ?? { user: 0, sys: 0 }
  const t0 = performance.now()
  const r = await runPerf({
    bin, bootstrap: t.bootstrap, topic, messageSize: size, messages, acks, lingerMs: options.lingerMs, extra: options.extra,
    onProgress: (p) => ctx.progress.update(`${t.name}: ${fmt(p.mbPerSec)} MB/s, ${fmt(p.msgsPerSec / 1000)}k msg/s, ${fmt(p.messages / 1000)}k delivered`),
  })
  const wall = (performance.now() - t0) / 1000
  const c1 = cpuSplit(t.pid) ?? c0
  const mb = (messages * size) / 1e6
  const brokerCores = (c1.user - c0.user + c1.sys - c0.sys) / wall
  const clientCores = r.clientCpuSeconds / wall
  if (r.failed > 0 || r.delivered !== messages) throw new Error(`rdkafka_performance against ${t.name}: ${r.delivered} of ${messages} delivered, ${r.failed} failed`)
  const backgroundCores = Math.max(0, sys.stop() - brokerCores - clientCores)
  return { ...r, brokerUserMsPerMB: (1000 * (c1.user - c0.user)) / mb, brokerSysMsPerMB: (1000 * (c1.sys - c0.sys)) / mb, brokerCores, clientCores, backgroundCores }
}

function cpuText(r: Measured): string {
  return `broker ${fmt(r.brokerCores)} cores, ${fmt(r.brokerUserMsPerMB + r.brokerSysMsPerMB)} ms/MB (sys ${fmt(r.brokerSysMsPerMB)}), client ${fmt(r.clientCores)} cores; free memory ${fmt(memFreeGB())} GB`
}

function median(xs: number[]): number {
  return percentiles(xs).p50
}

function list(xs: number[]): string {
  return xs.map((x) => fmt(x)).join(', ')
}

function trend(xs: number[]): string {
  return xs.length < 2 ? '' : `; last/first round ${fmt(xs[xs.length - 1]! / xs[0]!)}`
}

export async function rdkafkaSuite(ctx: SuiteContext): Promise<void> {
  const o = options
  ctx.progress.step('librdkafka tools: rdkafka_performance and the mock cluster')
  const tools = ensureRdkafkaTools((l) => ctx.progress.log(l))
  if (tools.perf === null) {
    ctx.progress.log(`  skipped: rdkafka_performance unavailable: ${tools.perfSkip}`)
    return
  }
  const bin = tools.perf
  if (tools.mock === null) ctx.progress.log(`  skipped: the mock-cluster anchor (Samsa's figures are still measured, without ratios): ${tools.mockSkip}`)
  ctx.progress.log(`  librdkafka ${tools.version}: ${o.rounds} rounds, ${o.partitions} partitions, linger.ms=${o.lingerMs}; 1 KiB × ${o.messages1k}, 100 B × ${o.messages100b}, durable 1 KiB × ${o.messagesDurable}; Samsa ${o.keepTopics ? 'keeps' : 'deletes'} each round's topic`)

  const dirs: string[] = []
  const stops: Array<() => Promise<unknown>> = []
  const spawnSamsa = async (name: string, fsync: 'interval' | 'always', nodeArgs: string[]): Promise<Target> => {
    const dataDir = mkdtempSync(join(ctx.scratch, 'samsa-bench-rdk-'))
    dirs.push(dataDir)
    const b = await spawnBroker({ build: ctx.build, compiledDir: ctx.compiledDir ?? undefined, dataDir, fsync, nodeArgs })
    stops.push(() => b.stop())
    return samsaTarget(name, b, dataDir)
  }
  try {
    const mock = tools.mock === null ? null : await MockCluster.start(tools.mock)
    if (mock !== null) stops.push(() => mock.stop())
    const cases = o.cases
    const samsa = cases.some((c) => c !== 'durable') ? await spawnSamsa('samsa', 'interval', o.samsaNodeArgs) : null
    const durable = cases.includes('durable') ? await spawnSamsa('samsa --fsync always', 'always', []) : null
    const brokers = [mock === null ? null : mockTarget(mock), samsa].filter((t): t is Target => t !== null)

    const figures = new Map<string, number[]>()
    const extras = new Map<string, Measured[]>()
    const push = (key: string, v: number, m: Measured | null): void => {
      figures.set(key, [...(figures.get(key) ?? []), v])
      if (m !== null) extras.set(key, [...(extras.get(key) ?? []), m])
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const c of cases) {
        if (c === 'durable') {
          if (durable === null) continue
          ctx.progress.step(`round ${round}/${o.rounds}: 1 KiB × ${o.messagesDurable}, acks=all, samsa --fsync always`)
          const r = await measure(ctx, bin, durable, `rdk-durable-r${round}`, 1024, o.messagesDurable, -1)
          push('durable', r.mbPerSec, r)
          const batch = Math.max(1, Math.round(r.avgBatchBytes ?? 16 * 1024))
          ctx.progress.step(`round ${round}/${o.rounds}: baseline write+fdatasync of ${fmt(batch / 1024)} KiB batches, ${o.partitions} files`)
          const base = sequentialWrite(ctx.scratch, batch, 3000, { files: o.partitions, writesPerSync: 1, maxBytes: o.messagesDurable * 1024 })
          push('fdatasync', base.mbPerSec, null)
          push('durable.batch', batch, null)
          ctx.progress.log(`  round ${round} durable: samsa --fsync always ${fmt(r.mbPerSec)} MB/s, ${cpuText(r)}; ${durable.describe()}; write+fdatasync ${fmt(batch / 1024)} KiB × ${o.partitions} files ${fmt(base.mbPerSec)} MB/s`)
          if (!o.keepTopics) await durable.dropTopic(`rdk-durable-r${round}`)
          continue
        }
        const size = c === '1k' ? 1024 : 100
        const n = c === '1k' ? o.messages1k : o.messages100b
        // Alternate which broker goes first, so a trend in the machine's load hits both alike.
        for (const t of round % 2 === 1 ? brokers : [...brokers].reverse()) {
          ctx.progress.step(`round ${round}/${o.rounds}: ${size === 1024 ? '1 KiB' : '100 B'} × ${n}, acks=1, ${t.name}`)
          const r = await measure(ctx, bin, t, `rdk-${c}-r${round}`, size, n, 1)
          push(`${c}.${t.name}`, c === '1k' ? r.mbPerSec : r.msgsPerSec, r)
          ctx.progress.log(`  round ${round} ${c === '1k' ? '1 KiB' : '100 B'} ${t.name.padEnd(5)}: ${fmt(r.mbPerSec)} MB/s, ${fmt(r.msgsPerSec / 1000)}k msg/s in ${r.ms} ms; ${cpuText(r)}; ${t.describe()}`)
          if (!o.keepTopics) await t.dropTopic(`rdk-${c}-r${round}`)
        }
      }
    }

    const settings = (size: number, n: number, acks: number): Record<string, string | number> => ({ client: `rdkafka_performance (librdkafka ${tools.version})`, messageSize: size, messages: n, acks, partitions: o.partitions, lingerMs: o.lingerMs, rounds: o.rounds, keepTopics: o.keepTopics ? 'yes' : 'no', extra: o.extra.join(' '), build: ctx.build })
    const metricsOf = (key: string): Record<string, number | string> => {
      const ms = extras.get(key) ?? []
      const pick = (f: (m: Measured) => number | null): number => median(ms.map(f).filter((x): x is number => x !== null))
      return {
        rounds: list(figures.get(key) ?? []), messagesPerSec: pick((m) => m.msgsPerSec), brokerCores: pick((m) => m.brokerCores), clientCores: pick((m) => m.clientCores),
        brokerCpuMsPerMB: pick((m) => m.brokerUserMsPerMB + m.brokerSysMsPerMB), brokerSysMsPerMB: pick((m) => m.brokerSysMsPerMB), avgBatchBytes: pick((m) => m.avgBatchBytes),
      }
    }
    for (const c of cases.filter((x): x is '1k' | '100b' => x !== 'durable')) {
      const size = c === '1k' ? 1024 : 100
      const n = c === '1k' ? o.messages1k : o.messages100b
      const unit = c === '1k' ? 'MB/s' : 'msg/s'
      const label = `${size === 1024 ? '1 KiB' : '100 B'} × ${n}, acks=1`
      const mockRounds = figures.get(`${c}.mock`)
      const base = mockRounds === undefined ? null : addBaseline(ctx, {
        id: `rdkafka/mock/${c}`, suite: 'rdkafka', title: `librdkafka mock cluster, rdkafka_performance ${label}`, durability: { acks: 1, fsync: 'n/a', storage: 'memory' },
        settings: settings(size, n, 1), value: median(mockRounds), unit, metrics: metricsOf(`${c}.mock`), backgroundCores: median((extras.get(`${c}.mock`) ?? []).map((m) => m.backgroundCores)),
      })
      const samsaRounds = figures.get(`${c}.samsa`)!
      const row = addResult(ctx, {
        id: `rdkafka/samsa/${c}`, suite: 'rdkafka', title: `rdkafka_performance produce ${label}, Samsa`, durability: { acks: 1, fsync: 'interval', storage: 'disk' },
        settings: settings(size, n, 1), value: median(samsaRounds), unit, metrics: metricsOf(`${c}.samsa`), baseline: base, backgroundCores: median((extras.get(`${c}.samsa`) ?? []).map((m) => m.backgroundCores)),
      })
      ctx.progress.log(`  rounds ${label}: samsa ${list(samsaRounds)}${trend(samsaRounds)}${mockRounds === undefined ? '' : `; mock ${list(mockRounds)}${trend(mockRounds)}`}`)
      addTarget(ctx, {
        id: `rdkafka-${c}-vs-mock`, target: `Samsa ≥ 0.9 of librdkafka's mock cluster, rdkafka_performance ${label} (${unit})`,
        measured: row.ratio === null ? `${fmt(row.value)} ${unit} (no mock)` : `${fmt(row.value)} vs ${fmt(base!.value)} ${unit} = ${fmt(row.ratio)}`,
        met: row.ratio === null ? null : row.ratio >= 0.9, note: `medians of ${o.rounds} alternating rounds, a new topic each; Samsa writes to disk (--fsync interval)`,
      })
    }
    const dur = figures.get('durable')
    if (dur !== undefined) {
      const batch = median(figures.get('durable.batch')!)
      const base = addBaseline(ctx, {
        id: 'rdkafka/fdatasync', suite: 'rdkafka', title: `write+fdatasync ${fmt(batch / 1024)} KiB (librdkafka's batch), ${o.partitions} files, sync per write`, durability: { acks: null, fsync: 'always', storage: 'disk' },
        settings: { writeSize: Math.round(batch), files: o.partitions, writesPerSync: 1 }, value: median(figures.get('fdatasync')!), unit: 'MB/s', metrics: { rounds: list(figures.get('fdatasync')!) }, backgroundCores: null,
      })
      const row = addResult(ctx, {
        id: 'rdkafka/samsa/durable', suite: 'rdkafka', title: `rdkafka_performance produce 1 KiB × ${o.messagesDurable}, acks=all, Samsa --fsync always`, durability: { acks: -1, fsync: 'always', storage: 'disk' },
        settings: settings(1024, o.messagesDurable, -1), value: median(dur), unit: 'MB/s', metrics: { ...metricsOf('durable'), vsMock1k: figures.has('1k.mock') ? median(dur) / median(figures.get('1k.mock')!) : null } as Record<string, number | string>,
        baseline: base, backgroundCores: median((extras.get('durable') ?? []).map((m) => m.backgroundCores)),
      })
      ctx.progress.log(`  rounds durable: samsa --fsync always ${list(dur)}${trend(dur)}; fdatasync ${list(figures.get('fdatasync')!)}${figures.has('1k.mock') ? `; vs mock 1 KiB acks=1: ${fmt(median(dur) / median(figures.get('1k.mock')!))}` : ''}`)
      addTarget(ctx, {
        id: 'rdkafka-durable-vs-fdatasync', target: 'Samsa --fsync always, acks=all ≥ 0.7 of sequential write + fdatasync with the same batch size',
        measured: `${fmt(row.value)} vs ${fmt(base.value)} MB/s = ${fmt(row.ratio ?? 0)}`, met: row.ratio === null ? null : row.ratio >= 0.7,
        note: `rdkafka_performance 1 KiB messages; baseline writes librdkafka's average batch (${fmt(batch / 1024)} KiB) to ${o.partitions} files round-robin with an fdatasync after each write`,
      })
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

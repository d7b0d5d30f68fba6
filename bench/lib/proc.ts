// Processes the kit starts and measures: the broker (from source or the compiled build),
// the raw TCP peers, clients. CPU time and resident memory come from /proc, so each
// figure belongs to one process (a broker's worker threads are part of its process).

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
const CLK_TCK = 100

/** User+system CPU seconds a process has used so far (null once it is gone). */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return null
  }
}

/** Resident set size in bytes (VmRSS), or null. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? null : Number(m[1]) * 1024
  } catch {
    return null
  }
}

/** Samples a process's RSS every `everyMs`; stop() returns the largest value seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let max = rssBytes(pid) ?? 0
  const timer = setInterval(() => {
    const r = rssBytes(pid)
    if (r !== null && r > max) max = r
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const r = rssBytes(pid)
      if (r !== null && r > max) max = r
      return max
    },
  }
}

/** CPU used by a process between start() and stop(), as cores (1.0 = one core busy). */
export function cpuMeter(pid: number): { stop(): { cpuSeconds: number; cores: number } } {
  const c0 = cpuSeconds(pid) ?? 0
  const t0 = performance.now()
  return {
    stop() {
      const c1 = cpuSeconds(pid) ?? c0
      const wall = (performance.now() - t0) / 1000
      return { cpuSeconds: c1 - c0, cores: wall > 0 ? (c1 - c0) / wall : 0 }
    },
  }
}

export function selfCpuMeter(): { stop(): { cpuSeconds: number; cores: number } } {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  return {
    stop() {
      const d = process.cpuUsage(c0)
      const cpu = (d.user + d.system) / 1e6
      const wall = (performance.now() - t0) / 1000
      return { cpuSeconds: cpu, cores: wall > 0 ? cpu / wall : 0 }
    },
  }
}

export type BrokerBuild = 'source' | 'compiled'

export interface BrokerSpawn {
  build: BrokerBuild
  /** Source builds: the checkout to run (default: this one); lets a script compare two trees in one run. */
  root?: string
  /** Output of `tsc -p tsconfig.build.json --outDir <dir>`; required for 'compiled'. */
  compiledDir?: string
  dataDir?: string
  memory?: boolean
  shards?: number
  fsync?: 'always' | 'interval' | 'never'
  extraArgs?: string[]
  nodeArgs?: string[]
  env?: Record<string, string>
}

export interface BrokerProcess {
  child: ChildProcess
  pid: number
  port: number
  /** Wall time from spawn() to the "ready in" line arriving, ms. */
  startMs: number
  /** What the CLI itself reported ("ready in N ms"). */
  reportedReadyMs: number
  output(): string
  stop(): Promise<number | null>
  kill(): Promise<void>
}

export const SHIPPED_NODE_FLAGS = ['--max-semi-space-size=4']

export function brokerArgs(opts: BrokerSpawn): string[] {
  const entry = opts.build === 'compiled' ? join(opts.compiledDir!, 'src/cli/main.js') : join(opts.root ?? repoRoot, 'src/cli/main.ts')
  if (opts.build === 'compiled' && !existsSync(entry)) throw new Error(`no compiled build at ${entry}`)
  // The Node flags the shipped CLI runs with (bin/samsa.js's first line); a run's own come
  // after them, so they win (e.g. --max-semi-space-size=16 measures Node's default).
  const args = [...SHIPPED_NODE_FLAGS, ...(opts.nodeArgs ?? []), entry, 'start', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn']
  // The HTTP listener only when a run asks for it (extraArgs), never the default 8080.
  if (!(opts.extraArgs ?? []).some((a) => a.startsWith('--http-port'))) args.push('--http-port=-1')
  if (opts.memory === true) args.push('--memory')
  else if (opts.dataDir !== undefined) args.push('--data-dir', opts.dataDir)
  if (opts.shards !== undefined) args.push('--shards', String(opts.shards))
  if (opts.fsync !== undefined) args.push('--fsync', opts.fsync)
  args.push(...(opts.extraArgs ?? []))
  return args
}

export async function spawnBroker(opts: BrokerSpawn, timeoutMs = 120_000): Promise<BrokerProcess> {
  const t0 = performance.now()
  const child = spawn(process.execPath, brokerArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  let out = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = await new Promise<{ port: number; startMs: number; reported: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs)
    const onData = (d: Buffer): void => {
      out += d.toString()
      const m = /listening on [^\s]+:(\d+)/.exec(out)
      const r = /ready in (\d+) ms/.exec(out)
      if (m !== null && r !== null) {
        clearTimeout(timer)
        resolve({ port: Number(m[1]), startMs: performance.now() - t0, reported: Number(r[1]) })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`broker exited with ${code} before ready:\n${out}`))
    })
  })
  return {
    child,
    pid: child.pid!,
    port: ready.port,
    startMs: ready.startMs,
    reportedReadyMs: ready.reported,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** Wall time of spawning `node args` until it exits, ms. */
export function timeProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, args, { stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', () => resolve(performance.now() - t0))
  })
}

// The shape of a benchmark run's results, the context suites share, and the helpers that
// keep every figure tied to its settings, its same-run baseline and the CPU the rest of
// the machine was using meanwhile (this kit runs on shared, noisy machines).

import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { MachineFacts, Versions } from './machine.ts'
import type { ProgressSink } from './progress.ts'
import { spawnBroker, type BrokerProcess, type BrokerSpawn } from './proc.ts'

export interface Durability {
  /** Produce acks: 0, 1 or -1 (all); null where nothing is produced. */
  acks: 0 | 1 | -1 | null
  /** The broker's --fsync mode, or 'n/a' for a baseline. */
  fsync: 'always' | 'interval' | 'never' | 'n/a'
  storage: 'disk' | 'memory' | 'n/a'
}

export interface Baseline {
  id: string
  name: string
  value: number
  unit: string
}

export interface ResultRow {
  id: string
  suite: string
  title: string
  durability: Durability
  settings: Record<string, string | number | boolean | null>
  /** The headline figure and its unit (MB/s, ms, MB...). */
  value: number
  unit: string
  metrics: Record<string, number | string | boolean | null>
  baseline: Baseline | null
  /** value / baseline.value (or baseline / value where lower is better, see ratioKind). */
  ratio: number | null
  ratioKind: 'of-baseline' | 'times-baseline' | null
  /** CPU (in cores) other processes used while this was measured. */
  backgroundCores: number | null
}

export interface TargetCheck {
  id: string
  target: string
  measured: string
  met: boolean | null
  note: string
}

export interface Series {
  id: string
  title: string
  xLabel: string
  yLabel: string
  points: Array<{ x: number; y: number; label?: string }>
  logX?: boolean
}

export interface RunResults {
  kit: 'samsa-bench'
  schema: 1
  mode: string
  command: string
  startedAt: string
  durationMs: number
  machine: MachineFacts
  versions: Versions
  results: ResultRow[]
  baselines: ResultRow[]
  targets: TargetCheck[]
  series: Series[]
  notes: string[]
}

export interface SuiteContext {
  mode: 'quick' | 'full' | 'test'
  /** Where temporary data directories go (the broker's disk). */
  scratch: string
  progress: ProgressSink
  run: RunResults
  /** Figures one suite hands to a later one (e.g. the maximum produce rate for latency). */
  shared: Map<string, number>
  /** Build of the broker to measure throughput with. */
  build: 'source' | 'compiled'
  compiledDir: string | null
}

export function addResult(ctx: SuiteContext, row: Omit<ResultRow, 'ratio' | 'ratioKind'> & { ratio?: number | null; ratioKind?: ResultRow['ratioKind'] }): ResultRow {
  const ratio = row.ratio !== undefined ? row.ratio : row.baseline !== null && row.baseline.value > 0 ? row.value / row.baseline.value : null
  const full: ResultRow = { ...row, ratio, ratioKind: row.ratioKind ?? (ratio === null ? null : 'of-baseline') }
  ctx.run.results.push(full)
  const r = ratio === null ? '' : full.ratioKind === 'times-baseline' ? `  (${ratio.toFixed(2)}× ${row.baseline!.name})` : `  (${(ratio * 100).toFixed(0)} % of ${row.baseline!.name})`
  ctx.progress.log(`  ${row.title}: ${fmt(row.value)} ${row.unit}${r}`)
  return full
}

export function addBaseline(ctx: SuiteContext, row: Omit<ResultRow, 'ratio' | 'ratioKind' | 'baseline'>): Baseline {
  const existing = ctx.run.baselines.find((b) => b.id === row.id)
  if (existing === undefined) {
    ctx.run.baselines.push({ ...row, baseline: null, ratio: null, ratioKind: null })
    ctx.progress.log(`  baseline ${row.title}: ${fmt(row.value)} ${row.unit}`)
  }
  return { id: row.id, name: row.title, value: row.value, unit: row.unit }
}

export function addTarget(ctx: SuiteContext, t: TargetCheck): void {
  ctx.run.targets.push(t)
  const verdict = t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED'
  ctx.progress.log(`  target ${t.id}: ${verdict}: ${t.measured} (target ${t.target})`)
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)
}

function cpuTotals(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = f[3]! + (f[4] ?? 0)
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/** Cores busy machine-wide between start() and stop(). */
export function systemMeter(cpus: number): { stop(): number } {
  let a: { busy: number; total: number } | null = null
  try {
    a = cpuTotals()
  } catch {
    a = null
  }
  return {
    stop() {
      if (a === null) return 0
      const b = cpuTotals()
      return b.total === a.total ? 0 : (cpus * (b.busy - a.busy)) / (b.total - a.total)
    },
  }
}

/** Runs `fn` against a broker child process on a fresh data directory, then stops it and removes the directory. */
export async function withBroker<T>(ctx: SuiteContext, opts: Omit<BrokerSpawn, 'build' | 'compiledDir' | 'dataDir'> & { build?: 'source' | 'compiled' }, fn: (b: BrokerProcess, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(ctx.scratch, 'samsa-bench-data-'))
  const build = opts.build ?? ctx.build
  let b: BrokerProcess | null = null
  try {
    b = await spawnBroker({ ...opts, build, compiledDir: ctx.compiledDir ?? undefined, dataDir })
    return await fn(b, dataDir)
  } finally {
    if (b !== null) await b.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// `npm run bench` / `npm run bench:full`: measures Samsa on this machine and prints every
// figure beside a baseline measured in the same run, so the ratios mean something on any
// machine. Writes bench/results/<mode>.json, <mode>.md and scaling-<mode>.svg.
//
// node bench/main.ts [--quick | --full] [--only produce,fetch,...] [--build source|compiled]
//                    [--out DIR] [--scratch DIR] [--rdk-* ...: see --help]

import { mkdirSync, writeFileSync, rmSync, existsSync, copyFileSync, symlinkSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { machineFacts, versions } from './lib/machine.ts'
import { Progress, silentProgress, type ProgressSink } from './lib/progress.ts'
import { repoRoot } from './lib/proc.ts'
import type { RunResults, SuiteContext } from './lib/result.ts'
import { produceSuite, fetchSuite, durableSuite } from './suites/throughput.ts'
import { latencySuite } from './suites/latency.ts'
import { clientsSuite } from './suites/clients.ts'
import { scalingSuite } from './suites/scaling.ts'
import { rdkafkaSuite, configureRdkafka, RDKAFKA_DEFAULTS, type RdkafkaOptions, type RdkafkaCase } from './suites/rdkafka.ts'
import { startupSuite, partitionsMemorySuite, recoverySuite } from './suites/system.ts'
import { sustainedSuite, configureSustained, SUSTAINED_DEFAULTS } from './suites/sustained.ts'
import { markdown } from './report/markdown.ts'
import { scalingSvg } from './report/svg.ts'

type Mode = SuiteContext['mode']

export const SUITES: Record<string, (ctx: SuiteContext) => Promise<void>> = {
  produce: produceSuite,
  fetch: fetchSuite,
  durable: durableSuite,
  latency: latencySuite,
  startup: startupSuite,
  partitions: partitionsMemorySuite,
  recovery: recoverySuite,
  clients: clientsSuite,
  scaling: scalingSuite,
  rdkafka: rdkafkaSuite,
  sustained: sustainedSuite,
}

export const PLAN: Record<Mode, string[]> = {
  quick: ['produce', 'fetch', 'durable', 'latency', 'startup', 'recovery'],
  full: ['produce', 'fetch', 'durable', 'latency', 'clients', 'rdkafka', 'scaling', 'startup', 'partitions', 'recovery', 'sustained'],
  test: ['produce', 'fetch'],
}

export interface BenchOptions {
  mode: Mode
  only?: string[]
  build?: 'source' | 'compiled'
  /** Directory for the result files; null writes none. */
  outDir: string | null
  scratch?: string
  progress?: ProgressSink
  command?: string
  /** Rounds, message counts and settings of the rdkafka suite. */
  rdkafka?: Partial<RdkafkaOptions>
}

/**
 * Compiles the package the way `npm run build` / the Dockerfile do, into a scratch
 * directory outside the tree (so its .d.ts files stay out of the typecheck), with the
 * package.json and node_modules it resolves against beside it.
 */
export function compileBuild(dir: string): string {
  rmSync(dir, { recursive: true, force: true })
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', dir], { cwd: repoRoot, stdio: 'inherit' })
  copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

export async function runBench(opts: BenchOptions): Promise<RunResults> {
  const progress = opts.progress ?? silentProgress
  const scratch = opts.scratch ?? tmpdir()
  const suites = opts.only ?? PLAN[opts.mode]
  for (const s of suites) if (SUITES[s] === undefined) throw new Error(`unknown suite ${s} (known: ${Object.keys(SUITES).join(', ')})`)
  const started = Date.now()
  const run: RunResults = {
    kit: 'samsa-bench', schema: 1, mode: opts.mode, command: opts.command ?? `node bench/main.ts --${opts.mode}`, startedAt: new Date(started).toISOString(), durationMs: 0,
    machine: machineFacts(scratch), versions: versions(), results: [], baselines: [], targets: [], series: [],
    notes: [
      'Ratios compare figures measured in this run only: "x % of <baseline>" is value / baseline; "N× <baseline>" for times.',
      'Brokers run as child processes (their CPU and RSS are their own); the load generator runs in the bench process.',
      '"CPU used by others" is machine-wide busy CPU minus the processes of the measurement: other work on a shared machine.',
    ],
  }
  // Start-up and memory targets apply to the shipped (compiled) build; throughput uses it too unless told otherwise.
  const needsBuild = opts.mode !== 'test' && (opts.build === 'compiled' || opts.build === undefined)
  let compiledDir: string | null = null
  if (needsBuild) {
    progress.step('compiling the package (tsc -p tsconfig.build.json)')
    compiledDir = compileBuild(join(scratch, 'samsa-bench-build'))
  }
  configureRdkafka(opts.rdkafka ?? {})
  const ctx: SuiteContext = { mode: opts.mode, scratch, progress, run, shared: new Map(), build: compiledDir !== null ? 'compiled' : 'source', compiledDir }
  for (const name of suites) {
    progress.log(`${name}:`)
    await SUITES[name]!(ctx)
  }
  const underLoad = ctx.shared.get('rss.underLoad')
  if (underLoad !== undefined) {
    run.results.push({
      id: 'memory/under-load', suite: 'memory', title: 'resident memory under produce load (max sampled)', durability: { acks: 1, fsync: 'interval', storage: 'disk' },
      settings: { build: ctx.build }, value: underLoad / 1e6, unit: 'MB', metrics: {}, baseline: null, ratio: null, ratioKind: null, backgroundCores: null,
    })
    progress.log(`  resident memory under load: ${Math.round(underLoad / 1e6)} MB`)
  }
  run.durationMs = Date.now() - started
  progress.done()
  if (opts.outDir !== null) {
    mkdirSync(opts.outDir, { recursive: true })
    writeFileSync(join(opts.outDir, `${opts.mode}.json`), `${JSON.stringify(run, null, 2)}\n`)
    writeFileSync(join(opts.outDir, `${opts.mode}.md`), markdown(run))
    if (run.series.length > 0) writeFileSync(join(opts.outDir, `scaling-${opts.mode}.svg`), scalingSvg(run.series))
  }
  return run
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      only: { type: 'string' },
      build: { type: 'string' },
      out: { type: 'string' },
      scratch: { type: 'string' },
      'rdk-rounds': { type: 'string' },
      'rdk-1k': { type: 'string' },
      'rdk-100b': { type: 'string' },
      'rdk-durable': { type: 'string' },
      'rdk-partitions': { type: 'string' },
      'rdk-linger-ms': { type: 'string' },
      'rdk-cases': { type: 'string' },
      'rdk-set': { type: 'string', multiple: true },
      'rdk-samsa-node-args': { type: 'string' },
      'rdk-keep-topics': { type: 'boolean' },
      'sustained-minutes': { type: 'string' },
      'sustained-window-s': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    const d = RDKAFKA_DEFAULTS
    process.stdout.write(`usage: node bench/main.ts [--quick | --full] [--only ${Object.keys(SUITES).join(',')}] [--build source|compiled] [--out DIR] [--scratch DIR]
  rdkafka suite (librdkafka's rdkafka_performance vs its mock cluster and Samsa; part of --full):
    --rdk-rounds N          rounds, brokers alternating, a new topic each (${d.rounds})
    --rdk-1k N              1 KiB messages per run, acks=1 (${d.messages1k})
    --rdk-100b N            100 B messages per run, acks=1 (${d.messages100b})
    --rdk-durable N         1 KiB messages per run, acks=all, Samsa --fsync always (${d.messagesDurable})
    --rdk-partitions N      partitions of each topic (${d.partitions})
    --rdk-linger-ms N       librdkafka linger.ms (${d.lingerMs}; rdkafka_performance's own default is 1000)
    --rdk-cases LIST        any of ${d.cases.join(',')}
    --rdk-set NAME=VALUE    another librdkafka property (repeatable), e.g. batch.size=262144
    --rdk-samsa-node-args=S Node options for the default-fsync Samsa broker, e.g. --rdk-samsa-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"
    --rdk-keep-topics       keep each round's topic on Samsa (default: delete it after the round; kept data
                            grows the page cache round after round, see docs/performance.md)
  sustained suite (part of --full): produce for minutes in windows, retention bounding the log:
    --sustained-minutes N   total minutes (${SUSTAINED_DEFAULTS.minutes})
    --sustained-window-s N  seconds per window (${SUSTAINED_DEFAULTS.windowSeconds})
`)
    process.exit(0)
  }
  const mode: Mode = values.full === true ? 'full' : 'quick'
  const outDir = resolve(values.out ?? join(repoRoot, 'bench/results'))
  const build = values.build === 'source' || values.build === 'compiled' ? values.build : undefined
  if (values.scratch !== undefined && !existsSync(values.scratch)) mkdirSync(values.scratch, { recursive: true })
  const command = `node bench/main.ts ${process.argv.slice(2).join(' ')}`.trim()
  const progress = new Progress()
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`)
    return n
  }
  const rdkafka: Partial<RdkafkaOptions> = {
    rounds: num(values['rdk-rounds']), messages1k: num(values['rdk-1k']), messages100b: num(values['rdk-100b']), messagesDurable: num(values['rdk-durable']),
    partitions: num(values['rdk-partitions']), lingerMs: values['rdk-linger-ms'] === undefined ? undefined : Number(values['rdk-linger-ms']),
    cases: values['rdk-cases']?.split(',') as RdkafkaCase[] | undefined, extra: values['rdk-set'], samsaNodeArgs: values['rdk-samsa-node-args']?.split(/\s+/).filter(Boolean),
    keepTopics: values['rdk-keep-topics'],
  }
  configureSustained({ minutes: num(values['sustained-minutes']), windowSeconds: num(values['sustained-window-s']) })
  const run = await runBench({ mode, only: values.only?.split(','), build, outDir, scratch: values.scratch, progress, command, rdkafka })
  process.stdout.write(`\n${markdown(run)}`)
  process.stdout.write(`\nwritten: ${join(outDir, `${mode}.json`)}, ${mode}.md${run.series.length > 0 ? `, scaling-${mode}.svg` : ''}\n`)
}

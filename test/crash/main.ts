// The crash harness from the command line (issue 8):
//
//   node test/crash/main.ts --cycles 100 [--seed 42] [--data-dir DIR] [--kill-after 50-1000]
//
// One progress line per cycle, then the summary as JSON. Exit 0 when every check held,
// 1 naming the first violated check (topic, partition, offset). A temporary data dir is
// removed after a passing run and kept after a failing one (its path is in the summary).

import { parseArgs } from 'node:util'
import { describe, runCrashCycles } from './harness.ts'

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10' },
    seed: { type: 'string' },
    'data-dir': { type: 'string' },
    'kill-after': { type: 'string', default: '50-1000' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help === true) {
  console.log('usage: node test/crash/main.ts --cycles N [--seed S] [--data-dir DIR] [--kill-after MIN-MAX (ms)]')
  process.exit(0)
}
const cycles = Number(values.cycles)
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed)
const kill = /^(\d+)-(\d+)$/.exec(values['kill-after'])
if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(seed) || kill === null || Number(kill[1]) > Number(kill[2])) {
  console.error('--cycles must be a positive integer, --seed an integer, --kill-after MIN-MAX in ms')
  process.exit(2)
}
process.once('SIGINT', () => process.exit(130)) // 'exit' handlers kill the broker child

console.log(`crash harness: ${cycles} cycles, seed ${seed} (rerun with --seed ${seed})`)
const summary = await runCrashCycles({
  cycles,
  seed,
  dataDir: values['data-dir'],
  killAfterMs: [Number(kill[1]), Number(kill[2])],
  log: (line) => console.log(line),
}).catch((err: unknown) => {
  console.error((err as Error).message) // a bad --data-dir; broker faults come back in the summary
  process.exit(2)
})
const { perCycle, ...rest } = summary
console.log(JSON.stringify({ ...rest, failures: rest.failures.slice(0, 10) }, null, 2))
if (!summary.ok) {
  console.error(`FAILED: ${describe(summary.failures[0]!)}`)
  console.error(`data dir kept for inspection: ${summary.dataDir}`)
  process.exit(1)
}
console.log(`ok: ${summary.cyclesCompleted} cycles, ${summary.acknowledgedRecords} acknowledged records, all checks held (${(summary.durationMs / 1000).toFixed(1)} s)`)
void perCycle

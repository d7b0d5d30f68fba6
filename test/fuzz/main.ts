// CLI over runFuzz (runner.ts):
//
//   node test/fuzz/main.ts --frames 20000 --seed 1            # in-process broker, temp dir
//   node test/fuzz/main.ts --frames 1e6 --seed 7 --port 9092  # a broker already running
//   node test/fuzz/main.ts --replay test/fuzz/failures/1-123.frame
//
// Options: --frames N (default 20000), --seed S (default: time-based, printed), --port P,
// --from F (number of the first frame: `--seed S --from N --frames 1` re-sends frame N),
// --concurrency C (16), --response-timeout-ms T (2000), --rss-limit-mb M (600),
// --keep-going (collect every distinct failure), --no-bombs (no decompression bombs), --bomb-codecs 1,2,4 (only these), --replay FILE... (send only these
// files, each on a fresh connection, with every check), --quiet (no progress lines).
// Prints progress at most once a second, then one JSON summary line; exits 0 when
// nothing failed, 1 with the first failure described (its frame written to
// test/fuzz/failures/<seed>-<n>.frame).

import { mkdtempSync, copyFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { runFuzz, type FuzzOptions } from './runner.ts'

function usage(message: string): never {
  console.error(`${message}\nusage: node test/fuzz/main.ts [--frames N] [--seed S] [--from F] [--port P] [--concurrency C] [--response-timeout-ms T] [--rss-limit-mb M] [--keep-going] [--no-bombs] [--bomb-codecs C,C] [--quiet] [--replay FILE...]`)
  process.exit(2)
}

const args = process.argv.slice(2)
// Bombs that only stop at the 128 MiB limit (gzip, zstd without a stated size) are left
// out by default, as in the CI run; --bomb-codecs 1,2,3,4 puts them back.
const options: FuzzOptions = { frames: 20_000, seed: Date.now() % 1_000_000, mutator: { bombCodecs: [2, 3] } }
const replay: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  const value = (): string => {
    const v = args[++i]
    if (v === undefined) usage(`${a} needs a value`)
    return v
  }
  const num = (): number => {
    const v = Number(value())
    if (!Number.isFinite(v) || v < 0) usage(`${a} needs a non-negative number`)
    return v
  }
  switch (a) {
    case '--frames': options.frames = Math.floor(num()); break
    case '--seed': options.seed = value(); break
    case '--from': options.firstFrame = Math.floor(num()); break
    case '--port': options.port = num(); break
    case '--concurrency': options.concurrency = Math.max(1, num()); break
    case '--response-timeout-ms': options.responseTimeoutMs = num(); break
    case '--rss-limit-mb': options.rssLimitMb = num(); break
    case '--keep-going': options.keepGoing = true; break
    case '--no-bombs': options.mutator = { ...options.mutator, bombCodecs: [] }; break
    case '--bomb-codecs': options.mutator = { ...options.mutator, bombCodecs: value().split(',').map(Number) }; break
    case '--quiet': options.progress = () => {}; break
    case '--replay':
      while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) replay.push(args[++i]!)
      if (replay.length === 0) usage('--replay needs at least one file')
      break
    case '--help': usage('protocol fuzzer for Samsa')
    default: usage(`unknown argument ${a}`)
  }
}

options.onFailure = (f) => console.error(`failure (${f.kind}) at frame ${f.frame}: ${f.message.slice(0, 2000)}${f.what ? ` [${f.what.join('; ')}]` : ''}`)

let replayDir: string | null = null
if (replay.length > 0) {
  // Replaying files is a run of their own: they take the regression slot, no fuzzed frames.
  replayDir = mkdtempSync(join(tmpdir(), 'samsa-fuzz-replay-'))
  replay.forEach((f, i) => copyFileSync(f, join(replayDir!, `${String(i).padStart(4, '0')}-${basename(f).replace(/\.(frame|batch)$/, '')}.frame`)))
  options.regressionsDir = replayDir
  options.frames = 0
}

console.log(
  `fuzz: seed ${options.seed}, ${options.frames} frames, ` +
    (options.port === undefined ? `in-process broker, RSS bound ${options.rssLimitMb ?? 600} MB` : `broker on 127.0.0.1:${options.port} (its log lines and RSS are not checked)`),
)
const summary = await runFuzz(options).finally(() => {
  if (replayDir !== null) rmSync(replayDir, { recursive: true, force: true })
})
console.log(JSON.stringify(summary))
if (!summary.ok) {
  const f = summary.failures[0]!
  console.error(`FAILED (${f.kind}): ${f.message}`)
  if (f.frame !== null) console.error(`  frame ${f.frame} of seed ${summary.seed}${f.client ? ` (from a ${f.client} seed)` : ''}: ${(f.what ?? []).join('; ')}`)
  if (f.file !== undefined) console.error(`  written to ${f.file}; replay: node test/fuzz/main.ts --replay ${f.file}`)
  if (f.frame !== null && f.frame >= 0) console.error(`  regenerate: node test/fuzz/main.ts --seed ${summary.seed} --from ${f.frame} --frames 1`)
  if (summary.dataDir !== null) console.error(`  broker data kept in ${summary.dataDir}`)
}
process.exit(summary.ok ? 0 : 1)

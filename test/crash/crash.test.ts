// Three kill -9 cycles of the crash harness (test/crash/harness.ts): produce load from
// plain and idempotent raw connections, SIGKILL after a seeded random delay, restart on the
// same data dir, read every partition back and check it against every acknowledgement.
// `node test/crash/main.ts --cycles 100` is the long run (docs/crash-results.md).

import t from 'tap'
import { describe, runCrashCycles } from './harness.ts'
import { tempDir } from '../helpers/broker.ts'
import { readdirSync, readFileSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD } from '../../protocol/records/record-batch.ts'

t.test('three kill -9 cycles lose, move or duplicate no acknowledged record', async (t) => {
  const dataDir = tempDir(t, 'samsa-crash-test-')
  const seed = Number(process.env.CRASH_SEED ?? 8)
  const summary = await runCrashCycles({ cycles: 3, seed, dataDir, log: (line) => t.comment(line) })
  t.same(summary.failures.map(describe), [], `every check held (seed ${seed})`)
  t.equal(summary.cyclesCompleted, 3, 'three cycles ran')
  t.ok(summary.acknowledgedRecords > 0, `records were acknowledged (${summary.acknowledgedRecords})`)
  t.ok(summary.storedRecords >= summary.acknowledgedRecords, `the logs hold at least what was acknowledged (${summary.storedRecords})`)
  t.ok(summary.perCycle.every((c) => c.ackedRecords > 0), 'each cycle produced before its kill')
  t.comment(`in flight at the kills: ${summary.inFlightAtKill} requests; idempotent retries: ${summary.idempotentRetries.duplicates} duplicates, ${summary.idempotentRetries.stored} stored; ${summary.truncations} truncations; ${summary.durationMs} ms`)
})

t.test('the harness notices acknowledged records that are gone after the restart', async (t) => {
  // Cut the first half of crash-a-0's batches off the end of its log while the broker is
  // dead: the restart recovers a shorter, valid log, as a broker that lost writes would.
  const dataDir = tempDir(t, 'samsa-crash-test-')
  const summary = await runCrashCycles({
    cycles: 1,
    seed: 3,
    dataDir,
    killAfterMs: [500, 500],
    afterKill: ({ dataDir }) => {
      const dir = join(dataDir, 'crash-a-0')
      const segment = join(dir, readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!)
      const log = readFileSync(segment)
      const ends: number[] = []
      for (let pos = 0; pos + LOG_OVERHEAD <= log.length; ) {
        pos += LOG_OVERHEAD + log.readInt32BE(pos + BATCH_LENGTH_OFFSET)
        ends.push(pos)
      }
      truncateSync(segment, ends[Math.floor(ends.length / 2)]!)
    },
  })
  t.notOk(summary.ok, 'the run fails')
  const first = summary.failures[0]
  t.match(first, { check: 'acknowledged record present', topic: 'crash-a', partition: 0 }, first === undefined ? 'no failure' : describe(first))
  t.match(summary.firstFailure, /^acknowledged record present failed \(cycle 1, crash-a-0, offset \d+\): acknowledged c1-p0-\d+ at offset \d+ is missing/)
})

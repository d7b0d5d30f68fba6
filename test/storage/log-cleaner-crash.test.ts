// kill -9 at every step of a clean: the file layer stops working after the Nth
// mutating call (write, truncate, datasync, rename, unlink...), then the machine
// "crashes" (unsynced bytes are lost) and the log is reopened with recovery. Whatever N,
// the log must read back exactly as before the clean or as after one of its swaps (a clean
// rewrites groups of segments, each swapped in on its own, as Kafka's cleaner does).

import t from 'tap'
import { buildRecordBatch, decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { batchSize } from '../../protocol/records/record-batch.ts'
import { MemoryFileIO, type FileIO } from '../../storage/file-io.ts'
import { PartitionLog } from '../../storage/partition-log.ts'
import { LogCleaner } from '../../storage/log-cleaner.ts'
import { config, seededRandom } from './helpers.ts'

const DIR = '/data/table-0'

class Killed extends Error {}

// Forwards to a MemoryFileIO until `budget` mutating calls have been made, then throws on every call.
function crashingIO(mem: MemoryFileIO): { io: FileIO; used: () => number; arm: (budget: number) => void } {
  let used = 0
  let budget = Infinity
  const mutating = new Set(['write', 'writev', 'truncate', 'datasync', 'rename', 'unlink', 'rmrf', 'writeFileAtomic', 'fsyncDir', 'mkdirp', 'open'])
  const io = new Proxy(mem, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (used >= budget) throw new Killed('killed')
        if (mutating.has(String(prop))) used++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  }) as unknown as FileIO
  return { io, used: () => used, arm: (b) => { used = 0; budget = b } }
}

function readAll(log: PartitionLog): string[] {
  const out: string[] = []
  let offset = log.logStartOffset
  for (;;) {
    const r = log.read(offset, 1 << 20, { minOneBatch: true })
    if (r.records.length === 0) return out
    for (let pos = 0; pos < r.records.length; pos += batchSize(r.records, pos)) {
      for (const rec of decodeRecords(r.records, pos)) if (rec.offset >= offset) out.push(`${rec.offset}:${rec.key?.toString()}=${rec.value?.toString() ?? 'null'}`)
      offset = Number(r.records.readBigInt64BE(pos)) + r.records.readInt32BE(pos + 23) + 1
    }
  }
}

const CONFIG = config({ cleanupPolicy: 'compact', segmentBytes: 1024, deleteRetentionMs: 1_000 })

// The same log every time: a compacted history in a dozen segments, flushed.
function build(mem: MemoryFileIO): PartitionLog {
  mem.mkdirp('/data')
  const log = PartitionLog.open(mem, DIR, CONFIG, { clean: true, recoveryPoint: 0, now: 0 })
  const random = seededRandom(7)
  for (let b = 0; b < 60; b++) {
    const records = Array.from({ length: 10 }, (_, i) => {
      const k = Math.floor(random() * 20)
      return { key: Buffer.from(`k${k}`), value: random() < 0.1 ? null : Buffer.from(`v${b}-${i}`), timestamp: 1_000 }
    })
    log.append(buildRecordBatch({ records }), 1_000)
  }
  log.roll(1_000)
  log.flush()
  return log
}

t.test('a crash at any step of a clean leaves the old log or the cleaned one, never a mix', async (t) => {
  const reference = new MemoryFileIO()
  const refLog = build(reference)
  const before = readAll(refLog)
  t.ok(refLog.segmentCount > 10, `${refLog.segmentCount} segments`)
  const { io: counting, used, arm } = crashingIO(reference)
  refLog.abandon()
  const counted = PartitionLog.open(counting, DIR, CONFIG, { clean: true, recoveryPoint: refLog.logEndOffset, now: 2_000 })
  arm(Infinity)
  // The states a reader may find: before, and after each group's swap.
  const states = [JSON.stringify(before)]
  const refCleaner = new LogCleaner()
  refCleaner.afterSwapStep = (step) => {
    if (step !== 'done') return
    const view = PartitionLog.open(reference, DIR, CONFIG, { clean: true, recoveryPoint: 0, now: 2_000 })
    states.push(JSON.stringify(readAll(view)))
    view.abandon()
  }
  refCleaner.cleanNow(counted, 2_000)
  const after = readAll(counted)
  t.equal(states[states.length - 1], JSON.stringify(after))
  t.ok(states.length > 2, `${states.length - 1} swaps`)
  const steps = used()
  t.ok(after.length < before.length / 2, `the clean removes records (${before.length} -> ${after.length})`)
  t.ok(steps > 20, `${steps} file operations in one clean`)

  let sawOld = 0
  let sawNew = 0
  for (let budget = 0; budget <= steps; budget++) {
    const mem = new MemoryFileIO()
    const log = build(mem)
    const logEnd = log.logEndOffset
    const c = crashingIO(mem)
    log.abandon()
    const victim = PartitionLog.open(c.io, DIR, CONFIG, { clean: true, recoveryPoint: logEnd, now: 2_000 })
    c.arm(budget)
    try {
      new LogCleaner().cleanNow(victim, 2_000)
    } catch (err) {
      if (!(err instanceof Killed) && !(err instanceof Error && /killed/.test(err.message))) throw err
    }
    mem.crash()
    const reopened = PartitionLog.open(mem, DIR, CONFIG, { clean: false, recoveryPoint: logEnd, now: 3_000 })
    const seen = readAll(reopened)
    const state = states.indexOf(JSON.stringify(seen))
    if (state === 0) sawOld++
    else if (state > 0) sawNew++
    else {
      t.fail(`crash after ${budget} operations: the log is neither the old one nor one of the swaps (${seen.length} records)`)
      break
    }
    t.equal(reopened.logEndOffset, logEnd, `crash after ${budget} operations: the log end stays`)
    const leftovers = mem.readdir(DIR).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))
    t.same(leftovers, [], `crash after ${budget} operations: no swap leftovers after recovery`)
    // A second clean after recovery still ends in the cleaned log.
    new LogCleaner().cleanNow(reopened, 2_000)
    if (JSON.stringify(readAll(reopened)) !== JSON.stringify(after)) t.fail(`crash after ${budget} operations: cleaning again did not give the cleaned log`)
  }
  t.ok(sawOld > 0 && sawNew > 0, `crashes before the first commit keep the old log (${sawOld}), later ones a swapped state (${sawNew})`)
})

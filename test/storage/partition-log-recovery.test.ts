import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, appendFileSync, readFileSync, writeFileSync, unlinkSync, existsSync, truncateSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { batchBaseOffset, batchLastOffset, batchSize, isCrcValid } from '../../protocol/records/record-batch.ts'
import { MemoryFileIO, NodeFileIO, type FileIO } from '../../storage/file-io.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { PartitionLog } from '../../storage/partition-log.ts'
import { config, makeBatch, seededRandom } from './helpers.ts'

interface Written {
  base: number
  last: number
  bytes: Buffer
}

/** Reads the whole log from its start and checks it is made of intact, contiguous batches. */
function readAllBatches(t: Test, log: PartitionLog): Buffer {
  const { records } = log.read(log.logStartOffset, 1 << 30, { minOneBatch: true })
  let expected = log.logStartOffset
  for (let pos = 0; pos < records.length; pos += batchSize(records, pos)) {
    if (batchBaseOffset(records, pos) !== expected) t.fail(`batch at ${pos} starts at ${batchBaseOffset(records, pos)}, expected ${expected}`)
    if (!isCrcValid(records, pos)) t.fail(`batch at ${pos} has a bad CRC`)
    expected = batchLastOffset(records, pos) + 1
  }
  t.equal(expected, log.logEndOffset, 'batches run contiguously to the log end')
  return records
}

t.test('crash recovery with MemoryFileIO over many seeds', async (t) => {
  const SEEDS = 150
  let tornRuns = 0
  let damagedRuns = 0
  for (let seed = 0; seed < SEEDS; seed++) {
    const random = seededRandom(seed)
    const io = new MemoryFileIO()
    io.mkdirp('/data')
    const dir = '/data/t-0'
    const cfg: LogConfig = config({ segmentBytes: 600 + Math.floor(random() * 1500), indexIntervalBytes: Math.floor(random() * 300) })
    const log = PartitionLog.open(io, dir, cfg, { clean: true, recoveryPoint: 0, now: 0 })
    const written: Written[] = []
    let flushedEnd = 0
    const appends = 5 + Math.floor(random() * 40)
    for (let i = 0; i < appends; i++) {
      const batch = makeBatch({ records: 1 + Math.floor(random() * 5), valueBytes: Math.floor(random() * 200), timestamp: 1000 * i, fill: i })
      const r = log.append(batch, i)
      written.push({ base: r.baseOffset, last: r.lastOffset, bytes: Buffer.from(batch) })
      if (random() < 0.25) {
        log.flush()
        flushedEnd = log.recoveryPoint
      }
    }
    const mode = seed % 3
    // Every other seed: the tail is synced (so it survives the crash) and one batch past
    // the recovery point is damaged on disk with its header intact, which only the CRC
    // scan of unclean recovery catches (a clean open trusts headers between index entries).
    let damaged: Written | null = null
    if (seed % 2 === 1) {
      log.syncData()
      const candidates = written.filter((w) => w.base >= flushedEnd)
      if (candidates.length > 0) {
        damaged = candidates[Math.floor(random() * candidates.length)]!
        for (const name of io.readdir(dir).filter((n) => n.endsWith('.log'))) {
          const file = io.readFile(`${dir}/${name}`)
          const at = file.indexOf(damaged.bytes)
          if (at < 0) continue
          file[at + damaged.bytes.length - 1]! ^= 0x5a
          const h = io.open(`${dir}/${name}`, 'rw')
          io.write(h, file, 0)
          io.datasync(h)
          io.close(h)
          break
        }
      }
    }
    io.crash({ keepUnsyncedBytes: mode === 0 ? 0 : 'random', garbage: mode === 2, random })

    const recovered = PartitionLog.open(io, dir, cfg, { clean: false, recoveryPoint: flushedEnd, now: 1e6 })
    const leo = recovered.logEndOffset
    const label = `seed ${seed}`
    if (leo < flushedEnd) t.fail(`${label}: log end ${leo} lost flushed data below ${flushedEnd}`)
    const boundary = leo === 0 || written.some((w) => w.last + 1 === leo)
    if (!boundary) t.fail(`${label}: log end ${leo} is not at a batch boundary`)
    if (leo > written[written.length - 1]!.last + 1) t.fail(`${label}: log end ${leo} beyond what was written`)
    if (recovered.recoveryReport.truncatedBytes > 0) tornRuns++
    if (damaged !== null) {
      damagedRuns++
      if (leo > damaged.base) t.fail(`${label}: the damaged batch at ${damaged.base} was kept (log end ${leo})`)
    }

    const all = readAllBatches(t, recovered)
    const expected = Buffer.concat(written.filter((w) => w.last < leo).map((w) => w.bytes))
    if (!all.equals(expected)) t.fail(`${label}: recovered bytes differ from what was appended`)
    for (const w of written) {
      if (w.last >= leo) break
      const { records } = recovered.read(w.base, 1, { minOneBatch: true })
      if (!records.equals(w.bytes)) t.fail(`${label}: batch ${w.base} not intact`)
    }
    if (recovered.read(leo, 1 << 20, { minOneBatch: true }).records.length !== 0) t.fail(`${label}: data served past the log end`)
    t.equal(recovered.recoveryPoint, leo, `${label}: recovered data is fsynced, recovery point at the log end`)

    const next = recovered.append(makeBatch({ records: 2 }), 2e6)
    if (next.baseOffset !== leo) t.fail(`${label}: appending resumed at ${next.baseOffset}, not ${leo}`)
    // A second crash right after recovery loses nothing that recovery kept.
    io.crash()
    const again = PartitionLog.open(io, dir, cfg, { clean: false, recoveryPoint: recovered.recoveryPoint, now: 3e6 })
    if (again.logEndOffset < leo) t.fail(`${label}: recovered data lost by a second crash`)
    readAllBatches(t, again)
  }
  t.ok(tornRuns > 10, `torn tails were actually exercised (${tornRuns} runs truncated bytes)`)
  t.ok(damagedRuns > 30, `damaged batches behind intact indexes were exercised (${damagedRuns} runs)`)
})

// Cases only unclean recovery handles: the indexes on disk are intact (flushed), so a
// clean open would trust the .log past them; a batch written after the last flush and
// synced, then damaged on disk with its header intact, must be cut by the CRC scan
// recovery does from the recovery point. Switching that scan off makes these fail.
t.test('a damaged batch past the recovery point, behind intact indexes, is cut only by unclean recovery', async (t) => {
  for (const damage of ['payload byte', 'crc field'] as const) {
    const io = new MemoryFileIO()
    io.mkdirp('/data')
    const dir = '/data/t-0'
    // Default index interval: the few batches fit between two index entries, so a clean
    // open scans only their headers and would keep a damaged payload.
    const cfg = config()
    const log = PartitionLog.open(io, dir, cfg, { clean: true, recoveryPoint: 0, now: 0 })
    for (let i = 0; i < 4; i++) log.append(makeBatch({ records: 2, fill: i }), i)
    log.flush()
    const flushedEnd = log.recoveryPoint
    const tail = makeBatch({ records: 3, fill: 9 })
    log.append(tail, 9)
    log.syncData()
    const path = `${dir}/00000000000000000000.log`
    const file = io.readFile(path)
    const at = file.length - tail.length
    if (damage === 'payload byte') file[file.length - 2]! ^= 0xff
    if (damage === 'crc field') file[at + 17]! ^= 0x01
    const h = io.open(path, 'rw')
    io.write(h, file, 0)
    io.datasync(h)
    io.close(h)
    io.crash()

    const recovered = PartitionLog.open(io, dir, cfg, { clean: false, recoveryPoint: flushedEnd, now: 10 })
    t.equal(recovered.logEndOffset, flushedEnd, `${damage}: the log ends before the damaged batch`)
    t.ok(recovered.recoveryReport.truncatedBytes > 0, `${damage}: recovery reports what it cut`)
    t.equal(recovered.read(0, 1 << 20, { minOneBatch: true }).records.length, file.length - tail.length, `${damage}: the batches before it are all there`)
  }
})

t.test('crash before any flush recovers to an empty or partial log', async (t) => {
  const io = new MemoryFileIO()
  io.mkdirp('/data')
  const log = PartitionLog.open(io, '/data/t-0', config(), { clean: true, recoveryPoint: 0, now: 0 })
  for (let i = 0; i < 5; i++) log.append(makeBatch(), 0)
  io.crash()
  const recovered = PartitionLog.open(io, '/data/t-0', config(), { clean: false, recoveryPoint: 0, now: 0 })
  t.equal(recovered.logEndOffset, 0)
  t.equal(recovered.append(makeBatch(), 0).baseOffset, 0)
})

t.test('segments after a cut are deleted', async (t) => {
  const io = new MemoryFileIO()
  io.mkdirp('/data')
  const size = makeBatch().length
  const cfg = config({ segmentBytes: size * 2 })
  const log = PartitionLog.open(io, '/data/t-0', cfg, { clean: true, recoveryPoint: 0, now: 0 })
  for (let i = 0; i < 6; i++) log.append(makeBatch(), 0)
  log.flush()
  log.close()
  t.same(io.readdir('/data/t-0').filter((n) => n.endsWith('.log')), ['00000000000000000000.log', '00000000000000000002.log', '00000000000000000004.log'])
  // Corrupt the middle segment's second batch.
  const path = '/data/t-0/00000000000000000002.log'
  const h = io.open(path, 'rw')
  io.write(h, Buffer.from([0xde, 0xad]), size + 40)
  io.close(h)
  const recovered = PartitionLog.open(io, '/data/t-0', cfg, { clean: false, recoveryPoint: 0, now: 0 })
  t.equal(recovered.logEndOffset, 3)
  t.same(recovered.segmentBaseOffsets, [0, 2])
  t.same(recovered.recoveryReport, { recoveredSegments: 2, truncatedBytes: size, deletedSegments: 1, replayedBatches: 3 }, 'recovery stops at the cut (both segments recovered from recovery point 0, so producer state and aborted transactions are replayed from offset 0)')
  t.notOk(io.exists('/data/t-0/00000000000000000004.log'))
  t.notOk(io.exists('/data/t-0/00000000000000000004.index'))
})

t.test('segments below the recovery point are trusted, not rescanned', async (t) => {
  const io = new MemoryFileIO()
  io.mkdirp('/data')
  const size = makeBatch().length
  const cfg = config({ segmentBytes: size * 2 })
  const log = PartitionLog.open(io, '/data/t-0', cfg, { clean: true, recoveryPoint: 0, now: 0 })
  for (let i = 0; i < 6; i++) log.append(makeBatch(), 0)
  log.flush()
  log.close()
  const recovered = PartitionLog.open(io, '/data/t-0', cfg, { clean: false, recoveryPoint: 5, now: 0 })
  t.equal(recovered.recoveryReport.recoveredSegments, 1, 'only the segment holding the recovery point')
  t.equal(recovered.logEndOffset, 6)
})

// ---- NodeFileIO: damage real files the way a crash or a bad disk would ----

function withDir(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'samsa-recovery-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  return root
}

function fillLog(io: FileIO, dir: string, cfg: LogConfig, batches: number): { log: PartitionLog; written: Written[] } {
  const log = PartitionLog.open(io, dir, cfg, { clean: true, recoveryPoint: 0, now: 0 })
  const written: Written[] = []
  for (let i = 0; i < batches; i++) {
    const b = makeBatch({ records: 3, valueBytes: 40, timestamp: 100 * i, fill: i })
    const r = log.append(b, 0)
    written.push({ base: r.baseOffset, last: r.lastOffset, bytes: Buffer.from(b) })
  }
  log.flush()
  log.close()
  return { log, written }
}

const SEGMENT = '00000000000000000000'

t.test('NodeFileIO: garbage, a half batch and a flipped byte are cut at the last good batch', async (t) => {
  const io = new NodeFileIO()
  const cfg = config({ indexIntervalBytes: 150 })
  const damages: [string, (logPath: string, written: Written[]) => number][] = [
    ['garbage appended', (p, w) => {
      appendFileSync(p, Buffer.from('this is not a record batch at all, just noise'))
      return w.length
    }],
    ['half a batch appended', (p, w) => {
      appendFileSync(p, makeBatch({ records: 3, valueBytes: 40 }).subarray(0, 50))
      return w.length
    }],
    ['a zero-filled tail', (p, w) => {
      appendFileSync(p, Buffer.alloc(300))
      return w.length
    }],
    ['a flipped byte in batch 6', (p, w) => {
      const data = readFileSync(p)
      let pos = 0
      for (let i = 0; i < 6; i++) pos += w[i]!.bytes.length
      data[pos + 70]! ^= 0x10
      writeFileSync(p, data)
      return 6
    }],
    ['the last batch cut short', (p, w) => {
      truncateSync(p, statSync(p).size - 7)
      return w.length - 1
    }],
  ]
  for (const [name, damage] of damages) {
    const dir = join(withDir(t), 't-0')
    const { written } = fillLog(io, dir, cfg, 10)
    const logPath = join(dir, `${SEGMENT}.log`)
    const goodBatches = damage(logPath, written)
    const goodBytes = written.slice(0, goodBatches).reduce((n, w) => n + w.bytes.length, 0)
    const log = PartitionLog.open(io, dir, cfg, { clean: false, recoveryPoint: 0, now: 0 })
    t.equal(log.logEndOffset, goodBatches * 3, `${name}: log end after the last good batch`)
    t.equal(statSync(logPath).size, goodBytes, `${name}: .log truncated at the last good batch`)
    t.ok(log.recoveryReport.truncatedBytes > 0, `${name}: reported`)
    const all = readAllBatches(t, log)
    t.ok(all.equals(Buffer.concat(written.slice(0, goodBatches).map((w) => w.bytes))), `${name}: good batches intact`)
    // Indexes were rebuilt: every entry points at a batch inside the truncated log.
    const index = readFileSync(join(dir, `${SEGMENT}.index`))
    t.equal(index.length % 8, 0)
    t.ok(index.length > 0, `${name}: index has entries`)
    for (let i = 0; i < index.length; i += 8) t.ok(index.readInt32BE(i + 4) < goodBytes, `${name}: index entry ${i / 8} within the log`)
    const timeIndex = readFileSync(join(dir, `${SEGMENT}.timeindex`))
    t.equal(timeIndex.length % 12, 0)
    for (let i = 0; i < timeIndex.length; i += 12) t.ok(timeIndex.readInt32BE(i + 8) < goodBatches * 3, `${name}: time index entry ${i / 12} within the log`)
    t.same(log.listOffsets(-3), { offset: goodBatches * 3 - 1, timestamp: 100 * (goodBatches - 1) + 2 })
    t.equal(log.append(makeBatch(), 0).baseOffset, goodBatches * 3, `${name}: appends continue`)
    log.close()
  }
})

t.test('NodeFileIO: missing or corrupt index files are rebuilt even after a clean shutdown', async (t) => {
  const io = new NodeFileIO()
  const cfg = config({ indexIntervalBytes: 100 })
  const damages: [string, (dir: string) => void][] = [
    ['offset index deleted', (d) => unlinkSync(join(d, `${SEGMENT}.index`))],
    ['time index deleted', (d) => unlinkSync(join(d, `${SEGMENT}.timeindex`))],
    ['offset index with a partial entry', (d) => appendFileSync(join(d, `${SEGMENT}.index`), Buffer.from([1, 2, 3]))],
    ['offset index pointing past the log', (d) => {
      const e = Buffer.alloc(8)
      e.writeInt32BE(1000, 0)
      e.writeInt32BE(1 << 30, 4)
      appendFileSync(join(d, `${SEGMENT}.index`), e)
    }],
    ['offset index entry naming the wrong batch', (d) => {
      const p = join(d, `${SEGMENT}.index`)
      const f = readFileSync(p)
      f.writeInt32BE(f.readInt32BE(f.length - 8) - 1, f.length - 8)
      writeFileSync(p, f)
    }],
    ['time index out of order', (d) => {
      const p = join(d, `${SEGMENT}.timeindex`)
      const e = Buffer.alloc(12)
      e.writeBigInt64BE(1n, 0)
      appendFileSync(p, e)
    }],
    ['offset index emptied', (d) => writeFileSync(join(d, `${SEGMENT}.index`), Buffer.alloc(0))],
  ]
  for (const [name, damage] of damages) {
    const dir = join(withDir(t), 't-0')
    const { written } = fillLog(io, dir, cfg, 12)
    const before = readFileSync(join(dir, `${SEGMENT}.index`))
    const beforeTime = readFileSync(join(dir, `${SEGMENT}.timeindex`))
    damage(dir)
    const log = PartitionLog.open(io, dir, cfg, { clean: true, recoveryPoint: 36, now: 0 })
    t.equal(log.logEndOffset, 36, `${name}: nothing lost`)
    t.ok(readFileSync(join(dir, `${SEGMENT}.index`)).equals(before), `${name}: offset index rebuilt identically`)
    t.ok(readFileSync(join(dir, `${SEGMENT}.timeindex`)).equals(beforeTime), `${name}: time index rebuilt identically`)
    for (const w of written) t.ok(log.read(w.base + 1, 1, { minOneBatch: true }).records.equals(w.bytes), `${name}: batch ${w.base} found through the index`)
    t.same(log.listOffsets(450), { offset: 15, timestamp: 500 }, `${name}: time lookups work`)
    log.close()
  }
})

t.test('NodeFileIO: orphan index files are removed, foreign files are left alone', async (t) => {
  const io = new NodeFileIO()
  const dir = join(withDir(t), 't-0')
  fillLog(io, dir, config(), 2)
  writeFileSync(join(dir, '00000000000000000099.index'), Buffer.alloc(8))
  writeFileSync(join(dir, '00000000000000000099.timeindex'), Buffer.alloc(12))
  writeFileSync(join(dir, 'partition.metadata'), 'keep me')
  const log = PartitionLog.open(io, dir, config(), { clean: true, recoveryPoint: 6, now: 0 })
  t.notOk(existsSync(join(dir, '00000000000000000099.index')))
  t.notOk(existsSync(join(dir, '00000000000000000099.timeindex')))
  t.ok(existsSync(join(dir, 'partition.metadata')))
  t.equal(log.logEndOffset, 6)
  log.close()
})

import t from 'tap'
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, setBaseOffset } from '../../protocol/records/record-batch.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import { LogSegment, parseSegmentFileName, segmentFileName } from '../../storage/log-segment.ts'
import { makeBatch } from './helpers.ts'

t.test('file names are Kafka\'s 20-digit base offsets', async (t) => {
  t.equal(segmentFileName(0, '.log'), '00000000000000000000.log')
  t.equal(segmentFileName(1234567, '.timeindex'), '00000000000001234567.timeindex')
  t.equal(parseSegmentFileName('00000000000001234567.log'), 1234567)
  t.equal(parseSegmentFileName('00000000000001234567.index'), null)
  t.equal(parseSegmentFileName('1234567.log'), null)
})

function filled(interval: number, batches: number): { io: MemoryFileIO; seg: LogSegment; positions: number[] } {
  const io = new MemoryFileIO()
  io.mkdirp('/p')
  const seg = LogSegment.create(io, '/p', 100, { indexIntervalBytes: interval, segmentIndexBytes: 1 << 20 }, 0)
  const positions: number[] = []
  let next = 100
  for (let i = 0; i < batches; i++) {
    const b = makeBatch({ records: 4, valueBytes: 30, timestamp: 1000 + 10 * i })
    setBaseOffset(b, 0, next)
    positions.push(seg.size)
    seg.append(b, next, next + 3, batchMaxTimestamp(b, 0), next + 3, 0)
    next += 4
  }
  return { io, seg, positions }
}

t.test('findPosition lands on the batch holding each offset, whatever the index density', async (t) => {
  for (const interval of [0, 1, 150, 1000, 1 << 20]) {
    const { seg, positions } = filled(interval, 30)
    t.equal(seg.nextOffset, 220)
    for (let offset = 0; offset < 230; offset++) {
      const expected = offset < 100 ? 0 : offset >= 220 ? -1 : positions[Math.floor((offset - 100) / 4)]
      if (seg.findPosition(offset) !== expected) t.fail(`interval ${interval}, offset ${offset}: ${seg.findPosition(offset)} != ${expected}`)
    }
    if (interval === 0) t.equal(seg.offsetIndex.entries, 29, 'every batch but the first is indexed at interval 0')
    if (interval === 1 << 20) t.equal(seg.offsetIndex.entries, 0)
    t.pass(`interval ${interval}`)
  }
})

t.test('index entries map a batch\'s last offset to its start, every index.interval.bytes', async (t) => {
  const { seg, positions } = filled(300, 10)
  const size = positions[1]!
  t.ok(size > 150 && size < 300, `batch size ${size}`)
  // Bytes since the last entry must exceed 300 before a batch is indexed: every second batch from the third.
  t.equal(seg.offsetIndex.offsetAt(0), 111)
  t.equal(seg.offsetIndex.positionAt(0), positions[2])
  t.equal(seg.offsetIndex.offsetAt(1), 119)
  t.equal(seg.offsetIndex.positionAt(1), positions[4])
})

t.test('read and readBatchAt', async (t) => {
  const { seg, positions } = filled(100, 5)
  const b = seg.readBatchAt(positions[2]!)
  t.equal(batchBaseOffset(b, 0), 108)
  t.equal(batchLastOffset(b, 0), 111)
  t.equal(seg.read(positions[4]!, 1 << 20).length, seg.size - positions[4]!)
  t.equal(seg.read(seg.size, 100).length, 0)
})

t.test('recover keeps good batches, cuts the rest and rebuilds identical indexes', async (t) => {
  const { io, seg, positions } = filled(120, 12)
  seg.flush()
  const index = io.readFile('/p/00000000000000000100.index')
  const timeIndex = io.readFile('/p/00000000000000000100.timeindex')
  t.equal(seg.recover(), 0, 'nothing to cut in an intact segment')
  t.ok(io.readFile('/p/00000000000000000100.index').equals(index))
  t.ok(io.readFile('/p/00000000000000000100.timeindex').equals(timeIndex))

  const h = io.open('/p/00000000000000000100.log', 'rw')
  io.write(h, Buffer.from([0xff]), positions[9]! + 65)
  io.close(h)
  const cut = seg.recover()
  t.equal(cut, positions[11]! + (positions[1]! - positions[0]!) - positions[9]!)
  t.equal(seg.size, positions[9])
  t.equal(seg.nextOffset, 136)
  t.equal(seg.maxTimestamp, 1080 + 3)
  t.equal(seg.findPosition(140), -1)
  t.equal(seg.findPosition(135), positions[8])
})

t.test('open trusts a clean segment and recovers a damaged one', async (t) => {
  const { io, seg } = filled(120, 12)
  seg.close()
  const settings = { indexIntervalBytes: 120, segmentIndexBytes: 1 << 20 }
  const again = LogSegment.open(io, '/p', 100, settings, 0, false)
  t.equal(again.nextOffset, 148)
  t.equal(again.maxTimestamp, 1110 + 3)
  t.equal(again.offsetOfMaxTimestamp, 147)
  t.equal(again.truncatedBytes, 0)
  again.close()
  const h = io.open('/p/00000000000000000100.log', 'rw')
  io.write(h, Buffer.alloc(10), io.size(h))
  io.close(h)
  const damaged = LogSegment.open(io, '/p', 100, settings, 0, false)
  t.equal(damaged.truncatedBytes, 10, 'a tail that is not a batch boundary triggers recovery')
  t.equal(damaged.nextOffset, 148)
})

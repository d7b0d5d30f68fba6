import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { readCheckpointFile, writeCheckpointFile } from '../../storage/checkpoint-file.ts'
import { CLEAN_SHUTDOWN_FILE, cleanShutdownMarkerExists, removeCleanShutdownMarker, writeCleanShutdownMarker } from '../../storage/clean-shutdown.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'

function io(): MemoryFileIO {
  const m = new MemoryFileIO()
  m.mkdirp('/data')
  return m
}

t.test('checkpoint file: Kafka text format round trip', async (t) => {
  const fs = io()
  t.same(readCheckpointFile(fs, '/data/recovery-point-offset-checkpoint'), [], 'a missing file is no entries')
  const entries = [{ topic: 'orders', partition: 0, offset: 42 }, { topic: 'a.b-c_d', partition: 17, offset: 2 ** 40 }]
  writeCheckpointFile(fs, '/data/recovery-point-offset-checkpoint', entries)
  t.equal(fs.readFile('/data/recovery-point-offset-checkpoint').toString(), `0\n2\norders 0 42\na.b-c_d 17 ${2 ** 40}\n`)
  t.same(readCheckpointFile(fs, '/data/recovery-point-offset-checkpoint'), entries)
  writeCheckpointFile(fs, '/data/empty', [])
  t.same(readCheckpointFile(fs, '/data/empty'), [])
  t.throws(() => writeCheckpointFile(fs, '/data/x', [{ topic: 'bad name', partition: 0, offset: 0 }]))
  fs.crash()
  t.same(readCheckpointFile(fs, '/data/recovery-point-offset-checkpoint'), entries, 'durable once written')
})

t.test('checkpoint file: corruption names the file', async (t) => {
  const fs = io()
  const bad = ['', '1\n0\n', '0\n2\nt 0 1\n', '0\n1\nt 0\n', '0\n1\nt x 1\n', '0\nabc\n', '0\n1\nt 0 1 extra\n', '0\n1\nt -1 5\n']
  for (const text of bad) {
    fs.writeFileAtomic('/data/cp', Buffer.from(text))
    t.throws(() => readCheckpointFile(fs, '/data/cp'), { message: /\/data\/cp/, code: ErrorCode.KAFKA_STORAGE_ERROR }, JSON.stringify(text))
  }
})

t.test('metadata file: versioned, checksummed round trip', async (t) => {
  const fs = io()
  t.equal(readMetadataFile(fs, '/data/samsa.meta'), undefined)
  const value = { topics: [{ name: 't', id: 'abc', partitions: 3, configs: { 'retention.ms': '5' }, internal: false }], big: 2 ** 50, raw: Buffer.from([1, 2]) }
  writeMetadataFile(fs, '/data/samsa.meta', value)
  const file = fs.readFile('/data/samsa.meta')
  t.equal(file.subarray(0, 4).toString(), 'SMSA')
  t.equal(file[4], 1, 'format version')
  t.same(readMetadataFile(fs, '/data/samsa.meta'), value)
})

t.test('metadata file: bad magic, version or checksum names the file', async (t) => {
  const fs = io()
  writeMetadataFile(fs, '/data/m', { a: 1 })
  const good = fs.readFile('/data/m')
  const variants: [string, (b: Buffer) => void][] = [
    ['magic', (b) => { b[0] = 0x58 }],
    ['version', (b) => { b[4] = 9 }],
    ['checksum', (b) => { b[b.length - 1]! ^= 1 }],
  ]
  for (const [what, edit] of variants) {
    const b = Buffer.from(good)
    edit(b)
    fs.writeFileAtomic('/data/m', b)
    t.throws(() => readMetadataFile(fs, '/data/m'), { message: /\/data\/m/ }, what)
  }
  fs.writeFileAtomic('/data/m', good.subarray(0, 6))
  t.throws(() => readMetadataFile(fs, '/data/m'), { message: /\/data\/m/ }, 'truncated')
})

t.test('clean shutdown marker', async (t) => {
  const fs = io()
  t.notOk(cleanShutdownMarkerExists(fs, '/data'))
  writeCleanShutdownMarker(fs, '/data')
  t.ok(fs.exists(`/data/${CLEAN_SHUTDOWN_FILE}`))
  t.equal(CLEAN_SHUTDOWN_FILE, '.kafka_cleanshutdown')
  t.ok(cleanShutdownMarkerExists(fs, '/data'))
  removeCleanShutdownMarker(fs, '/data')
  t.notOk(cleanShutdownMarkerExists(fs, '/data'))
  removeCleanShutdownMarker(fs, '/data')
})

// The rdkafka pieces of the benchmark kit check themselves: the summary line of
// rdkafka_performance is read as it prints it, deb-src entries follow the system's deb
// entries in both apt formats, and the mock-cluster program (built when librdkafka-dev is
// installed) creates topics on command. Correctness of the kit, not a timed test.

import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSummary, MockCluster } from '../../bench/load/rdkafka-performance.ts'
import { debSrcLines, ensureRdkafkaTools } from '../../bench/tools/rdkafka-tools.ts'
import { KafkaConn } from '../../bench/lib/wire.ts'

t.test('rdkafka_performance summary lines', async (t) => {
  const line = '% 1000000 messages produced (1024000000 bytes), 999357 delivered (offset 814547, 0 failed) in 3011ms: 331871 msgs/s and 339.84 MB/s, 634 produce failures, 643 in queue, no compression'
  t.same(parseSummary(line), { produced: 1000000, delivered: 999357, failed: 0, ms: 3011, msgsPerSec: 331871, mbPerSec: 339.84 })
  t.same(parseSummary('% 10 messages produced (1000 bytes), 8 delivered (offset -1, 2 failed) in 5ms: 1600 msgs/s and 0.16 MB/s, 0 produce failures, 0 in queue, no compression')?.failed, 2, 'failures and offset -1')
  t.equal(parseSummary('% Sending 1000000 messages of size 1024 bytes'), null)
})

t.test('deb-src lines mirror the deb entries', async (t) => {
  const deb822 = [
    'Types: deb',
    'URIs: http://archive.example/debian',
    'Suites: stable stable-updates',
    'Components: main contrib',
    'Signed-By: /usr/share/keyrings/example.gpg',
    '',
    'Types: deb',
    'URIs: http://other.example/x',
    'Suites: nodistro',
    'Components: main',
    'Enabled: no',
    '',
    'Types: deb-src',
    'URIs: http://archive.example/debian',
    'Suites: stable',
    'Components: main',
  ].join('\n')
  const oneLine = '# comment\ndeb [arch=amd64] http://mirror.example/debian stable main # trailing\ndeb-src http://mirror.example/debian stable main\n'
  t.same(debSrcLines([{ name: '/etc/apt/sources.list.d/debian.sources', text: deb822 }, { name: '/etc/apt/sources.list', text: oneLine }, { name: '/etc/apt/sources.list.d/x.disabled', text: 'deb http://no.example/ x main' }]), [
    'deb-src [signed-by=/usr/share/keyrings/example.gpg] http://archive.example/debian stable main contrib',
    'deb-src [signed-by=/usr/share/keyrings/example.gpg] http://archive.example/debian stable-updates main contrib',
    'deb-src [arch=amd64] http://mirror.example/debian stable main',
  ])
})

const haveLibrdkafka = spawnSync('pkg-config', ['--exists', 'rdkafka']).status === 0 && spawnSync('sh', ['-c', 'command -v cc']).status === 0

t.test('mock cluster: topics on command, a Kafka listener', { skip: haveLibrdkafka ? false : 'librdkafka-dev or a C compiler is not installed' }, async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'samsa-rdk-kit-'))
  t.teardown(() => rmSync(cache, { recursive: true, force: true }))
  // Only the mock is built here: rdkafka_performance needs Debian's source package.
  process.env.SAMSA_BENCH_CACHE = cache
  process.env.RDKAFKA_PERFORMANCE = join(cache, 'absent')
  t.teardown(() => {
    delete process.env.SAMSA_BENCH_CACHE
    delete process.env.RDKAFKA_PERFORMANCE
  })
  const lines: string[] = []
  const tools = ensureRdkafkaTools((l) => lines.push(l))
  t.equal(tools.perf, null, 'a missing RDKAFKA_PERFORMANCE is reported, not used')
  t.match(tools.perfSkip, /does not exist/)
  t.not(tools.mock, null, `mock-cluster built (${tools.mockSkip ?? ''})`)
  const mock = await MockCluster.start(tools.mock!)
  t.teardown(() => mock.stop())
  t.match(mock.bootstrap, /^127\.0\.0\.1:\d+/)
  await mock.createTopic('kit-a', 4)
  await t.rejects(mock.createTopic('kit-a', 4), /already exists/i, 'a second create is refused, as by a broker')
  const port = Number(mock.bootstrap.split(',')[0]!.split(':')[1])
  const conn = await KafkaConn.open(port)
  conn.close()
  await mock.stop()
  t.not(mock.child.exitCode ?? mock.child.signalCode, null, 'stopped at the end of its stdin')
})

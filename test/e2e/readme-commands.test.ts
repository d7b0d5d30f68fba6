// The README's first two commands are the contract with a newcomer. `npm test` is what CI
// runs; this checks the other one: `npm start` brings up a broker on Node 24 that real
// clients can use, and stops cleanly on SIGTERM.

import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { kafkaClient, fetchAll } from '../helpers/kafkajs-fetch.ts'

t.test('README opens with the install-and-start and the test commands', async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
  t.match(firstBlock, /^npm install && npm start\b/m)
  t.match(firstBlock, /^npm test\b/m)
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))
  t.match(pkg.scripts.start, /src\/cli\/main\.ts start/)
  t.match(pkg.devDependencies.node, /^\^?24/, 'npm scripts run on Node 24 from the node package')
})

t.test('npm start serves clients and stops cleanly', async (t) => {
  const dataDir = tempDir(t)
  // Only the port and data dir are redirected (by env, as a user could), so the test can
  // run beside other brokers; everything else is the README's command as written.
  const child = spawn('npm', ['start'], { cwd: repoRoot, env: { ...process.env, SAMSA_PORT: '0', SAMSA_HTTP_PORT: '0', SAMSA_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  for (let i = 0; i < 300 && !/ready in/.test(out); i++) await new Promise((r) => setTimeout(r, 50))
  t.match(out, /\(node v24\./, 'runs on Node 24')
  t.match(out, /\(node v24\.\S+ --max-semi-space-size=4\)/, 'with the young-generation cap bin/samsa.js also sets')
  t.match(out, /listening on 127\.0\.0\.1:\d+/, 'prints where it listens')
  t.match(out, /http on 127\.0\.0\.1:\d+ \(\/metrics/, 'and where its HTTP side listens')
  t.match(out, new RegExp(`data in ${dataDir}`), 'prints where data lives')
  t.match(out, /ready in \d+ ms/, 'prints a ready line')
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1])

  const kafka = kafkaClient(port)
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'readme', messages: [{ value: 'hello' }] })
  await producer.disconnect()
  const got = await fetchAll(kafka, 'readme', 1, 1)
  t.same(got.map((m) => m.value), ['hello'], 'a topic auto-created by the producer round-trips')

  // Ctrl-C in a terminal signals the whole foreground process group: npm, sh and node.
  process.kill(-child.pid!, 'SIGINT')
  // npm itself reports the interrupt (exit 130), like any npm script; the broker's own
  // exit status on signals is checked in restart-and-crash.test.ts.
  await exited
  for (let i = 0; i < 100 && !/broker stopped/.test(out); i++) await new Promise((r) => setTimeout(r, 50))
  t.match(out, /shutting down/, 'the broker saw the signal')
  t.match(out, /broker stopped/, 'and shut down')
  t.ok(existsSync(join(dataDir, '.kafka_cleanshutdown')), 'wrote the clean shutdown marker')
  t.ok(existsSync(join(dataDir, 'readme-0')), 'the partition directory is in the data dir')
})

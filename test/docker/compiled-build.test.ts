// The Docker image and the npm package run the compiled JavaScript, not the TypeScript
// sources: build it the way the Dockerfile does and check that a broker starts from it,
// answers a client and stops cleanly (worker files, import paths and all).

import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'

t.test('the compiled build starts, serves and stops', async (t) => {
  const out = join(repoRoot, '.build-test')
  rmSync(out, { recursive: true, force: true })
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', out], { cwd: repoRoot, stdio: 'inherit' })

  const child = spawn(process.execPath, [join(out, 'src/cli/main.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--memory', '--shards', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => child.kill('SIGKILL'))
  let text = ''
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()))
  for (let i = 0; i < 200 && !/ready in/.test(text); i++) await new Promise((r) => setTimeout(r, 50))
  t.match(text, /ready in \d+ ms/, 'ready')
  const port = Number(/listening on [^\s]+:(\d+)/.exec(text)![1])

  const c = await RawClient.connect(port)
  const created = await c.request(19, 7, { topics: [{ name: 'built', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  t.equal(created.topics[0].errorCode, 0, 'a topic is created: its partitions opened on compiled shard workers')
  const offsets = await c.request(2, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'built', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }], timeoutMs: 0 })
  t.equal(offsets.topics[0].partitions[0].errorCode, 0)
  c.close()
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM exits 0')
})

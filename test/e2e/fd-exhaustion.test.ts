// The fuzzer's third find: one CreateTopics asking for thousands of partitions ran the
// broker out of file descriptors (three per partition), answered UNKNOWN_SERVER_ERROR
// and kept the descriptors of the partitions that did open, so new connections and new
// topics failed afterwards. A topic whose partitions cannot all open is now undone:
// KAFKA_STORAGE_ERROR, nothing left behind, and the broker keeps serving.

import t from 'tap'
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, patientRequest, produce } from '../helpers/wire-requests.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

t.test('a topic that runs out of file descriptors is undone and the broker keeps serving', async (t) => {
  const dataDir = tempDir(t)
  // A small descriptor limit for this broker only, set by the shell before it starts.
  const cmd = `ulimit -n 400 && exec "${process.execPath}" src/cli/main.ts start --host 127.0.0.1 --port 0 --http-port=-1 --data-dir "${dataDir}" --shards 1 --log-level warn`
  const child = spawn('bash', ['-c', cmd], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  child.stderr.on('data', (d: Buffer) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  for (let i = 0; i < 400 && !/ready in/.test(out); i++) await new Promise((r) => setTimeout(r, 50))
  const port = Number(/listening on [^\s]+:(\d+)/.exec(out)?.[1])
  t.ok(port > 0, 'the broker started')

  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  const req = defaultCreateTopicsRequest()
  req.topics = [{ ...defaultCreatableTopic(), name: 'too-many-files', numPartitions: 300, replicationFactor: 1 }]
  const res = await patientRequest<CreateTopicsResponse>(c, 19, 7, req)
  t.equal(res.topics[0]!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, '300 partitions x 3 files under a 400-descriptor limit: KAFKA_STORAGE_ERROR')
  t.match(res.topics[0]!.errorMessage, /EMFILE|too many open files/i, 'naming the cause')
  t.notOk(readdirSync(dataDir).some((n) => n.startsWith('too-many-files')), 'no directory of it is left')

  // The descriptors came back: new connections and a small topic work.
  const d = await RawClient.connect(port)
  t.teardown(() => d.close())
  await createTopic(d, 'small', 2)
  t.equal((await produce(d, 'small', 1, batchOf(['fine']))).errorCode, 0, 'a new connection creates and writes a small topic')
  t.notMatch(out, /request handler failed/, 'no handler failure logged')

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'and it stops cleanly')
  t.ok(readdirSync(dataDir).includes('small-0'), 'the small topic is on disk')
})

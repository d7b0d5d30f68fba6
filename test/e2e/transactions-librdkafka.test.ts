// Transactions through librdkafka: Python confluent-kafka (commit, abort, commit read
// back with both isolation levels; consume-transform-produce with
// send_offsets_to_transaction, exactly once although one transaction is aborted and
// redone) and kcat (-X transactional.id: all input in one transaction, read back with
// -X isolation.level=read_committed).

import t from 'tap'
import { join } from 'node:path'
import { memoryBroker, repoRoot } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'

const txnBroker = { transactionStateLogNumPartitions: 4, offsetsTopicNumPartitions: 4 }

async function createTopics(port: number, names: string[]): Promise<void> {
  const admin = kafkaClient(port).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: 1 })) })
  } finally {
    await admin.disconnect()
  }
}

t.test('confluent-kafka: commit, abort, commit; consume-transform-produce exactly once', async (t) => {
  const broker = await memoryBroker(t, txnBroker)
  await createTopics(broker.port, ['py-seq', 'py-in', 'py-out'])
  const r = await run(systemPython, [join(repoRoot, 'test/e2e/python/confluent_transactions.py'), `127.0.0.1:${broker.port}`, 'py', '40'], { timeoutMs: 180_000 })
  t.equal(r.code, 0, r.stderr)
  const res = lastJsonLine(r.stdout)
  t.same(res.errors, [], 'no consume errors')
  t.same(res.committed, ['first-committed', 'second-committed'], 'read_committed: only the two committed records')
  t.same(res.uncommitted, ['first-committed', 'aborted', 'second-committed'], 'read_uncommitted: all three, and no marker shows up as a record')
  t.ok(res.aborted_once, 'one transaction of the loop was aborted and its input processed again')
  t.same(res.out, res.expected_out, 'every input transformed exactly once in the committed output')
  t.equal(res.group_offset, 40, 'the consumer group offset committed with the last transaction')
})

t.test('kcat: a transactional produce read back read_committed', async (t) => {
  const broker = await memoryBroker(t, txnBroker)
  await createTopics(broker.port, ['kcat-tx'])
  const brokers = `127.0.0.1:${broker.port}`
  const input = Array.from({ length: 20 }, (_, i) => `tx-${i}`).join('\n') + '\n'
  const produced = await run('kcat', ['-P', '-b', brokers, '-t', 'kcat-tx', '-p', '0', '-X', 'transactional.id=kcat-tx-id'], { input, timeoutMs: 60_000 })
  t.equal(produced.code, 0, produced.stderr)
  const consumed = await run('kcat', ['-C', '-b', brokers, '-t', 'kcat-tx', '-o', 'beginning', '-e', '-X', 'isolation.level=read_committed', '-f', '%o %s\\n'], { timeoutMs: 60_000 })
  t.equal(consumed.code, 0, consumed.stderr)
  const lines = consumed.stdout.trim().split('\n')
  t.same(lines, Array.from({ length: 20 }, (_, i) => `${i} tx-${i}`), 'all 20 records, committed together, at offsets 0-19 (the marker is offset 20)')
  const end = await run('kcat', ['-Q', '-b', brokers, '-t', 'kcat-tx:0:-1'], { timeoutMs: 30_000 })
  t.match(end.stdout, /kcat-tx \[0\] offset 21/, 'the log end is past the COMMIT marker')
})

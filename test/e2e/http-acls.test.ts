// The admin API under ACLs: a user logged in over HTTP gets what the same user would get
// over Kafka: lists filtered to what it may describe, 403 (error 40301) for what its
// ACLs do not allow, everything for a super user.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { STANDARD_AUTHORIZER } from '../../src/security/authorizer.ts'
import { addScramUser } from '../helpers/scram-users.ts'
import { RawClient } from '../helpers/raw-client.ts'

const broker = await startBroker({
  memory: true, logLevel: 'silent', httpPort: 0,
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  authorizerClassName: STANDARD_AUTHORIZER,
  // ANONYMOUS (the PLAINTEXT listener) sets up users and ACLs; HTTP always asks for a login here.
  superUsers: 'User:admin;User:ANONYMOUS',
})
t.teardown(() => broker.close())
await addScramUser(broker.port, 'admin', 'admin-secret')
await addScramUser(broker.port, 'alice', 'alice-secret')

const TOPIC = 2
const GROUP = 3
const LITERAL = 3
const ALLOW = 3
const Op = { READ: 3, WRITE: 4, DESCRIBE: 8, DESCRIBE_CONFIGS: 10 }
const c = await RawClient.connect(broker.port)
const acl = (resourceType: number, resourceName: string, operation: number) => ({ resourceType, resourceName, resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation, permissionType: ALLOW })
const created = await c.request(30, 3, { creations: [acl(TOPIC, 'a', Op.READ), acl(TOPIC, 'a', Op.DESCRIBE_CONFIGS)] })
c.close()
t.same(created.results.map((r: { errorCode: number }) => r.errorCode), [0, 0], 'alice may read topic a and describe its configs')

const base = `http://127.0.0.1:${broker.httpPort}/v3/clusters/${broker.clusterId}`
const auth = (user: string): string => `Basic ${Buffer.from(`${user}:${user}-secret`).toString('base64')}`
async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: auth(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

t.test('a super user does everything', async (t) => {
  for (const name of ['a', 'b']) t.equal((await call('admin', 'POST', '/topics', { topic_name: name, partitions_count: 1 })).status, 201, `admin creates ${name}`)
  t.equal((await call('admin', 'POST', '/topics/b/records', { partition_id: 0, value: { type: 'STRING', data: 'secret' } })).status, 200, 'admin produces to b')
  t.equal((await call('admin', 'POST', '/topics/a/records', { partition_id: 0, value: { type: 'STRING', data: 'public' } })).status, 200, 'admin produces to a')
  const names = (await call('admin', 'GET', '/topics')).body.data.map((d: any) => d.topic_name)
  t.ok(names.includes('a') && names.includes('b'), 'admin lists both topics')
})

t.test('alice sees and does only what her ACLs allow', async (t) => {
  const list = await call('alice', 'GET', '/topics')
  t.equal(list.status, 200)
  t.same(list.body.data.map((d: any) => d.topic_name), ['a'], 'the topic list holds only a (READ implies DESCRIBE)')
  t.equal((await call('alice', 'GET', '/topics/a')).status, 200, 'topic a')
  const hidden = await call('alice', 'GET', '/topics/b')
  t.equal(hidden.status, 403, 'topic b: 403')
  t.match(hidden.body, { error_code: 40301, message: /Not authorized to access topic b/ })
  const read = await call('alice', 'GET', '/topics/a/partitions/0/records?offset=0')
  t.equal(read.status, 200, 'she may browse a')
  t.equal((await call('alice', 'GET', '/topics/b/partitions/0/records?offset=0')).status, 403, 'not b')
  t.equal((await call('alice', 'POST', '/topics/a/records', { partition_id: 0, value: { type: 'STRING', data: 'x' } })).status, 403, 'no WRITE on a: producing is refused')
  t.equal((await call('alice', 'GET', '/topics/a/configs')).status, 200, 'configs of a (DESCRIBE_CONFIGS)')
  t.equal((await call('alice', 'POST', '/topics/a/configs:alter', { data: [{ name: 'retention.ms', value: '1000' }] })).status, 403, 'no ALTER_CONFIGS')
  t.equal((await call('alice', 'DELETE', '/topics/a')).status, 403, 'no DELETE')
  t.equal((await call('alice', 'POST', '/topics', { topic_name: 'c', partitions_count: 1 })).status, 403, 'no CREATE')
  t.equal((await call('alice', 'GET', '/broker-configs')).status, 403, 'no cluster DESCRIBE_CONFIGS')
  t.equal((await call('alice', 'GET', '/consumer-groups/ga')).status, 403, 'a group she has no ACL for')
  t.equal((await call('admin', 'GET', '/topics/a/configs')).status, 200, 'nothing of this changed what admin may do')
})

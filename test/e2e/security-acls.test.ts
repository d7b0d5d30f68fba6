// ACLs with real clients over SASL_PLAINTEXT (SCRAM-SHA-256): a broker with Kafka's
// StandardAuthorizer switched on, users made over the wire, ACLs made with kafkajs and
// @platformatic/kafka. The PLAINTEXT listener's User:ANONYMOUS is a super user here so
// the test can make users and topics; `admin` is one over SASL too.

import t from 'tap'
import kafkajs, { Kafka, logLevel, type Admin as KafkaJsAdmin } from 'kafkajs'
import { Admin as PltAdmin, ResourceTypes, ResourcePatternTypes as PltPatterns, AclOperations, AclPermissionTypes as PltPermissions } from '@platformatic/kafka'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { addScramUser } from '../helpers/scram-users.ts'
import { waitFor } from '../helpers/groups.ts'
import { STANDARD_AUTHORIZER } from '../../src/security/authorizer.ts'
import { ZERO_UUID } from '../../protocol/wire/constants.ts'
import { defaultInitProducerIdRequest } from '../../protocol/messages/init-producer-id-request.ts'
import { defaultDescribeConfigsRequest } from '../../protocol/messages/describe-configs-request.ts'
import { defaultDeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import { defaultListGroupsRequest } from '../../protocol/messages/list-groups-request.ts'
import { defaultOffsetCommitRequest, defaultOffsetCommitRequestPartition } from '../../protocol/messages/offset-commit-request.ts'
import { defaultDescribeGroupsRequest } from '../../protocol/messages/describe-groups-request.ts'

// kafkajs's enums are not visible to ESM named imports (CommonJS).
const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs
type AclResourceTypes = kafkajs.AclResourceTypes
type AclOperationTypes = kafkajs.AclOperationTypes

const PASSWORD = 'pw-Secret-1'
/** kafkajs's KafkaJSProtocolError for error 29. */
const TOPIC_AUTH_FAILED = { name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' } as unknown as Error
const dataDir = tempDir(t, 'samsa-acls-')
const options = {
  dataDir, shards: 1, logLevel: 'silent' as const,
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  authorizerClassName: STANDARD_AUTHORIZER,
  superUsers: 'User:admin;User:ANONYMOUS',
}
let broker: RunningBroker = await startBroker(options)
t.teardown(() => broker.close())
const saslPort = (): number => broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port
for (const user of ['admin', 'alice', 'bob']) await addScramUser(broker.port, user, PASSWORD, ['SCRAM-SHA-256'])

function kafka(user: string): Kafka {
  return new Kafka({
    clientId: `acl-${user}`, brokers: [`127.0.0.1:${saslPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 0 },
    sasl: { mechanism: 'scram-sha-256', username: user, password: PASSWORD },
  })
}
async function withAdmin<T>(user: string, fn: (a: KafkaJsAdmin) => Promise<T>): Promise<T> {
  const admin = kafka(user).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}
const allow = (resourceType: AclResourceTypes, resourceName: string, principal: string, operation: AclOperationTypes, resourcePatternType = ResourcePatternTypes.LITERAL, permissionType = AclPermissionTypes.ALLOW) =>
  ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType })

await withAdmin('admin', async (a) => {
  await a.createTopics({ topics: ['a', 'b', 'alice-x', 'shared-open', 'shared-secret'].map((topic) => ({ topic })) })
  await a.createAcls({
    acl: [
      allow(AclResourceTypes.TOPIC, 'a', 'User:alice', AclOperationTypes.READ),
      allow(AclResourceTypes.GROUP, 'ga', 'User:alice', AclOperationTypes.READ),
      allow(AclResourceTypes.TOPIC, 'alice-', 'User:alice', AclOperationTypes.WRITE, ResourcePatternTypes.PREFIXED),
      allow(AclResourceTypes.TOPIC, 'shared-', 'User:*', AclOperationTypes.DESCRIBE, ResourcePatternTypes.PREFIXED),
      allow(AclResourceTypes.TOPIC, 'shared-secret', 'User:alice', AclOperationTypes.DESCRIBE, ResourcePatternTypes.LITERAL, AclPermissionTypes.DENY),
    ],
  })
  // Data for alice to read.
  const producer = kafka('admin').producer()
  await producer.connect()
  await producer.send({ topic: 'a', messages: [{ value: 'one' }, { value: 'two' }] })
  await producer.disconnect()
})

t.test('kafkajs describeAcls returns what createAcls made', async (t) => {
  const res = await withAdmin('admin', (a) => a.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  }))
  const flat = res.resources.flatMap((r) => r.acls.map((a) => `${r.resourceType}:${r.resourcePatternType}:${r.resourceName}:${a.principal}:${a.operation}:${a.permissionType}`)).sort()
  t.same(flat, [
    '2:3:a:User:alice:3:3', '2:3:shared-secret:User:alice:8:2', '2:4:alice-:User:alice:4:3', '2:4:shared-:User:*:8:3', '3:3:ga:User:alice:3:3',
  ].sort())
  const match = await withAdmin('admin', (a) => a.describeAcls({
    resourceType: AclResourceTypes.TOPIC, resourceName: 'alice-y', resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  }))
  t.same(match.resources.map((r) => r.resourceName), ['alice-'], 'MATCH finds the prefix covering the name')
})

t.test('a user allowed only to read topic a cannot produce to it', async (t) => {
  const producer = kafka('alice').producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await t.rejects(producer.send({ topic: 'a', messages: [{ value: 'x' }] }), TOPIC_AUTH_FAILED)
  await t.resolves(producer.send({ topic: 'alice-x', messages: [{ value: 'x' }] }), 'a prefixed WRITE lets her produce to alice-x')
})

t.test('Metadata shows only what the principal may describe; DENY beats ALLOW', async (t) => {
  t.same((await withAdmin('alice', (a) => a.listTopics())).sort(), ['a', 'alice-x', 'shared-open'])
  t.same((await withAdmin('bob', (a) => a.listTopics())).sort(), ['shared-open', 'shared-secret'], 'User:* prefixed ALLOW, no DENY for bob')
  await t.rejects(withAdmin('alice', (a) => a.fetchTopicMetadata({ topics: ['b'] })), TOPIC_AUTH_FAILED)
})

t.test('auto-creation needs CREATE', async (t) => {
  const raw = await rawSasl('bob')
  t.teardown(() => raw.close())
  const md = await raw.request(3, 12, { topics: [{ name: 'shared-new', topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true })
  t.equal(md.topics[0].errorCode, 29, 'DESCRIBE (User:* prefixed) but no CREATE: TOPIC_AUTHORIZATION_FAILED')
  const known = await raw.request(3, 12, { topics: [{ name: 'shared-open', topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true })
  t.equal(known.topics[0].topicAuthorizedOperations, 1 << 8, 'authorized operations: DESCRIBE only')
  const topics = await withAdmin('admin', (a) => a.listTopics())
  t.notOk(topics.includes('shared-new'), 'not created')
})

t.test('the user consumes topic a in its group, but cannot join another group', async (t) => {
  const consumer = kafka('alice').consumer({ groupId: 'ga' })
  await consumer.connect()
  await consumer.subscribe({ topic: 'a', fromBeginning: true })
  const got: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()) } })
  await waitFor(() => got.length >= 2, 'both records consumed', 30_000)
  await consumer.disconnect()
  t.same(got, ['one', 'two'])

  const raw = await rawSasl('alice')
  t.teardown(() => raw.close())
  const join = await raw.request(11, 5, { groupId: 'other', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null })
  t.equal(join.errorCode, 30, 'JoinGroup: GROUP_AUTHORIZATION_FAILED')
  const fc = await raw.request(10, 3, { key: 'other', keyType: 0, coordinatorKeys: [] })
  t.equal(fc.errorCode, 30, 'FindCoordinator: GROUP_AUTHORIZATION_FAILED')

  const other = kafka('alice').consumer({ groupId: 'other' })
  t.teardown(() => other.disconnect())
  const crashed = new Promise<{ type?: string; name?: string; message?: string }>((resolve) => other.on(other.events.CRASH, (e) => resolve(e.payload.error)))
  await other.connect()
  await other.subscribe({ topic: 'a' })
  await other.run({ eachMessage: async () => {} })
  const err = await crashed
  // kafkajs's findGroupCoordinatorMetadata tries each broker and reports any failure as
  // "not found"; the GROUP_AUTHORIZATION_FAILED behind it is what the raw requests saw.
  t.equal(err.name, 'KafkaJSGroupCoordinatorNotFound', `kafkajs's consumer of group other crashes (${err.message})`)
})

t.test('raw wire: the checks of the other APIs', async (t) => {
  const alice = await rawSasl('alice')
  const bob = await rawSasl('bob')
  t.teardown(() => { alice.close(); bob.close() })
  const initPid = (c: RawClient, transactionalId: string | null) => c.request(22, 4, { ...defaultInitProducerIdRequest(), transactionalId, transactionTimeoutMs: 60000 })
  t.equal((await initPid(alice, null)).errorCode, 0, 'idempotent InitProducerId: WRITE on some topic (the alice- prefix) is enough')
  t.equal((await initPid(bob, null)).errorCode, 31, 'no IDEMPOTENT_WRITE and no topic WRITE: CLUSTER_AUTHORIZATION_FAILED')
  t.equal((await initPid(alice, 'tx1')).errorCode, 53, 'transactional id without WRITE: TRANSACTIONAL_ID_AUTHORIZATION_FAILED')
  const configs = await alice.request(32, 4, { ...defaultDescribeConfigsRequest(), resources: [{ resourceType: 2, resourceName: 'a', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: null }] })
  t.same(configs.results.map((r: { errorCode: number }) => r.errorCode), [29, 31], 'DescribeConfigs: topic and broker')
  const del = await alice.request(20, 4, { ...defaultDeleteTopicsRequest(), topicNames: ['a', 'no-such'], timeoutMs: 1000 })
  t.same(del.responses.map((r: { errorCode: number }) => r.errorCode), [29, 29], 'DeleteTopics: unauthorized whether the topic exists or not')
  const groups = await alice.request(16, 4, defaultListGroupsRequest())
  t.same(groups.groups.map((g: { groupId: string }) => g.groupId), ['ga'], 'ListGroups: only the groups she may describe')
  const described = await alice.request(15, 5, { ...defaultDescribeGroupsRequest(), groups: ['ga', 'other'], includeAuthorizedOperations: true })
  t.same(described.groups.map((g: { errorCode: number }) => g.errorCode), [0, 30])
  t.equal(described.groups[0].authorizedOperations, (1 << 3) | (1 << 8), 'READ and the DESCRIBE it implies')
  const part = { ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 1 }
  const commit = await alice.request(8, 8, { ...defaultOffsetCommitRequest(), groupId: 'ga', generationIdOrMemberEpoch: -1, topics: [{ name: 'a', partitions: [part] }, { name: 'b', partitions: [part] }] })
  t.same(commit.topics.map((x: { partitions: Array<{ errorCode: number }> }) => x.partitions[0].errorCode), [0, 29], 'OffsetCommit: READ on each topic')
})

t.test('a super user may do everything; others may not touch ACLs', async (t) => {
  await withAdmin('admin', async (a) => {
    const p = kafka('admin').producer()
    await p.connect()
    await p.send({ topic: 'b', messages: [{ value: 'admin' }] })
    await p.disconnect()
    t.same(await a.fetchTopicOffsets('b'), [{ partition: 0, offset: '1', high: '1', low: '0' }])
  })
  await t.rejects(withAdmin('alice', (a) => a.createAcls({ acl: [allow(AclResourceTypes.TOPIC, 'b', 'User:alice', AclOperationTypes.ALL)] })), /Cluster authorization failed|CLUSTER_AUTHORIZATION_FAILED/)
  const failed = await withAdmin('bob', (a) => a.createTopics({ topics: [{ topic: 'bobs' }] })).then(() => null, (e: { errors?: Array<{ type: string }> }) => e)
  t.same(failed?.errors?.map((e) => e.type), ['TOPIC_AUTHORIZATION_FAILED'], 'CreateTopics without CREATE')
})

t.test('@platformatic/kafka createAcls / describeAcls / deleteAcls round-trip', async (t) => {
  const admin = new PltAdmin({ clientId: 'plt-acl', bootstrapBrokers: [`127.0.0.1:${saslPort()}`], sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: PASSWORD } })
  t.teardown(() => admin.close())
  const entry = { resourceType: ResourceTypes.TRANSACTIONAL_ID, resourceName: 'tx-', resourcePatternType: PltPatterns.PREFIXED, principal: 'User:bob', host: '10.1.1.1', operation: AclOperations.WRITE, permissionType: PltPermissions.ALLOW }
  await admin.createAcls({ creations: [entry] })
  const filter = { resourceType: ResourceTypes.TRANSACTIONAL_ID, resourceName: null, resourcePatternType: PltPatterns.ANY, principal: 'User:bob', host: null, operation: AclOperations.ANY, permissionType: PltPermissions.ANY }
  const described = await admin.describeAcls({ filter })
  t.same(described.map((r) => ({ name: r.resourceName, acls: r.acls.map((a) => [a.principal, a.host, a.operation, a.permissionType]) })), [{ name: 'tx-', acls: [['User:bob', '10.1.1.1', AclOperations.WRITE, PltPermissions.ALLOW]] }])
  const deleted = await admin.deleteAcls({ filters: [filter] })
  t.same(deleted.map((a) => [a.resourceName, a.principal]), [['tx-', 'User:bob']])
  t.same(await admin.describeAcls({ filter }), [], 'gone')
})

t.test('ACLs survive a restart', async (t) => {
  await broker.close()
  broker = await startBroker({ ...options, port: 0 })
  const res = await withAdmin('admin', (a) => a.describeAcls({
    resourceType: AclResourceTypes.TOPIC, resourceName: 'a', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  }))
  t.same(res.resources.flatMap((r) => r.acls.map((a) => a.principal)), ['User:alice'])
  const producer = kafka('alice').producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await t.rejects(producer.send({ topic: 'a', messages: [{ value: 'x' }] }), TOPIC_AUTH_FAILED)
})

t.test('kafkajs deleteAcls removes what its filter matches', async (t) => {
  const res = await withAdmin('admin', (a) => a.deleteAcls({ filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'alice-', resourcePatternType: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] }))
  t.same(res.filterResponses[0].matchingAcls.map((m) => [m.resourceName, m.principal, m.operation]), [['alice-', 'User:alice', AclOperationTypes.WRITE]])
  const producer = kafka('alice').producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  // Without the prefixed WRITE she may not even describe alice-x: Metadata refuses it.
  await t.rejects(producer.send({ topic: 'alice-x', messages: [{ value: 'x' }] }), /Not authorized to access topics/)
})

t.test('raw wire: every version of CreateAcls, DescribeAcls and DeleteAcls', async (t) => {
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  for (let v = 0; v <= 3; v++) {
    const name = `raw-v${v}`
    const created = await c.request(30, v, { creations: [{ resourceType: 2, resourceName: name, resourcePatternType: 3, principal: 'User:carol', host: '*', operation: 3, permissionType: 3 }] })
    t.same(created.results, [{ errorCode: 0, errorMessage: null }], `CreateAcls v${v}`)
    const described = await c.request(29, v, { resourceTypeFilter: 2, resourceNameFilter: name, patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })
    t.equal(described.errorCode, 0)
    t.same(described.resources.map((r: { resourceName: string; acls: unknown[] }) => [r.resourceName, r.acls.length]), [[name, 1]], `DescribeAcls v${v}`)
    const deleted = await c.request(31, v, { filters: [{ resourceTypeFilter: 2, resourceNameFilter: name, patternTypeFilter: 3, principalFilter: 'User:carol', hostFilter: null, operation: 1, permissionType: 1 }] })
    t.same(deleted.filterResults[0].matchingAcls.map((m: { resourceName: string }) => m.resourceName), [name], `DeleteAcls v${v}`)
  }
  const bad = await c.request(30, 3, { creations: [{ resourceType: 4, resourceName: 'other', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 7, permissionType: 3 }] })
  t.same(bad.results, [{ errorCode: 42, errorMessage: 'The only valid name for the CLUSTER resource is kafka-cluster' }])
  const badFilter = await c.request(29, 3, { resourceTypeFilter: 0, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })
  t.equal(badFilter.errorCode, 42, 'an UNKNOWN filter is INVALID_REQUEST')
})

t.test('without an authorizer the ACL APIs answer SECURITY_DISABLED and everyone may do everything', async (t) => {
  const open = await startBroker({ memory: true, shards: 1, logLevel: 'silent' })
  t.teardown(() => open.close())
  const c = await RawClient.connect(open.port)
  t.teardown(() => c.close())
  const d = await c.request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })
  t.equal(d.errorCode, 54)
  t.equal(d.errorMessage, 'No Authorizer is configured on the broker')
  const cr = await c.request(30, 3, { creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] })
  t.same(cr.results, [{ errorCode: 54, errorMessage: 'No Authorizer is configured.' }])
  const md = await c.request(3, 12, { topics: [{ name: 'free', topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true })
  t.equal(md.topics[0].errorCode, 0, 'auto-created by User:ANONYMOUS')
})

/** A raw client authenticated with SASL/PLAIN (SaslHandshake v1 + SaslAuthenticate v0). */
async function rawSasl(user: string): Promise<RawClient> {
  const c = await RawClient.connect(saslPort())
  const hs = await c.request(17, 1, { mechanism: 'PLAIN' })
  if (hs.errorCode !== 0) throw new Error(`handshake ${hs.errorCode}`)
  const auth = await c.request(36, 0, { authBytes: Buffer.from(`\u0000${user}\u0000${PASSWORD}`) })
  if (auth.errorCode !== 0) throw new Error(`authenticate ${auth.errorCode}`)
  return c
}

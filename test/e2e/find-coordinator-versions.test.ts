// FindCoordinator at every version, on the wire: group and transaction keys name this
// broker (v0-3 one key, v4-6 batches); the share-group key type is INVALID_REQUEST per
// key below v6 and at v6 (no share coordinator here, as on a Kafka 4.x broker without
// share groups); an unknown key type fails the whole request with Kafka's generic
// INVALID_REQUEST message; v1-3 successes carry the message "NONE" as Kafka's do.

import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'

const FIND_COORDINATOR = 10
const GROUP = 0
const TRANSACTION = 1
const SHARE = 2
const INVALID_REQUEST_MESSAGE = 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.'

type Coordinator = { key: string; nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }

t.test('every version names this broker for groups and transactions; share keys and unknown types are refused as Kafka refuses them', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const here = { nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort }
  const nowhere = { nodeId: -1, host: '', port: -1 }

  // v0 has no key type (always a group); v1-3 one key of either type.
  const v0 = await c.request(FIND_COORDINATOR, 0, { key: 'g', keyType: 0, coordinatorKeys: [] })
  t.same([v0.errorCode, v0.nodeId, v0.host, v0.port], [ErrorCode.NONE, here.nodeId, here.host, here.port], 'v0: this broker')
  for (const version of [1, 2, 3]) {
    for (const keyType of [GROUP, TRANSACTION]) {
      const r = await c.request(FIND_COORDINATOR, version, { key: 'k', keyType, coordinatorKeys: [] })
      t.same([r.errorCode, r.errorMessage, r.nodeId, r.host, r.port], [ErrorCode.NONE, 'NONE', here.nodeId, here.host, here.port], `v${version} key type ${keyType}: this broker, message "NONE"`)
    }
    const share = await c.request(FIND_COORDINATOR, version, { key: 'g:topic:0', keyType: SHARE, coordinatorKeys: [] })
    t.same([share.errorCode, share.errorMessage, share.nodeId, share.host, share.port], [ErrorCode.INVALID_REQUEST, INVALID_REQUEST_MESSAGE, -1, '', -1], `v${version} share key type: INVALID_REQUEST for the request`)
  }

  for (const version of [4, 5, 6]) {
    for (const keyType of [GROUP, TRANSACTION]) {
      const r = await c.request(FIND_COORDINATOR, version, { key: '', keyType, coordinatorKeys: ['a', 'b', 'a'] })
      t.same(r.coordinators, ['a', 'b', 'a'].map((key) => ({ key, ...here, errorCode: ErrorCode.NONE, errorMessage: null })), `v${version} key type ${keyType}: every key (duplicates too) names this broker`)
    }
    const share = await c.request(FIND_COORDINATOR, version, { key: '', keyType: SHARE, coordinatorKeys: ['grp:AAAAAAAAAAAAAAAAAAAAAA:0', ''] })
    t.same(share.coordinators, ['grp:AAAAAAAAAAAAAAAAAAAAAA:0', ''].map((key): Coordinator => ({ key, ...nowhere, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: null })), `v${version} share key type: INVALID_REQUEST per key, no node, no message`)
    const empty = await c.request(FIND_COORDINATOR, version, { key: '', keyType: GROUP, coordinatorKeys: [] })
    t.same(empty.coordinators, [], `v${version}: no keys, no coordinators`)
  }

  for (const version of [1, 3, 4, 6]) {
    const r = await c.request(FIND_COORDINATOR, version, { key: 'k', keyType: 3, coordinatorKeys: ['x', 'y'] })
    if (version < 4) t.same([r.errorCode, r.errorMessage, r.nodeId, r.host, r.port], [ErrorCode.INVALID_REQUEST, INVALID_REQUEST_MESSAGE, -1, '', -1], `v${version} key type 3: INVALID_REQUEST`)
    else t.same(r.coordinators, ['x', 'y'].map((key) => ({ key, ...nowhere, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: INVALID_REQUEST_MESSAGE })), `v${version} key type 3: the whole request fails, each key with Kafka's message`)
  }
})

t.test('v5 and v6 frames are flexible: a pipelined mix of versions is answered in order', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const answers = await Promise.all([6, 2, 5, 6, 4].map((version, i) => c.request(FIND_COORDINATOR, version, { key: `g${i}`, keyType: TRANSACTION, coordinatorKeys: [`g${i}`] })))
  t.same(answers.map((r, i) => (i === 1 ? r.port : r.coordinators[0].port)), [broker.advertisedPort, broker.advertisedPort, broker.advertisedPort, broker.advertisedPort, broker.advertisedPort])
  t.same(answers.map((r, i) => (i === 1 ? 'g1' : r.coordinators[0].key)), ['g0', 'g1', 'g2', 'g3', 'g4'], 'each answer belongs to its request')
})

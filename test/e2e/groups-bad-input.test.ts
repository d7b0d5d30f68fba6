// Bad group requests through a raw socket: each gets Kafka's error code (or, for a
// malformed frame, a closed connection), and neither the group they aim at nor a bystander
// group that is Stable at the same time is disturbed: same generation, same members, same
// assignment, and its member's heartbeat still answers NONE.

import t from 'tap'
import { RawClient } from '../helpers/raw-client.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { Api, describeGroup, encodeSubscription, groupBroker, joinBody, soloStableMember, type RawMember } from '../helpers/groups.ts'


t.test('bad group requests are refused without disturbing Stable groups', async (t) => {
  const { port } = await groupBroker(t)
  const sub = encodeSubscription(['t'])
  // The bystander, which no bad request names, and the target of the bad requests.
  const calm = await soloStableMember(port, { groupId: 'calm', protocols: [{ name: 'range', metadata: sub }] }, { t: [0, 1] })
  const target = await soloStableMember(port, { groupId: 'target', protocols: [{ name: 'range', metadata: sub }, { name: 'roundrobin', metadata: sub }] }, { t: [0] })
  t.teardown(() => {
    calm.close()
    target.close()
  })
  const observer = await RawClient.connect(port)
  t.teardown(() => observer.close())
  const snapshot = { calm: { gen: calm.generationId, member: calm.memberId }, target: { gen: target.generationId, member: target.memberId } }

  const undisturbed = async (tt: typeof t, label: string): Promise<void> => {
    for (const [name, m, assignment] of [['calm', calm, { t: [0, 1] }], ['target', target, { t: [0] }]] as Array<[string, RawMember, Record<string, number[]>]>) {
      const d = await describeGroup(observer, name)
      tt.equal(d.state, 'Stable', `${label}: ${name} is still Stable`)
      tt.same(d.members.map((x) => x.memberId), [snapshot[name as 'calm' | 'target'].member], `${label}: ${name} has the same single member`)
      tt.same(d.members[0]?.assignment, assignment, `${label}: ${name} keeps its assignment`)
      tt.equal(m.generationId, snapshot[name as 'calm' | 'target'].gen)
      tt.equal(await m.heartbeat(), ErrorCode.NONE, `${label}: ${name}'s member heartbeat with its generation still gets NONE`)
    }
  }
  await undisturbed(t, 'at the start')

  await t.test('session timeout outside [6000, 1800000]: INVALID_SESSION_TIMEOUT', async (t) => {
    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    for (const sessionTimeoutMs of [1000, 5999, 1_800_001, 4_000_000]) {
      for (const version of [0, 5, 9]) {
        const res = await c.request(Api.JoinGroup, version, joinBody({ groupId: 'st', sessionTimeoutMs }))
        t.equal(res.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, `JoinGroup v${version} session timeout ${sessionTimeoutMs} ms: 26`)
      }
    }
    const onTarget = await c.request(Api.JoinGroup, 5, joinBody({ groupId: 'target', sessionTimeoutMs: 1000, protocols: [{ name: 'range', metadata: sub }] }))
    t.equal(onTarget.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'a new member of the Stable target group asking for 1000 ms: 26')
    for (const sessionTimeoutMs of [6000, 1_800_000]) {
      const res = await c.request(Api.JoinGroup, 5, joinBody({ groupId: 'st', sessionTimeoutMs }))
      t.equal(res.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `the bounds themselves are valid: ${sessionTimeoutMs} ms goes on to MEMBER_ID_REQUIRED`)
    }
    await undisturbed(t, 'after invalid session timeouts')
  })

  await t.test('unknown member id: UNKNOWN_MEMBER_ID', async (t) => {
    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    for (const version of [0, 3, 4]) {
      const hb = await c.request(Api.Heartbeat, version, { groupId: 'target', generationId: target.generationId, memberId: 'no-such-member', groupInstanceId: null })
      t.equal(hb.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, `Heartbeat v${version} from an unknown member: 25`)
    }
    for (const version of [0, 3, 5]) {
      const sync = await c.request(Api.SyncGroup, version, { groupId: 'target', generationId: target.generationId, memberId: 'no-such-member', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })
      t.equal(sync.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, `SyncGroup v${version} from an unknown member: 25`)
    }
    await undisturbed(t, 'after unknown member ids')
  })

  await t.test('wrong generation: ILLEGAL_GENERATION', async (t) => {
    for (const gen of [target.generationId + 1, target.generationId + 7, target.generationId - 1]) {
      t.equal(await target.heartbeat(gen), ErrorCode.ILLEGAL_GENERATION, `Heartbeat with generation ${gen} (current ${target.generationId}): 22`)
    }
    const sync = await target.syncOnce({}, target.generationId + 1)
    t.equal(sync.errorCode, ErrorCode.ILLEGAL_GENERATION, 'SyncGroup with the next generation: 22')
    await undisturbed(t, 'after wrong generations')
  })

  await t.test('protocol type or names that do not match the group: INCONSISTENT_GROUP_PROTOCOL', async (t) => {
    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    for (const version of [0, 5, 9]) {
      const type = await c.request(Api.JoinGroup, version, joinBody({ groupId: 'target', protocolType: 'connect', protocols: [{ name: 'range', metadata: sub }] }))
      t.equal(type.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `JoinGroup v${version} with protocol type "connect" into a consumer group: 23`)
      const names = await c.request(Api.JoinGroup, version, joinBody({ groupId: 'target', protocols: [{ name: 'sticky', metadata: sub }, { name: 'cooperative-sticky', metadata: sub }] }))
      t.equal(names.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `JoinGroup v${version} with no protocol name in common: 23`)
    }
    await undisturbed(t, 'after inconsistent protocols')
  })

  await t.test('empty group id: INVALID_GROUP_ID', async (t) => {
    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    for (const version of [0, 4, 5, 9]) {
      const res = await c.request(Api.JoinGroup, version, joinBody({ groupId: '' }))
      t.equal(res.errorCode, ErrorCode.INVALID_GROUP_ID, `JoinGroup v${version} with group id "": 24`)
    }
    const hb = await c.request(Api.Heartbeat, 3, { groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null })
    t.equal(hb.errorCode, ErrorCode.INVALID_GROUP_ID, 'Heartbeat with group id "": 24 (as Kafka)')
    const sync = await c.request(Api.SyncGroup, 3, { groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    t.equal(sync.errorCode, ErrorCode.INVALID_GROUP_ID, 'SyncGroup with group id "": 24 (as Kafka)')
    const leave = await c.request(Api.LeaveGroup, 1, { groupId: '', memberId: 'x', members: [] })
    t.equal(leave.errorCode, ErrorCode.INVALID_GROUP_ID, 'LeaveGroup with group id "": 24 (as Kafka)')
    await undisturbed(t, 'after empty group ids')
  })

  await t.test('malformed JoinGroup frames close the connection; the broker keeps serving', async (t) => {
    const clientIdLen = 'raw-client'.length
    const expectClosed = async (frame: Buffer, label: string): Promise<void> => {
      const c = await RawClient.connect(port)
      c.write(frame)
      t.equal(await c.nextFrame(), null, `${label}: no response, connection closed`)
      c.close()
    }

    // v5 (non-flexible): the protocols array claims 1000 entries, one is present.
    const c5 = await RawClient.connect(port)
    const v5 = Buffer.from(c5.frameFor(Api.JoinGroup, 5, joinBody({ groupId: 'malformed', protocols: [{ name: 'range', metadata: sub }] })))
    c5.close()
    const v5Count = 4 + 2 + 2 + 4 + 2 + clientIdLen + (2 + 'malformed'.length) + 4 + 4 + 2 + 2 + (2 + 'consumer'.length)
    t.equal(v5.readInt32BE(v5Count), 1, 'found the protocols array count')
    v5.writeInt32BE(1000, v5Count)
    await expectClosed(v5, 'JoinGroup v5 protocol count beyond the frame')

    // v5 cut in the middle of the protocol metadata, with the size prefix made to match.
    const cutAt = v5Count + 4 + 2 + 'range'.length + 4 + 3
    const truncated = Buffer.from(v5.subarray(0, cutAt))
    truncated.writeInt32BE(1, v5Count)
    truncated.writeInt32BE(truncated.length - 4, 0)
    await expectClosed(truncated, 'JoinGroup v5 truncated inside the protocol metadata')

    // v9 (flexible): the compact array length claims 125 entries.
    const c9 = await RawClient.connect(port)
    const v9 = Buffer.from(c9.frameFor(Api.JoinGroup, 9, joinBody({ groupId: 'malformed', protocols: [{ name: 'range', metadata: sub }] })))
    c9.close()
    const v9Count = 4 + 2 + 2 + 4 + 2 + clientIdLen + 1 + (1 + 'malformed'.length) + 4 + 4 + 1 + 1 + (1 + 'consumer'.length)
    t.equal(v9[v9Count], 2, 'found the compact protocols array length')
    v9[v9Count] = 0x7e
    await expectClosed(v9, 'JoinGroup v9 compact protocol count beyond the frame')

    const c = await RawClient.connect(port)
    t.teardown(() => c.close())
    const listed = await c.request(Api.ListGroups, 4, { statesFilter: [], typesFilter: [] })
    t.notOk(listed.groups.some((g: any) => g.groupId === 'malformed'), 'no group was created from a malformed request')
    const ok = await c.request(Api.JoinGroup, 5, joinBody({ groupId: 'after-malformed' }))
    t.equal(ok.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'a well-formed JoinGroup on a new connection is served')
    await undisturbed(t, 'after malformed frames')
  })

  await undisturbed(t, 'at the end')
})

// A classic group as its group-metadata record in `__consumer_offsets`, and back: what
// is written when a generation's assignment is stored (or a static member is replaced,
// or a group empties), and what a replay rebuilds. Members come back without timers or
// waiting requests; load() decides what they become.

import type { RecordInput } from '../../protocol/records/record-batch-builder.ts'
import type { Clock } from './clock.ts'
import { ClassicGroup, Member } from './classic-group.ts'
import { decodeGroupValue, encodeGroupKey, encodeGroupValue } from './offsets-records.ts'

const EMPTY = Buffer.alloc(0)

/** The group as it is now, members' subscriptions to the chosen protocol included. */
export function groupMetadataRecord(group: ClassicGroup): RecordInput {
  const protocol = group.protocolName
  return {
    key: encodeGroupKey(group.groupId),
    value: encodeGroupValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY : m.metadataFor(protocol),
        assignment: m.assignment,
      })),
    }),
  }
}

export function groupTombstone(groupId: string): RecordInput {
  return { key: encodeGroupKey(groupId), value: null }
}

/** Applies one group-metadata record (null: a tombstone) to `groups`. */
export function replayGroupMetadata(groups: Map<string, ClassicGroup>, groupId: string, value: Buffer | null, clock: Clock): void {
  if (value === null) {
    groups.delete(groupId)
    return
  }
  const v = decodeGroupValue(value)
  let group = groups.get(groupId)
  if (group === undefined) {
    group = new ClassicGroup(groupId, v.currentStateTimestamp)
    groups.set(groupId, group)
  }
  group.members.clear()
  group.staticMembers.clear()
  group.generationId = v.generation
  group.protocolType = v.protocolType === '' ? null : v.protocolType
  group.protocolName = v.protocol
  group.leaderId = v.leader
  // Records from before KIP-211 carry no timestamp.
  group.stateTimestamp = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : clock.now()
  for (const s of v.members) {
    const m = new Member({
      memberId: s.memberId,
      groupInstanceId: s.groupInstanceId,
      clientId: s.clientId,
      clientHost: s.clientHost,
      rebalanceTimeoutMs: s.rebalanceTimeoutMs,
      sessionTimeoutMs: s.sessionTimeoutMs,
      protocolType: v.protocolType,
      protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: s.subscription }],
    })
    m.assignment = s.assignment
    group.members.set(m.memberId, m)
    if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId)
  }
}

// The records of `__consumer_offsets`, in Kafka's own layout so that Kafka tooling that
// reads the topic understands it: keys carry an int16 version (1 = offset commit, 2 =
// group metadata), values an int16 version (offset commit value v3, group metadata value
// v3). A null value is a tombstone. Owns this format; nothing else writes the topic.

import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'

const OFFSET_KEY_VERSION = 1
const GROUP_KEY_VERSION = 2
const OFFSET_VALUE_VERSION = 3
const GROUP_VALUE_VERSION = 3

export interface OffsetKey {
  kind: 'offset'
  group: string
  topic: string
  partition: number
}

export interface GroupKey {
  kind: 'group'
  group: string
}

export interface OffsetValue {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
}

export interface StoredMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  subscription: Buffer
  assignment: Buffer
}

export interface GroupValue {
  protocolType: string
  generation: number
  protocol: string | null
  leader: string | null
  currentStateTimestamp: number
  members: StoredMember[]
}

export function encodeOffsetKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64)
  w.int16(OFFSET_KEY_VERSION)
  w.string(group)
  w.string(topic)
  w.int32(partition)
  return w.toBuffer()
}

export function encodeGroupKey(group: string): Buffer {
  const w = new Writer(32)
  w.int16(GROUP_KEY_VERSION)
  w.string(group)
  return w.toBuffer()
}

export function decodeKey(buf: Buffer): OffsetKey | GroupKey | null {
  const r = new Reader(buf)
  const version = r.int16()
  if (version === 0 || version === 1) return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() }
  if (version === 2) return { kind: 'group', group: r.string() }
  return null // a newer record type (e.g. KIP-848 groups): not ours to interpret
}

export function encodeOffsetValue(v: OffsetValue): Buffer {
  const w = new Writer(64)
  w.int16(OFFSET_VALUE_VERSION)
  w.int64(v.offset)
  w.int32(v.leaderEpoch)
  w.string(v.metadata)
  w.int64(v.commitTimestamp)
  return w.toBuffer()
}

export function decodeOffsetValue(buf: Buffer): OffsetValue {
  const r = new Reader(buf)
  const version = r.int16()
  const offset = r.int64()
  const leaderEpoch = version >= 3 ? r.int32() : -1
  const metadata = r.string()
  const commitTimestamp = r.int64()
  return { offset, leaderEpoch, metadata, commitTimestamp }
}

export function encodeGroupValue(v: GroupValue): Buffer {
  const w = new Writer(256)
  w.int16(GROUP_VALUE_VERSION)
  w.string(v.protocolType)
  w.int32(v.generation)
  w.nullableString(v.protocol)
  w.nullableString(v.leader)
  w.int64(v.currentStateTimestamp)
  w.array(v.members, (w, m) => {
    w.string(m.memberId)
    w.nullableString(m.groupInstanceId)
    w.string(m.clientId)
    w.string(m.clientHost)
    w.int32(m.rebalanceTimeoutMs)
    w.int32(m.sessionTimeoutMs)
    w.bytes(m.subscription)
    w.bytes(m.assignment)
  })
  return w.toBuffer()
}

export function decodeGroupValue(buf: Buffer): GroupValue {
  const r = new Reader(buf)
  const version = r.int16()
  const protocolType = r.string()
  const generation = r.int32()
  const protocol = r.nullableString()
  const leader = r.nullableString()
  const currentStateTimestamp = version >= 2 ? r.int64() : -1
  const members = r.array((r) => ({
    memberId: r.string(),
    groupInstanceId: version >= 3 ? r.nullableString() : null,
    clientId: r.string(),
    clientHost: r.string(),
    rebalanceTimeoutMs: version >= 1 ? r.int32() : 0,
    sessionTimeoutMs: r.int32(),
    subscription: Buffer.from(r.bytes()),
    assignment: Buffer.from(r.bytes()),
  }))
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members }
}

// OffsetFetch (key 9), versions 1-9.
// - v1-7 ask about one group, v8+ about several (groups[]). A null topic list (v2+)
//   means every partition the group committed.
// - A partition with no commit answers offset -1 and empty metadata; metadata strings
//   round-trip exactly as committed.
// - While __consumer_offsets is replayed: COORDINATOR_LOAD_IN_PROGRESS (top-level from
//   v2, per partition in v1).
// - require_stable (v7+) never finds pending transactional offsets: there are none yet.

import { decodeOffsetFetchRequest, type OffsetFetchRequest } from '../../protocol/messages/offset-fetch-request.ts'
import { encodeOffsetFetchResponse, type OffsetFetchResponse, type OffsetFetchResponseTopic } from '../../protocol/messages/offset-fetch-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import type { BrokerContext } from '../broker-context.ts'

type Asked = Array<{ name: string; partitions: number[] }> | null

function lookup(broker: BrokerContext, groupId: string, topics: Asked) {
  return broker.groups.fetchOffsets(groupId, topics)
}

function singleGroupTopics(res: ReturnType<typeof lookup>, asked: Asked, version: number): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
  if (res.errorCode !== ErrorCode.NONE && version < 2) {
    // v1 has no top-level error: report it on every partition asked about.
    return {
      errorCode: 0,
      topics: (asked ?? []).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: res.errorCode })) })),
    }
  }
  return {
    errorCode: res.errorCode,
    topics: res.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: 0 })),
    })),
  }
}

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 9,
  decode: decodeOffsetFetchRequest,
  encode: encodeOffsetFetchResponse,
  handle(ctx, req) {
    const version = ctx.header.apiVersion
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => {
          const asked: Asked = g.topics === null ? null : g.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }))
          const res = lookup(ctx.broker, g.groupId, asked)
          return {
            groupId: g.groupId,
            errorCode: res.errorCode,
            topics: res.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: 0 })),
            })),
          }
        }),
      }
    }
    const asked: Asked = req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }))
    const { errorCode, topics } = singleGroupTopics(lookup(ctx.broker, req.groupId, asked), asked, version)
    return { throttleTimeMs: 0, topics, errorCode, groups: [] }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode,
      groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })),
    }
  },
})

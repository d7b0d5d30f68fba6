// OffsetFetch (key 9), versions 1-9.
// - v1-7 ask about one group, v8+ about several (groups[]). A null topic list (v2+)
//   means every partition the group committed.
// - A partition with no commit answers offset -1 and empty metadata; metadata strings
//   round-trip exactly as committed.
// - While __consumer_offsets is replayed: COORDINATOR_LOAD_IN_PROGRESS (top-level from
//   v2, per partition in v1).
// - ACLs: DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED) and on each topic:
//   others are left out of "every topic" answers and TOPIC_AUTHORIZATION_FAILED when named.
// - require_stable (v7+) never finds pending transactional offsets: there are none yet.

import { decodeOffsetFetchRequest, type OffsetFetchRequest } from '../../protocol/messages/offset-fetch-request.ts'
import { encodeOffsetFetchResponse, type OffsetFetchResponse, type OffsetFetchResponseTopic } from '../../protocol/messages/offset-fetch-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import { authorizedGroup, Op, topicChecker } from '../security/authorizer.ts'

type Asked = Array<{ name: string; partitions: number[] }> | null

interface Fetched {
  errorCode: number
  topics: Array<{ name: string; partitions: Array<{ partition: number; offset: number; leaderEpoch: number; metadata: string; errorCode?: number }> }>
}

// KafkaApis: DESCRIBE on the group, then topics the principal may not describe are
// dropped from an "every topic" answer and answered TOPIC_AUTHORIZATION_FAILED when named.
function lookup(ctx: RequestContext, groupId: string, topics: Asked): Fetched {
  const broker = ctx.broker
  if (!authorizedGroup(ctx, Op.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] }
  if (!broker.authorizer.enabled) return broker.groups.fetchOffsets(groupId, topics)
  const mayDescribe = topicChecker(ctx, Op.DESCRIBE)
  if (topics === null) {
    const r = broker.groups.fetchOffsets(groupId, null)
    return { errorCode: r.errorCode, topics: r.topics.filter((t) => mayDescribe(t.name)) }
  }
  const r = broker.groups.fetchOffsets(groupId, topics.filter((t) => mayDescribe(t.name)))
  const denied = topics.filter((t) => !mayDescribe(t.name)).map((t) => ({
    name: t.name,
    partitions: t.partitions.map((partition) => ({ partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
  }))
  return { errorCode: r.errorCode, topics: [...r.topics, ...denied] }
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
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode ?? 0 })),
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
          const res = lookup(ctx, g.groupId, asked)
          return {
            groupId: g.groupId,
            errorCode: res.errorCode,
            topics: res.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode ?? 0 })),
            })),
          }
        }),
      }
    }
    const asked: Asked = req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }))
    const { errorCode, topics } = singleGroupTopics(lookup(ctx, req.groupId, asked), asked, version)
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

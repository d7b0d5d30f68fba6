// OffsetDelete (key 47), version 0.
// - Removes committed offsets of partitions the group does not consume: a partition of a
//   topic an active member subscribes to gets GROUP_SUBSCRIBED_TO_TOPIC; an unknown group
//   is GROUP_ID_NOT_FOUND.
// - ACLs: DELETE on the group (GROUP_AUTHORIZATION_FAILED) and READ on each topic
//   (TOPIC_AUTHORIZATION_FAILED for its partitions, the others deleted).

import { decodeOffsetDeleteRequest, type OffsetDeleteRequest } from '../../protocol/messages/offset-delete-request.ts'
import { encodeOffsetDeleteResponse, type OffsetDeleteResponse } from '../../protocol/messages/offset-delete-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op, topicChecker } from '../security/authorizer.ts'

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeOffsetDeleteRequest,
  encode: encodeOffsetDeleteResponse,
  async handle(ctx, req) {
    if (!authorizedGroup(ctx, Op.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] }
    const mayRead = topicChecker(ctx, Op.READ)
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, req.topics.filter((t) => mayRead(t.name)).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })))
    const denied = req.topics.filter((t) => !mayRead(t.name)).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }))
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: [...r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })), ...denied],
    }
  },
  errorResponse(_req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] }
  },
})

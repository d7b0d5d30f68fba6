// OffsetDelete (key 47), version 0.
// - Removes committed offsets of partitions the group does not consume: a partition of a
//   topic an active member subscribes to gets GROUP_SUBSCRIBED_TO_TOPIC; an unknown group
//   is GROUP_ID_NOT_FOUND.

import { decodeOffsetDeleteRequest, type OffsetDeleteRequest } from '../../protocol/messages/offset-delete-request.ts'
import { encodeOffsetDeleteResponse, type OffsetDeleteResponse } from '../../protocol/messages/offset-delete-response.ts'
import { defineHandler } from './api-handler.ts'

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeOffsetDeleteRequest,
  encode: encodeOffsetDeleteResponse,
  async handle(ctx, req) {
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })))
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
    }
  },
  errorResponse(_req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] }
  },
})

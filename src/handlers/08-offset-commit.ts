// OffsetCommit (key 8), versions 2-9.
// - Commits of a group member must carry its generation (ILLEGAL_GENERATION,
//   UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS while the group completes a rebalance,
//   FENCED_INSTANCE_ID for a replaced static member); a generation of -1 with no member
//   id (simple consumers, admin resetOffsets) is accepted while the group has no members.
// - Offsets are written to __consumer_offsets before the answer; metadata up to 4096
//   bytes (OFFSET_METADATA_TOO_LARGE beyond), unknown partitions UNKNOWN_TOPIC_OR_PARTITION.
// - v2-4 retention_time_ms is ignored: offsets.retention.minutes applies to every commit.
// - ACLs: READ on the group (else GROUP_AUTHORIZATION_FAILED for every partition) and
//   READ on each topic (else TOPIC_AUTHORIZATION_FAILED for its partitions).

import { decodeOffsetCommitRequest, type OffsetCommitRequest } from '../../protocol/messages/offset-commit-request.ts'
import { encodeOffsetCommitResponse, type OffsetCommitResponse } from '../../protocol/messages/offset-commit-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op, topicChecker } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

function allFailed(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
}

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 9,
  decode: decodeOffsetCommitRequest,
  encode: encodeOffsetCommitResponse,
  async handle(ctx, req) {
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return allFailed(req, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    const mayRead = topicChecker(ctx, Op.READ)
    const offsets = req.topics.filter((t) => mayRead(t.name)).flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
    )
    const errors = await ctx.broker.groups.commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: ctx.header.apiVersion >= 7 ? req.groupInstanceId : null,
      offsets,
    })
    let i = 0
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: mayRead(t.name) ? errors[i++]! : ErrorCode.TOPIC_AUTHORIZATION_FAILED })) })) }
  },
  errorResponse: allFailed,
})

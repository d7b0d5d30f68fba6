// OffsetForLeaderEpoch (key 23), versions 0-4: the end offset of a leader epoch, which
// consumers (librdkafka, the Java client) ask for to validate their position after a
// leader change or a restart (KIP-320).
// - This broker has always led every partition in leader epoch 0 (Metadata says so, and
//   every stored batch carries it), so the leader-epoch cache holds one entry, epoch 0
//   from offset 0, and Kafka's LeaderEpochFileCache.endOffsetFor answers: epoch 0 → the
//   log end offset; an undefined (-1) or later epoch → -1/-1 (UNDEFINED); an earlier
//   (negative) epoch → that epoch with the first epoch's start offset.
// - current_leader_epoch (v2+) fences as Kafka: above 0 UNKNOWN_LEADER_EPOCH, below 0
//   other than -1 FENCED_LEADER_EPOCH.
// - Unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION.
// - ACLs: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED per partition.

import { decodeOffsetForLeaderEpochRequest, type OffsetForLeaderEpochRequest } from '../../protocol/messages/offset-for-leader-epoch-request.ts'
import { encodeOffsetForLeaderEpochResponse, type OffsetForLeaderEpochResponse, type EpochEndOffset } from '../../protocol/messages/offset-for-leader-epoch-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTopic, Op } from '../security/authorizer.ts'

const LEADER_EPOCH = 0
const UNDEFINED = -1

function answer(partition: number, errorCode: number, leaderEpoch = UNDEFINED, endOffset = UNDEFINED): EpochEndOffset {
  return { errorCode, partition, leaderEpoch, endOffset }
}

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeOffsetForLeaderEpochRequest,
  encode: encodeOffsetForLeaderEpochResponse,
  handle(ctx, req) {
    const broker = ctx.broker
    const version = ctx.header.apiVersion
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const info = broker.topics.get(t.topic)
        const mayDescribe = authorizedTopic(ctx, Op.DESCRIBE, t.topic)
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            if (!mayDescribe) return answer(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
            if (info === undefined || p.partition < 0 || p.partition >= info.partitions) return answer(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            const current = version >= 2 ? p.currentLeaderEpoch : UNDEFINED
            if (current > LEADER_EPOCH) return answer(p.partition, ErrorCode.UNKNOWN_LEADER_EPOCH)
            if (current !== UNDEFINED && current < LEADER_EPOCH) return answer(p.partition, ErrorCode.FENCED_LEADER_EPOCH)
            const bounds = broker.replicas.bounds(t.topic, p.partition)
            if (bounds === undefined) return answer(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            if (p.leaderEpoch === LEADER_EPOCH) return answer(p.partition, ErrorCode.NONE, LEADER_EPOCH, bounds.highWatermark)
            if (p.leaderEpoch === UNDEFINED || p.leaderEpoch > LEADER_EPOCH) return answer(p.partition, ErrorCode.NONE)
            return answer(p.partition, ErrorCode.NONE, p.leaderEpoch, 0)
          }),
        }
      }),
    }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => answer(p.partition, errorCode)) })) }
  },
})

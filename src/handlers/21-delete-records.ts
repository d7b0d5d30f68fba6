// DeleteRecords (key 21), versions 0-2.
// - Per partition, the log start offset moves up to the requested offset (−1: the high
//   watermark); the answer's low_watermark is the new log start. An offset at or below
//   the current start changes nothing and answers the current start.
// - Errors, in Kafka's order (KafkaApis.handleDeleteRecordsRequest,
//   ReplicaManager.deleteRecordsOnLocalLog, Partition.deleteRecordsOnLeader,
//   UnifiedLog.maybeIncrementLogStartOffset), each with low_watermark −1:
//   unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION; an internal topic
//   (__consumer_offsets, __transaction_state) → INVALID_TOPIC_EXCEPTION; cleanup.policy
//   without `delete` → POLICY_VIOLATION; a negative offset other than −1, or one past
//   the high watermark → OFFSET_OUT_OF_RANGE.
// - Whole segments below the new start are deleted from disk at once (Kafka leaves that
//   to its next retention check); the start itself may lie inside a segment, so it is
//   kept in log-start-offset-checkpoint (written by the periodic flush and at shutdown)
//   and read back at start-up. Fetches below it get OFFSET_OUT_OF_RANGE; ListOffsets
//   earliest answers it.
// - Single node: nothing waits for followers, so timeout_ms is not used.
// - A partition named twice is answered once, with the last offset asked for (Kafka
//   builds a map from the request).
// - ACLs: DELETE on the topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.

import { decodeDeleteRecordsRequest, type DeleteRecordsRequest } from '../../protocol/messages/delete-records-request.ts'
import { encodeDeleteRecordsResponse, type DeleteRecordsResponse, type DeleteRecordsPartitionResult, type DeleteRecordsTopicResult } from '../../protocol/messages/delete-records-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTopic, Op } from '../security/authorizer.ts'

const INVALID_LOW_WATERMARK = -1
const HIGH_WATERMARK = -1

/** The request's partitions grouped by topic, each partition once (the last offset named wins). */
function grouped(req: DeleteRecordsRequest): Map<string, Map<number, number>> {
  const topics = new Map<string, Map<number, number>>()
  for (const t of req.topics) {
    let partitions = topics.get(t.name)
    if (partitions === undefined) topics.set(t.name, (partitions = new Map()))
    for (const p of t.partitions) partitions.set(p.partitionIndex, p.offset)
  }
  return topics
}

function answer(partitionIndex: number, errorCode: number, lowWatermark = INVALID_LOW_WATERMARK): DeleteRecordsPartitionResult {
  return { partitionIndex, lowWatermark, errorCode }
}

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeDeleteRecordsRequest,
  encode: encodeDeleteRecordsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const pending: Promise<void>[] = []
    const topics: DeleteRecordsTopicResult[] = []
    for (const [name, wanted] of grouped(req)) {
      const info = broker.topics.get(name)
      const partitions: DeleteRecordsPartitionResult[] = []
      const mayDelete = authorizedTopic(ctx, Op.DELETE, name)
      for (const [index, offset] of wanted) {
        if (!mayDelete) {
          partitions.push(answer(index, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
          continue
        }
        if (info === undefined || index < 0 || index >= info.partitions) {
          partitions.push(answer(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
          continue
        }
        if (info.internal) {
          partitions.push(answer(index, ErrorCode.INVALID_TOPIC_EXCEPTION))
          continue
        }
        if (!info.logConfig.cleanupPolicy.split(',').includes('delete')) {
          partitions.push(answer(index, ErrorCode.POLICY_VIOLATION))
          continue
        }
        if (offset < 0 && offset !== HIGH_WATERMARK) {
          partitions.push(answer(index, ErrorCode.OFFSET_OUT_OF_RANGE))
          continue
        }
        const out = answer(index, ErrorCode.NONE)
        partitions.push(out)
        pending.push(
          broker.replicas.deleteRecords(name, index, offset).then((result) => {
            if (!result.ok) {
              out.errorCode = result.error
              return
            }
            out.lowWatermark = result.logStartOffset
          }),
        )
      }
      topics.push({ name, partitions })
    }
    await Promise.all(pending)
    return { throttleTimeMs: 0, topics }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: [...grouped(req)].map(([name, partitions]) => ({ name, partitions: [...partitions.keys()].map((i) => answer(i, errorCode)) })),
    }
  },
})

// ListOffsets (key 2), versions 0-10.
// - v0 (old clients and tools, e.g. sarama-based lag monitors): Kafka's legacy answer, a
//   list of offsets (old_style_offsets) newest first, at most max_num_offsets: for -1 the
//   log end then segment starts, for -2 the log start, for a time the segment starts
//   whose segment's newest record is at or before it; other negative times
//   UNSUPPORTED_VERSION, as Kafka.
// - v10 adds a timeout for tiered-storage lookups, which answer at once here.
// - Timestamps: -2 earliest and -4 earliest-local (both the log start offset), -1 latest
//   (the high watermark; under isolation_level read_committed the last stable offset),
//   -3 the record with the largest timestamp (v7+), -5 latest-tiered (v9+; no tiered
//   storage, so offset -1 as in Kafka), >= 0 the first offset whose timestamp is at
//   least that, through the time index (offset -1 when there is none, or, for
//   read_committed, when it is at or past the last stable offset).
// - Earliest and latest come from the main thread's partition cache when it is warm.
// - ACLs: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED per partition.

import { decodeListOffsetsRequest, type ListOffsetsRequest } from '../../protocol/messages/list-offsets-request.ts'
import { encodeListOffsetsResponse, type ListOffsetsResponse, type ListOffsetsPartitionResponse } from '../../protocol/messages/list-offsets-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { Op, topicChecker } from '../security/authorizer.ts'

const LATEST = -1
const EARLIEST = -2
const EARLIEST_LOCAL = -4
const LATEST_TIERED = -5

function answer(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1): ListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset, leaderEpoch: errorCode === 0 ? 0 : -1 }
}

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 10,
  decode: decodeListOffsetsRequest,
  encode: encodeListOffsetsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const pending: Promise<void>[] = []
    const committed = req.isolationLevel === 1
    const mayDescribe = topicChecker(ctx, Op.DESCRIBE)
    if (ctx.header.apiVersion === 0) {
      const topics = req.topics.map((t) => {
        const info = broker.topics.get(t.name)
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            const out = answer(p.partitionIndex, ErrorCode.NONE)
            if (!mayDescribe(t.name)) out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            else if (info === undefined || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else if (p.timestamp < EARLIEST) out.errorCode = ErrorCode.UNSUPPORTED_VERSION
            else {
              pending.push(broker.replicas.legacyOffsets(t.name, p.partitionIndex, p.timestamp, Math.max(0, p.maxNumOffsets)).then((r) => {
                if (r.ok) out.oldStyleOffsets = r.offsets
                else out.errorCode = r.error
              }))
            }
            return out
          }),
        }
      })
      await Promise.all(pending)
      return { throttleTimeMs: 0, topics }
    }
    const topics = req.topics.map((t) => {
      const info = broker.topics.get(t.name)
      const partitions = t.partitions.map((p) => {
        if (!mayDescribe(t.name)) return answer(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        if (info === undefined || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (p.timestamp === LATEST_TIERED) return answer(p.partitionIndex, ErrorCode.NONE)
        const cached = broker.replicas.bounds(t.name, p.partitionIndex)
        if (cached !== undefined && (p.timestamp === LATEST || p.timestamp === EARLIEST || p.timestamp === EARLIEST_LOCAL)) {
          return answer(p.partitionIndex, ErrorCode.NONE, p.timestamp === LATEST ? (committed ? cached.lastStableOffset : cached.highWatermark) : cached.logStartOffset)
        }
        const out = answer(p.partitionIndex, ErrorCode.NONE)
        const timestamp = p.timestamp === EARLIEST_LOCAL ? EARLIEST : p.timestamp
        pending.push(
          broker.replicas.listOffsets(t.name, p.partitionIndex, timestamp, committed).then((result) => {
            if (!result.ok) {
              out.errorCode = result.error
              out.leaderEpoch = -1
              return
            }
            out.offset = result.offset
            out.timestamp = result.timestamp
          }),
        )
        return out
      })
      return { name: t.name, partitions }
    })
    await Promise.all(pending)
    return { throttleTimeMs: 0, topics }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => answer(p.partitionIndex, errorCode)) })) }
  },
})

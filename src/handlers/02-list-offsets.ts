// ListOffsets (key 2), versions 1-9.
// - Timestamps: -2 earliest and -4 earliest-local (both the log start offset), -1 latest
//   (the high watermark; under isolation_level read_committed the last stable offset),
//   -3 the record with the largest timestamp (v7+), -5 latest-tiered (v9+; no tiered
//   storage, so offset -1 as in Kafka), >= 0 the first offset whose timestamp is at
//   least that, through the time index (offset -1 when there is none, or, for
//   read_committed, when it is at or past the last stable offset).
// - Earliest and latest come from the main thread's partition cache when it is warm.
// Not supported: old-style v0 offset lists (v0 is not advertised, as in Kafka 4).

import { decodeListOffsetsRequest, type ListOffsetsRequest } from '../../protocol/messages/list-offsets-request.ts'
import { encodeListOffsetsResponse, type ListOffsetsResponse, type ListOffsetsPartitionResponse } from '../../protocol/messages/list-offsets-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'

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
  minVersion: 1,
  maxVersion: 9,
  decode: decodeListOffsetsRequest,
  encode: encodeListOffsetsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const pending: Promise<void>[] = []
    const committed = req.isolationLevel === 1
    const topics = req.topics.map((t) => {
      const info = broker.topics.get(t.name)
      const partitions = t.partitions.map((p) => {
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

// DescribeProducers (key 61), version 0.
// - Per partition, the producers whose sequence state the partition keeps (idempotent
//   producers not yet expired by producer.id.expiration.ms): id, epoch, last sequence,
//   last timestamp (the max timestamp of its last batch), coordinator epoch (−1) and the
//   first offset of its open transaction (−1: no transactions yet).
// - An unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION for that partition.
// - ACLs: READ on each topic, else TOPIC_AUTHORIZATION_FAILED per partition.

import { decodeDescribeProducersRequest, type DescribeProducersRequest } from '../../protocol/messages/describe-producers-request.ts'
import { encodeDescribeProducersResponse, type DescribeProducersResponse, type PartitionResponse } from '../../protocol/messages/describe-producers-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTopic, Op } from '../security/authorizer.ts'

function answer(partitionIndex: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { partitionIndex, errorCode, errorMessage, activeProducers: [] }
}

export default defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeDescribeProducersRequest,
  encode: encodeDescribeProducersResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const pending: Promise<void>[] = []
    const topics = req.topics.map((t) => {
      const info = broker.topics.get(t.name)
      const mayRead = authorizedTopic(ctx, Op.READ, t.name)
      const partitions = t.partitionIndexes.map((index) => {
        if (!mayRead) return answer(index, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        if (info === undefined || index < 0 || index >= info.partitions) {
          return answer(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.')
        }
        const out = answer(index, ErrorCode.NONE)
        pending.push(
          broker.replicas.describeProducers(t.name, index).then((r) => {
            if (!r.ok) {
              out.errorCode = r.error
              out.errorMessage = r.message || null
              return
            }
            out.activeProducers = r.producers
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
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => answer(i, errorCode)) })) }
  },
})

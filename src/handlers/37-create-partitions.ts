// CreatePartitions (key 37), versions 0-3, answered as Kafka 4's controller does
// (ControllerApis.createPartitions, ReplicationControlManager.createPartitions):
// - A topic named more than once gets one INVALID_REQUEST "Duplicate topic name." and is
//   not touched; those answers come first, the others follow in request order.
// - Unknown topic: UNKNOWN_TOPIC_OR_PARTITION (no message). The same count: INVALID_PARTITIONS
//   "Topic already has N partition(s)."; fewer: INVALID_PARTITIONS "... would not be an
//   increase." More than 10,000 (MAX_PARTITIONS_PER_TOPIC): INVALID_PARTITIONS.
// - Assignments, when given, need one replica list per new partition, each exactly
//   [this node] (the only registered broker; every partition has one replica); anything
//   else is INVALID_REPLICA_ASSIGNMENT with Kafka's message.
// - validate_only answers the same and changes nothing.
// - New partitions are opened on their shards and written to the topic catalogue before
//   the answer: served at once, seen by clients at their next Metadata, kept across restarts.
// - ACLs: ALTER on the topic, else TOPIC_AUTHORIZATION_FAILED (before its existence).

import { decodeCreatePartitionsRequest, type CreatePartitionsRequest } from '../../protocol/messages/create-partitions-request.ts'
import { encodeCreatePartitionsResponse, type CreatePartitionsResponse, type CreatePartitionsTopicResult } from '../../protocol/messages/create-partitions-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTopic, Op } from '../security/authorizer.ts'
import { growTopic } from '../topics/grow-topic.ts'

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeCreatePartitionsRequest,
  encode: encodeCreatePartitionsResponse,
  async handle(ctx, req) {
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
    const results: CreatePartitionsTopicResult[] = []
    for (const [name, n] of counts) if (n > 1) results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' })
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) continue
      if (!authorizedTopic(ctx, Op.ALTER, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' })
        continue
      }
      const outcome = await growTopic(ctx.broker, t, req.validateOnly)
      results.push({ name: t.name, errorCode: outcome.error, errorMessage: outcome.message })
    }
    return { throttleTimeMs: 0, results }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) }
  },
})

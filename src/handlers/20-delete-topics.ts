// DeleteTopics (key 20), versions 1-6.
// - v1-5 name topics in topic_names (an empty name is just an unknown name); v6 in
//   topics[] by name or by id.
// - Unknown names get UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID;
//   delete.topic.enable=false gives TOPIC_DELETION_DISABLED.
// - A v6 entry naming both a name and an id, or a topic named twice, is INVALID_REQUEST
//   and nothing is deleted for it (as in Kafka's controller).
// - The partitions' directories are removed by their shards before the answer.
// - ACLs: DELETE on the topic, else TOPIC_AUTHORIZATION_FAILED (checked before whether
//   a named topic exists, so names are not disclosed).

import { decodeDeleteTopicsRequest, type DeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import { encodeDeleteTopicsResponse, type DeleteTopicsResponse, type DeletableTopicResult } from '../../protocol/messages/delete-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { ZERO_UUID } from '../../protocol/wire/constants.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTopic, Op } from '../security/authorizer.ts'


function requested(req: DeleteTopicsRequest, version: number): Array<{ name: string | null; topicId: string; byName: boolean }> {
  if (version >= 6) return req.topics.map((t) => ({ name: t.name, topicId: t.topicId, byName: t.name !== null && t.name !== '' }))
  return req.topicNames.map((name) => ({ name, topicId: ZERO_UUID, byName: true }))
}

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 6,
  decode: decodeDeleteTopicsRequest,
  encode: encodeDeleteTopicsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const responses: DeletableTopicResult[] = []
    const wanted = requested(req, ctx.header.apiVersion)
    const count = new Map<string, number>()
    for (const t of wanted) {
      const key = t.byName ? `n:${t.name}` : `i:${t.topicId}`
      count.set(key, (count.get(key) ?? 0) + 1)
    }
    for (const t of wanted) {
      const named = t.byName
      if (named && t.topicId !== ZERO_UUID) {
        responses.push({ name: t.name, topicId: t.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' })
        continue
      }
      if (count.get(named ? `n:${t.name}` : `i:${t.topicId}`)! > 1) {
        responses.push({ name: t.name, topicId: t.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: named ? 'Duplicate topic name.' : 'Duplicate topic id.' })
        continue
      }
      let name = t.name
      if (!named || name === null) {
        const byId = broker.topics.byId.get(t.topicId)
        if (byId === undefined) {
          responses.push({ name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' })
          continue
        }
        name = byId.name
      }
      if (!authorizedTopic(ctx, Op.DELETE, name)) {
        responses.push({ name: named ? name : null, topicId: t.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' })
        continue
      }
      const outcome = await broker.deleteTopic(name)
      responses.push({ name, topicId: outcome.topic?.id ?? t.topicId, errorCode: outcome.error, errorMessage: outcome.message })
    }
    return { throttleTimeMs: 0, responses }
  },
  errorResponse(req, errorCode, version) {
    return { throttleTimeMs: 0, responses: requested(req, version).map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage: null })) }
  },
})

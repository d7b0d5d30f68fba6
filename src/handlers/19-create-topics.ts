// CreateTopics (key 19), versions 2-7.
// - Kafka's name rules (legal characters, length, '.'/'_' collisions), partitions >= 1
//   (-1: num.partitions), replication factor 1 (-1: the default; anything else is
//   INVALID_REPLICATION_FACTOR unless --clamp-replication-factor), manual assignments
//   must name only this broker, configs are checked (INVALID_CONFIG names the key).
// - validate_only checks everything and creates nothing.
// - A topic named twice in one request gets INVALID_REQUEST for every copy, as in Kafka.
// - v5+ answers with the partition count, replication factor and every topic config
//   with its source (set in the request, or the default).

import { decodeCreateTopicsRequest, type CreateTopicsRequest } from '../../protocol/messages/create-topics-request.ts'
import { encodeCreateTopicsResponse, type CreateTopicsResponse, type CreatableTopicResult } from '../../protocol/messages/create-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { ZERO_UUID } from '../../protocol/wire/constants.ts'
import { defineHandler } from './api-handler.ts'
import { logConfigToTopicConfigs } from '../../storage/log-config.ts'

const TOPIC_CONFIG_SOURCE = 1 // DYNAMIC_TOPIC_CONFIG
const DEFAULT_CONFIG_SOURCE = 5 // DEFAULT_CONFIG

function result(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null }
}

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 7,
  decode: decodeCreateTopicsRequest,
  encode: encodeCreateTopicsResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)

    const topics: CreatableTopicResult[] = []
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        topics.push(result(t.name, ErrorCode.INVALID_REQUEST, `Create topics request from client \`${ctx.header.clientId}\` contains multiple entries for the following topics: ${t.name}`))
        continue
      }
      let partitions = t.numPartitions === -1 ? broker.options.numPartitions : t.numPartitions
      let replicationFactor = t.replicationFactor === -1 ? 1 : t.replicationFactor
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          topics.push(result(t.name, ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.'))
          continue
        }
        const foreign = t.assignments.find((a) => a.brokerIds.some((id) => id !== broker.nodeId))
        if (foreign !== undefined) {
          topics.push(result(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${foreign.partitionIndex} is assigned to a broker other than ${broker.nodeId}`))
          continue
        }
        partitions = t.assignments.length
        replicationFactor = t.assignments[0]!.brokerIds.length
      }
      const configs: Record<string, string> = {}
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value

      const outcome = req.validateOnly
        ? broker.checkNewTopic(t.name, partitions, replicationFactor, configs)
        : await broker.createTopic(t.name, partitions, replicationFactor, configs)
      const r = result(t.name, outcome.error, outcome.message)
      if (outcome.error === ErrorCode.NONE) {
        r.topicId = outcome.topic?.id ?? ZERO_UUID
        r.numPartitions = partitions
        r.replicationFactor = 1
        // Every topic config with its source (KIP-525), not only the ones the request set.
        const effective = { ...logConfigToTopicConfigs(outcome.topic?.logConfig ?? broker.topics.resolveConfigOrDefault(configs)), ...configs }
        r.configs = Object.entries(effective).map(([name, value]) => ({
          name,
          value,
          readOnly: false,
          configSource: name in configs ? TOPIC_CONFIG_SOURCE : DEFAULT_CONFIG_SOURCE,
          isSensitive: false,
        }))
      }
      topics.push(r)
    }
    return { throttleTimeMs: 0, topics }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => result(t.name, errorCode, null)) }
  },
})

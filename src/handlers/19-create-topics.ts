// CreateTopics (key 19), versions 2-7.
// - Kafka's name rules (legal characters, length, '.'/'_' collisions), partitions >= 1
//   (-1: num.partitions), replication factor 1 (-1: the default; anything else is
//   INVALID_REPLICATION_FACTOR unless --clamp-replication-factor), configs are checked
//   (INVALID_CONFIG names the key). Those checks come in Kafka's controller order: name,
//   existence, configs, then the shape (src/topics/replica-assignment.ts).
// - Manual assignments (numPartitions and replicationFactor then -1, else INVALID_REQUEST)
//   need partition ids 0..n-1, each with the replica list [this node]; anything else is
//   INVALID_REPLICA_ASSIGNMENT with Kafka's message.
// - validate_only checks everything and creates nothing.
// - A topic named twice in one request gets INVALID_REQUEST for every copy, as in Kafka.
// - v5+ answers with the partition count, replication factor and every topic config
//   with its source (set in the request, or the default).
// - ACLs: CREATE on the cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED
//   "Authorization failed."; without DESCRIBE_CONFIGS on it the configs are left out
//   (topic_config_error_code TOPIC_AUTHORIZATION_FAILED), as KafkaApis answers.

import { decodeCreateTopicsRequest, type CreateTopicsRequest } from '../../protocol/messages/create-topics-request.ts'
import { encodeCreateTopicsResponse, type CreateTopicsResponse, type CreatableTopicResult } from '../../protocol/messages/create-topics-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { ZERO_UUID } from '../../protocol/wire/constants.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, authorizedTopic, Op } from '../security/authorizer.ts'
import { logConfigToTopicConfigs } from '../../storage/log-config.ts'
import { topicShape } from '../topics/replica-assignment.ts'

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
    const clusterCreate = authorizedCluster(ctx, Op.CREATE)
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        topics.push(result(t.name, ErrorCode.INVALID_REQUEST, `Create topics request from client \`${ctx.header.clientId}\` contains multiple entries for the following topics: ${t.name}`))
        continue
      }
      if (!clusterCreate && !authorizedTopic(ctx, Op.CREATE, t.name)) {
        topics.push(result(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'))
        continue
      }
      const configs: Record<string, string> = {}
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
      // Kafka's controller checks the name, whether it exists and the configs before the
      // assignment or the partition count and replication factor.
      const named = broker.checkNewTopic(t.name, 1, 1, configs)
      if (named.error !== ErrorCode.NONE) {
        topics.push(result(t.name, named.error, named.message))
        continue
      }
      const shape = topicShape(t, broker.nodeId, broker.options.numPartitions)
      if ('error' in shape) {
        topics.push(result(t.name, shape.error, shape.message))
        continue
      }
      const { partitions, replicationFactor } = shape

      const outcome = req.validateOnly
        ? broker.checkNewTopic(t.name, partitions, replicationFactor, configs)
        : await broker.createTopic(t.name, partitions, replicationFactor, configs)
      const r = result(t.name, outcome.error, outcome.message)
      if (outcome.error === ErrorCode.NONE) {
        r.topicId = outcome.topic?.id ?? ZERO_UUID
        r.numPartitions = partitions
        r.replicationFactor = 1
        if (!authorizedTopic(ctx, Op.DESCRIBE_CONFIGS, t.name)) {
          r.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED
          topics.push(r)
          continue
        }
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

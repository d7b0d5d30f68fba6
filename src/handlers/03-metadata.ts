// Metadata (key 3), versions 0-12.
// - One broker (this node), which is also the controller (kafkajs admin needs the
//   controller id to be a listed broker) and every partition's leader, replica and ISR.
// - v0: an empty topic list means every topic; v1+: null means every topic, [] none.
// - v10+: topics can be named by id.
// - Auto-creation: when auto.create.topics.enable is on and the request allows it (v4+
//   field; always for v0-3), an unknown topic is created synchronously with
//   num.partitions and returned ready, instead of Kafka's first LEADER_NOT_AVAILABLE
//   (clients then do not have to retry).
// - Authorized operations (v8+), when asked, are the operations the principal's ACLs
//   allow ("everything" without an authorizer).
// - ACLs: topics listed in full are those the principal may DESCRIBE; a named topic it
//   may not describe answers TOPIC_AUTHORIZATION_FAILED, whether it exists or not;
//   auto-creation needs CREATE on the cluster or on the topic, else
//   TOPIC_AUTHORIZATION_FAILED (KafkaApis.handleTopicMetadataRequest).
// Not supported: racks, offline replicas.

import { decodeMetadataRequest, type MetadataRequest } from '../../protocol/messages/metadata-request.ts'
import { encodeMetadataResponse, type MetadataResponse, type MetadataResponseTopic } from '../../protocol/messages/metadata-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { ZERO_UUID } from '../../protocol/wire/constants.ts'
import { defineHandler } from './api-handler.ts'
import type { BrokerContext } from '../broker-context.ts'
import type { TopicInfo } from '../topics/topic-registry.ts'
import { topicNameProblem } from '../topics/topic-name.ts'
import { authorizedCluster, authorizedOperations, authorizedTopic, Op, ResourceType } from '../security/authorizer.ts'
import { CLUSTER_NAME } from '../security/acl-types.ts'

const NO_OPS = -2147483648
// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (AclOperation codes)
const TOPIC_OPS = [3, 4, 5, 6, 7, 8, 10, 11]
// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE
const CLUSTER_OPS = [5, 7, 8, 9, 10, 11, 12]

function describeTopic(broker: BrokerContext, t: TopicInfo, withOps: boolean, ops: (name: string) => number): MetadataResponseTopic {
  const node = broker.nodeId
  const partitions = []
  for (let p = 0; p < t.partitions; p++) {
    partitions.push({ errorCode: 0, partitionIndex: p, leaderId: node, leaderEpoch: 0, replicaNodes: [node], isrNodes: [node], offlineReplicas: [] })
  }
  return { errorCode: 0, name: t.name, topicId: t.id, isInternal: t.internal, partitions, topicAuthorizedOperations: withOps ? ops(t.name) : NO_OPS }
}

function topicError(errorCode: number, name: string | null, topicId = ZERO_UUID): MetadataResponseTopic {
  return { errorCode, name: name ?? '', topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPS }
}

export default defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  decode: decodeMetadataRequest,
  encode: encodeMetadataResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const version = ctx.header.apiVersion
    const withOps = version >= 8 && req.includeTopicAuthorizedOperations
    const ops = (name: string): number => authorizedOperations(ctx, ResourceType.TOPIC, name, TOPIC_OPS)
    const mayDescribe = (name: string): boolean => authorizedTopic(ctx, Op.DESCRIBE, name)
    const topics: MetadataResponseTopic[] = []
    const wantsAll = req.topics === null || (version === 0 && req.topics.length === 0)
    if (wantsAll) {
      for (const t of broker.topics.all()) if (mayDescribe(t.name)) topics.push(describeTopic(broker, t, withOps, ops))
    } else {
      const allowCreate = broker.options.autoCreateTopics && (version < 4 || req.allowAutoTopicCreation)
      for (const wanted of req.topics!) {
        // By id only from v10, and only when the name is absent: before v10 an empty name is
        // just an illegal name.
        if (wanted.name === null || (version >= 10 && wanted.name === '' && wanted.topicId !== ZERO_UUID)) {
          const byId = broker.topics.byId.get(wanted.topicId)
          if (byId !== undefined && !mayDescribe(byId.name)) topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, wanted.topicId))
          else topics.push(byId ? describeTopic(broker, byId, withOps, ops) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId))
          continue
        }
        const name = wanted.name
        if (!mayDescribe(name)) {
          topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name))
          continue
        }
        let t = broker.topics.get(name)
        if (t === undefined) {
          if (topicNameProblem(name) !== null) {
            topics.push(topicError(ErrorCode.INVALID_TOPIC_EXCEPTION, name))
            continue
          }
          if (!allowCreate || name.startsWith('__')) {
            topics.push(topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name))
            continue
          }
          if (!authorizedCluster(ctx, Op.CREATE) && !authorizedTopic(ctx, Op.CREATE, name)) {
            topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name))
            continue
          }
          const created = await broker.createTopic(name, broker.options.numPartitions, 1, {})
          // A concurrent request may have created it first; that is still a success.
          t = created.topic ?? broker.topics.get(name)
          if (t === undefined) {
            topics.push(topicError(created.error, name))
            continue
          }
        }
        topics.push(describeTopic(broker, t, withOps, ops))
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, host: ctx.listener.advertisedHost, port: ctx.listener.advertisedPort, rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME, CLUSTER_OPS) : NO_OPS,
    }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: (req.topics ?? []).map((t) => topicError(errorCode, t.name, t.topicId)),
      clusterAuthorizedOperations: NO_OPS,
    }
  },
})

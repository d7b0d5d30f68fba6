// v3 topic resources: topics (list, create, get, delete, grow), partitions and their
// replicas, and topic configs (list, get, set, reset, batch alter). Partition objects
// carry Samsa's extension fields log_start_offset, log_end_offset, last_stable_offset
// and size_bytes next to v3's own.

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BrokerContext } from '../../broker-context.ts'
import type { ConfigChange, DescribedConfig } from '../../configs/config-manager.ts'
import type { TopicInfo } from '../../topics/topic-registry.ts'
import { growTopic } from '../../topics/grow-topic.ts'
import type { ApiRoutes, Schema } from './api-routes.ts'
import { RESOURCE_SCHEMA, listSchema, sourceName } from './cluster-routes.ts'
import {
  ApiError, badRequest, bodyObject, kafkaError, links, list, optionalBool, optionalInt, related, requirePartition, requireTopic, requiredInt, requiredString, type Links,
} from './v3-common.ts'

const TOPIC = 2

export function topicData(broker: BrokerContext, l: Links, t: { name: string; partitions: number; internal: boolean }): Record<string, unknown> {
  const id = broker.clusterId
  return {
    kind: 'KafkaTopic',
    metadata: { self: l.url('v3', 'clusters', id, 'topics', t.name), resource_name: l.crn('topic', t.name) },
    cluster_id: id,
    topic_name: t.name,
    is_internal: t.internal,
    replication_factor: 1,
    partitions_count: t.partitions,
    partitions: related(l.url('v3', 'clusters', id, 'topics', t.name, 'partitions')),
    configs: related(l.url('v3', 'clusters', id, 'topics', t.name, 'configs')),
    partition_reassignments: related(l.url('v3', 'clusters', id, 'topics', t.name, 'partitions', '-', 'reassignment')),
  }
}

function partitionData(broker: BrokerContext, l: Links, topic: string, p: number, size: number | undefined): Record<string, unknown> {
  const id = broker.clusterId
  const b = broker.replicas.bounds(topic, p)
  const base = ['v3', 'clusters', id, 'topics', topic, 'partitions', p] as const
  return {
    kind: 'KafkaPartition',
    metadata: { self: l.url(...base), resource_name: l.crn('topic', topic, 'partition', p) },
    cluster_id: id,
    topic_name: topic,
    partition_id: p,
    leader: related(l.url(...base, 'replicas', broker.nodeId)),
    replicas: related(l.url(...base, 'replicas')),
    reassignment: related(l.url(...base, 'reassignment')),
    log_start_offset: b?.logStartOffset ?? null,
    log_end_offset: b?.highWatermark ?? null,
    last_stable_offset: b?.lastStableOffset ?? null,
    size_bytes: size ?? null,
  }
}

function replicaData(broker: BrokerContext, l: Links, topic: string, p: number): Record<string, unknown> {
  const id = broker.clusterId
  return {
    kind: 'KafkaReplica',
    metadata: { self: l.url('v3', 'clusters', id, 'topics', topic, 'partitions', p, 'replicas', broker.nodeId), resource_name: l.crn('topic', topic, 'partition', p, 'replica', broker.nodeId) },
    cluster_id: id, topic_name: topic, partition_id: p, broker_id: broker.nodeId, is_leader: true, is_in_sync: true,
    broker: related(l.url('v3', 'clusters', id, 'brokers', broker.nodeId)),
  }
}

function topicConfigData(broker: BrokerContext, l: Links, topic: string, c: DescribedConfig): Record<string, unknown> {
  const id = broker.clusterId
  return {
    kind: 'KafkaTopicConfig',
    metadata: { self: l.url('v3', 'clusters', id, 'topics', topic, 'configs', c.name), resource_name: l.crn('topic', topic, 'config', c.name) },
    cluster_id: id, topic_name: topic, name: c.name, value: c.isSensitive ? null : c.value,
    is_default: c.isDefault, is_read_only: c.readOnly, is_sensitive: c.isSensitive, source: sourceName(c.configSource),
    synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: sourceName(s.source) })),
  }
}

async function sizesOf(broker: BrokerContext, topic: string): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (const s of await broker.replicas.logSizes()) if (s.topic === topic) out.set(s.partition, s.size)
  return out
}

/** v3 config entries: [{"name", "value"}] (and, in configs:alter, "operation": SET | DELETE). */
function configEntries(raw: unknown, field: string, withOperation: boolean): ConfigChange[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw badRequest(`${field} must be an array of {"name", "value"}.`)
  return raw.map((e, i) => {
    if (e === null || typeof e !== 'object') throw badRequest(`${field}[${i}] must be an object.`)
    const { name, value, operation } = e as Record<string, unknown>
    if (typeof name !== 'string' || name === '') throw badRequest(`${field}[${i}].name must be a non-empty string.`)
    const op = withOperation && operation !== undefined && operation !== null ? String(operation).toUpperCase() : 'SET'
    if (op === 'DELETE') return { name, op: 1, value: null }
    if (op !== 'SET') throw badRequest(`${field}[${i}].operation must be SET or DELETE.`)
    if (value !== null && value !== undefined && typeof value !== 'string') throw badRequest(`${field}[${i}].value must be a string.`)
    return { name, op: 0, value: (value as string | null | undefined) ?? null }
  })
}

const CONFIG_ENTRY: Schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, value: { type: 'string', nullable: true } } }

export function topicRoutes(broker: BrokerContext, routes: ApiRoutes): void {
  const l = (req: FastifyRequest): Links => links(req, broker.clusterId)
  const p = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>
  const topics = '/v3/clusters/{cluster_id}/topics'
  const topic = `${topics}/{topic_name}`

  routes.add('GET', topics, { tag: 'Topic', summary: 'List topics', responses: { 200: { description: 'KafkaTopicList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => list('KafkaTopicList', l(req).url('v3', 'clusters', broker.clusterId, 'topics'),
      [...broker.topics.all()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => topicData(broker, l(req), t))))

  routes.add('POST', topics, {
    tag: 'Topic', summary: 'Create a topic',
    body: {
      type: 'object', required: ['topic_name'],
      properties: {
        topic_name: { type: 'string' },
        partitions_count: { type: 'integer', description: 'Defaults to num.partitions.' },
        replication_factor: { type: 'integer', description: 'Defaults to 1 (one broker).' },
        configs: { type: 'array', items: CONFIG_ENTRY },
        validate_only: { type: 'boolean' },
      },
    },
    responses: { 201: { description: 'KafkaTopic', schema: RESOURCE_SCHEMA }, 400: { description: 'Invalid or existing topic (40002)' } },
  }, async (req, reply) => {
    const body = bodyObject(req.body)
    const name = requiredString(body, 'topic_name')
    const partitions = optionalInt(body, 'partitions_count') ?? broker.options.numPartitions
    const replicationFactor = optionalInt(body, 'replication_factor') ?? 1
    const configs: Record<string, string> = {}
    for (const c of configEntries(body.configs, 'configs', false)) {
      if (c.value === null) throw badRequest(`configs: ${c.name} needs a value.`)
      configs[c.name] = c.value
    }
    const outcome = optionalBool(body, 'validate_only')
      ? broker.checkNewTopic(name, partitions, replicationFactor, configs)
      : await broker.createTopic(name, partitions, replicationFactor, configs)
    if (outcome.error !== 0) throw kafkaError(outcome.error, outcome.message)
    const data = topicData(broker, l(req), { name, partitions, internal: false })
    reply.code(201).header('location', (data.metadata as { self: string }).self)
    return data
  })

  routes.add('GET', topic, { tag: 'Topic', summary: 'Get a topic', responses: { 200: { description: 'KafkaTopic', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown topic (40403)' } } },
    async (req) => topicData(broker, l(req), requireTopic(broker, p(req).topic_name!)))

  routes.add('PATCH', topic, {
    tag: 'Topic', summary: 'Increase a topic\'s partition count',
    body: { type: 'object', required: ['partitions_count'], properties: { partitions_count: { type: 'integer' } } },
    responses: { 200: { description: 'KafkaTopic', schema: RESOURCE_SCHEMA }, 400: { description: 'Not an increase (40002)' }, 404: { description: 'Unknown topic (40403)' } },
  }, async (req) => {
    const name = p(req).topic_name!
    requireTopic(broker, name)
    const count = requiredInt(bodyObject(req.body), 'partitions_count', 1)
    const outcome = await growTopic(broker, { name, count, assignments: null }, false)
    if (outcome.error !== 0) throw kafkaError(outcome.error, outcome.message)
    return topicData(broker, l(req), requireTopic(broker, name))
  })

  routes.add('DELETE', topic, { tag: 'Topic', summary: 'Delete a topic', responses: { 204: { description: 'Deleted' }, 404: { description: 'Unknown topic (40403)' } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      if (t.internal) throw badRequest(`Topic '${t.name}' is internal and cannot be deleted.`)
      const outcome = await broker.deleteTopic(t.name)
      if (outcome.error !== 0) throw kafkaError(outcome.error, outcome.message)
      return undefined
    })

  // ---- partitions ----

  routes.add('GET', `${topic}/partitions`, {
    tag: 'Partition', summary: 'List a topic\'s partitions',
    description: 'Each KafkaPartition also carries the extension fields log_start_offset, log_end_offset (high watermark), last_stable_offset and size_bytes.',
    responses: { 200: { description: 'KafkaPartitionList', schema: listSchema(RESOURCE_SCHEMA) }, 404: { description: 'Unknown topic (40403)' } },
  }, async (req) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const sizes = await sizesOf(broker, t.name)
    const data = Array.from({ length: t.partitions }, (_, i) => partitionData(broker, l(req), t.name, i, sizes.get(i)))
    return list('KafkaPartitionList', l(req).url('v3', 'clusters', broker.clusterId, 'topics', t.name, 'partitions'), data)
  })

  routes.add('GET', `${topic}/partitions/{partition_id}`, {
    tag: 'Partition', summary: 'Get a partition (with offsets and size, an extension)',
    responses: { 200: { description: 'KafkaPartition', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown topic (40403) or partition (40402)' } },
  }, async (req) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const partition = requirePartition(t, p(req).partition_id)
    return partitionData(broker, l(req), t.name, partition, (await sizesOf(broker, t.name)).get(partition))
  })

  routes.add('GET', `${topic}/partitions/{partition_id}/replicas`, { tag: 'Partition', summary: 'List a partition\'s replicas', responses: { 200: { description: 'KafkaReplicaList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      const partition = requirePartition(t, p(req).partition_id)
      return list('KafkaReplicaList', l(req).url('v3', 'clusters', broker.clusterId, 'topics', t.name, 'partitions', partition, 'replicas'), [replicaData(broker, l(req), t.name, partition)])
    })

  routes.add('GET', `${topic}/partitions/{partition_id}/replicas/{broker_id}`, { tag: 'Partition', summary: 'Get a replica', responses: { 200: { description: 'KafkaReplica', schema: RESOURCE_SCHEMA } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      const partition = requirePartition(t, p(req).partition_id)
      if (p(req).broker_id !== String(broker.nodeId)) throw new ApiError(404, 404, `Replica ${p(req).broker_id} not found.`)
      return replicaData(broker, l(req), t.name, partition)
    })

  // ---- configs ----

  const describe = (t: TopicInfo): DescribedConfig[] => {
    const d = broker.configs.describe(TOPIC, t.name, null, true, false)
    if (d.errorCode !== 0) throw kafkaError(d.errorCode, d.errorMessage)
    return d.configs
  }
  const alter = async (name: string, changes: ConfigChange[], validateOnly: boolean): Promise<void> => {
    const outcome = await broker.configs.alter(TOPIC, name, changes, false, validateOnly)
    if (outcome.errorCode !== 0) throw kafkaError(outcome.errorCode, outcome.errorMessage)
  }
  const configNamed = (t: TopicInfo, name: string): DescribedConfig => {
    const c = describe(t).find((x) => x.name === name)
    if (c === undefined) throw new ApiError(404, 404, `Config ${name} not found.`)
    return c
  }

  routes.add('GET', `${topic}/configs`, { tag: 'Topic config', summary: 'List a topic\'s configs', responses: { 200: { description: 'KafkaTopicConfigList', schema: listSchema(RESOURCE_SCHEMA) }, 404: { description: 'Unknown topic (40403)' } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      return list('KafkaTopicConfigList', l(req).url('v3', 'clusters', broker.clusterId, 'topics', t.name, 'configs'), describe(t).map((c) => topicConfigData(broker, l(req), t.name, c)))
    })

  routes.add('POST', `${topic}/configs:alter`, {
    tag: 'Topic config', summary: 'Set or reset several configs at once',
    body: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { ...CONFIG_ENTRY, properties: { ...(CONFIG_ENTRY.properties as Schema), operation: { type: 'string', enum: ['SET', 'DELETE'] } } } }, validate_only: { type: 'boolean' } } },
    responses: { 204: { description: 'Altered' }, 400: { description: 'Invalid config (40002)' }, 404: { description: 'Unknown topic (40403)' } },
  }, async (req) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const body = bodyObject(req.body)
    if (!Array.isArray(body.data)) throw badRequest('data must be an array of {"name", "value", "operation"}.')
    await alter(t.name, configEntries(body.data, 'data', true), optionalBool(body, 'validate_only'))
    return undefined
  })

  routes.add('GET', `${topic}/configs/{name}`, { tag: 'Topic config', summary: 'Get one topic config', responses: { 200: { description: 'KafkaTopicConfig', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown topic or config' } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      return topicConfigData(broker, l(req), t.name, configNamed(t, p(req).name!))
    })

  routes.add('PUT', `${topic}/configs/{name}`, {
    tag: 'Topic config', summary: 'Set one topic config',
    body: { type: 'object', required: ['value'], properties: { value: { type: 'string' } } },
    responses: { 204: { description: 'Set' }, 400: { description: 'Invalid value or unknown config (40002)' }, 404: { description: 'Unknown topic (40403)' } },
  }, async (req, reply: FastifyReply) => {
    const t = requireTopic(broker, p(req).topic_name!)
    const body = bodyObject(req.body)
    if (typeof body.value !== 'string') throw badRequest('value must be a string.')
    await alter(t.name, [{ name: p(req).name!, op: 0, value: body.value }], false)
    reply.code(204)
    return undefined
  })

  routes.add('DELETE', `${topic}/configs/{name}`, { tag: 'Topic config', summary: 'Reset one topic config to its default', responses: { 204: { description: 'Reset' }, 404: { description: 'Unknown topic (40403)' } } },
    async (req) => {
      const t = requireTopic(broker, p(req).topic_name!)
      configNamed(t, p(req).name!)
      await alter(t.name, [{ name: p(req).name!, op: 1, value: null }], false)
      return undefined
    })
}

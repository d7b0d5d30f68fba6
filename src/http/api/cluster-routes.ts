// v3 cluster and broker resources (Confluent's paths and payloads: a one-broker cluster),
// and the overview extension the console's first page polls: counts, per-topic sizes and
// the throughput counters from the broker's metrics registry.

import type { FastifyRequest } from 'fastify'
import type { Counter } from 'prom-client'
import type { BrokerContext } from '../../broker-context.ts'
import type { DescribedConfig } from '../../configs/config-manager.ts'
import type { ApiRoutes, Schema } from './api-routes.ts'
import { ApiError, kafkaError, links, list, related, v3State, type Links } from './v3-common.ts'

export const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG']
export const sourceName = (source: number): string => CONFIG_SOURCES[source] ?? 'UNKNOWN'

export const RESOURCE_SCHEMA: Schema = {
  type: 'object',
  properties: { kind: { type: 'string' }, metadata: { type: 'object', properties: { self: { type: 'string' }, resource_name: { type: 'string' } } } },
  additionalProperties: true,
}
export const listSchema = (item: Schema): Schema => ({
  type: 'object',
  properties: { kind: { type: 'string' }, metadata: { type: 'object', properties: { self: { type: 'string' }, next: { type: 'string', nullable: true } } }, data: { type: 'array', items: item } },
})

export function clusterData(broker: BrokerContext, l: Links): Record<string, unknown> {
  const id = broker.clusterId
  const at = (...s: Array<string | number>) => related(l.url('v3', 'clusters', id, ...s))
  return {
    kind: 'KafkaCluster',
    metadata: { self: l.url('v3', 'clusters', id), resource_name: l.crn() },
    cluster_id: id,
    controller: at('brokers', broker.nodeId),
    acls: at('acls'),
    brokers: at('brokers'),
    broker_configs: at('broker-configs'),
    consumer_groups: at('consumer-groups'),
    topics: at('topics'),
    partition_reassignments: at('topics', '-', 'partitions', '-', 'reassignment'),
  }
}

function brokerData(broker: BrokerContext, l: Links): Record<string, unknown> {
  const id = broker.clusterId
  return {
    kind: 'KafkaBroker',
    metadata: { self: l.url('v3', 'clusters', id, 'brokers', broker.nodeId), resource_name: l.crn('broker', broker.nodeId) },
    cluster_id: id,
    broker_id: broker.nodeId,
    host: broker.advertisedHost,
    port: broker.advertisedPort,
    rack: null,
    configs: related(l.url('v3', 'clusters', id, 'brokers', broker.nodeId, 'configs')),
    partition_replicas: related(l.url('v3', 'clusters', id, 'brokers', broker.nodeId, 'partition-replicas')),
  }
}

function brokerConfigData(broker: BrokerContext, l: Links, c: DescribedConfig, scope: 'broker' | 'cluster'): Record<string, unknown> {
  const id = broker.clusterId
  const base = {
    cluster_id: id, name: c.name, value: c.isSensitive ? null : c.value, is_default: c.isDefault, is_read_only: c.readOnly, is_sensitive: c.isSensitive,
    source: sourceName(c.configSource), synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: sourceName(s.source) })),
  }
  if (scope === 'cluster') {
    return { kind: 'KafkaClusterConfig', metadata: { self: l.url('v3', 'clusters', id, 'broker-configs', c.name), resource_name: l.crn('broker-config', c.name) }, ...base, config_type: 'BROKER' }
  }
  return { kind: 'KafkaBrokerConfig', metadata: { self: l.url('v3', 'clusters', id, 'brokers', broker.nodeId, 'configs', c.name), resource_name: l.crn('broker', broker.nodeId, 'config', c.name) }, ...base, broker_id: broker.nodeId }
}

function requireBroker(broker: BrokerContext, raw: string): void {
  if (raw !== String(broker.nodeId)) throw new ApiError(404, 404, `Broker ${raw} not found.`)
}

/** Sum of a counter's values per topic label, from the metrics registry. */
async function counterByTopic(broker: BrokerContext, name: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const metric = broker.metrics.registry?.getSingleMetric(name) as Counter<string> | undefined
  if (metric === undefined) return out
  for (const v of (await metric.get()).values) {
    const topic = String(v.labels.topic ?? '')
    out.set(topic, (out.get(topic) ?? 0) + v.value)
  }
  return out
}

export function clusterRoutes(broker: BrokerContext, routes: ApiRoutes): void {
  const l = (req: FastifyRequest): Links => links(req, broker.clusterId)
  const cluster = '/v3/clusters/{cluster_id}'

  routes.add('GET', '/v3/clusters', { tag: 'Cluster', summary: 'List clusters (this broker\'s one cluster)', responses: { 200: { description: 'KafkaClusterList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => list('KafkaClusterList', l(req).url('v3', 'clusters'), [clusterData(broker, l(req))]))

  routes.add('GET', cluster, { tag: 'Cluster', summary: 'Get the cluster', responses: { 200: { description: 'KafkaCluster', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown cluster id' } } },
    async (req) => clusterData(broker, l(req)))

  routes.add('GET', `${cluster}/brokers`, { tag: 'Cluster', summary: 'List brokers', responses: { 200: { description: 'KafkaBrokerList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => list('KafkaBrokerList', l(req).url('v3', 'clusters', broker.clusterId, 'brokers'), [brokerData(broker, l(req))]))

  routes.add('GET', `${cluster}/brokers/{broker_id}`, { tag: 'Cluster', summary: 'Get a broker', responses: { 200: { description: 'KafkaBroker', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown broker' } } },
    async (req) => {
      requireBroker(broker, (req.params as Record<string, string>).broker_id!)
      return brokerData(broker, l(req))
    })

  routes.add('GET', `${cluster}/brokers/{broker_id}/configs`, { tag: 'Cluster', summary: 'List a broker\'s configs', responses: { 200: { description: 'KafkaBrokerConfigList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      requireBroker(broker, (req.params as Record<string, string>).broker_id!)
      const described = broker.configs.describe(4, String(broker.nodeId), null, true, false)
      if (described.errorCode !== 0) throw kafkaError(described.errorCode, described.errorMessage)
      return list('KafkaBrokerConfigList', l(req).url('v3', 'clusters', broker.clusterId, 'brokers', broker.nodeId, 'configs'), described.configs.map((c) => brokerConfigData(broker, l(req), c, 'broker')))
    })

  routes.add('GET', `${cluster}/broker-configs`, { tag: 'Cluster', summary: 'List the cluster-wide dynamic broker configs', responses: { 200: { description: 'KafkaClusterConfigList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      const described = broker.configs.describe(4, '', null, true, false)
      if (described.errorCode !== 0) throw kafkaError(described.errorCode, described.errorMessage)
      return list('KafkaClusterConfigList', l(req).url('v3', 'clusters', broker.clusterId, 'broker-configs'), described.configs.map((c) => brokerConfigData(broker, l(req), c, 'cluster')))
    })

  routes.add('GET', `${cluster}/overview`, {
    tag: 'Cluster', extension: true,
    summary: 'Counts, sizes and throughput counters at a glance (for the console)',
    description: 'Cumulative counters (bytes_in, messages_in, bytes_out per topic, from the broker\'s Prometheus registry) and time_ms: a client polling it derives rates from two answers. Topic messages is the sum over partitions of log end offset minus log start offset.',
    responses: { 200: { description: 'SamsaClusterOverview', schema: { type: 'object', additionalProperties: true } } },
  }, async () => {
    const [bytesIn, messagesIn, bytesOut] = await Promise.all([
      counterByTopic(broker, 'kafka_server_brokertopicmetrics_bytesin_total'),
      counterByTopic(broker, 'kafka_server_brokertopicmetrics_messagesin_total'),
      counterByTopic(broker, 'kafka_server_brokertopicmetrics_bytesout_total'),
    ])
    const sizes = new Map<string, number>()
    for (const s of await broker.replicas.logSizes()) sizes.set(s.topic, (sizes.get(s.topic) ?? 0) + s.size)
    const topics = [...broker.topics.all()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => {
      let messages = 0
      for (let p = 0; p < t.partitions; p++) {
        const b = broker.replicas.bounds(t.name, p)
        if (b !== undefined) messages += b.highWatermark - b.logStartOffset
      }
      return {
        topic_name: t.name, is_internal: t.internal, partitions_count: t.partitions, messages, size_bytes: sizes.get(t.name) ?? 0,
        bytes_in: bytesIn.get(t.name) ?? 0, messages_in: messagesIn.get(t.name) ?? 0, bytes_out: bytesOut.get(t.name) ?? 0,
      }
    })
    const groups = broker.groups.isLoading ? [] : broker.groups.list([]).groups.map((g) => {
      const lags = broker.groups.lag(g.groupId)
      return { consumer_group_id: g.groupId, state: v3State(g.state), members: broker.groups.describe(g.groupId).members.length, total_lag: lags.reduce((n, x) => n + Math.max(0, x.lag), 0) }
    })
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
    return {
      kind: 'SamsaClusterOverview',
      cluster_id: broker.clusterId,
      broker: { broker_id: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort },
      time_ms: Date.now(),
      connections: broker.serverStats().connections,
      topics_count: topics.filter((t) => !t.is_internal).length,
      partitions_count: topics.filter((t) => !t.is_internal).reduce((n, t) => n + t.partitions_count, 0),
      consumer_groups_count: groups.length,
      totals: { bytes_in: sum(bytesIn), messages_in: sum(messagesIn), bytes_out: sum(bytesOut) },
      topics,
      consumer_groups: groups,
    }
  })
}

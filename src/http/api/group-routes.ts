// v3 consumer group resources (groups, consumers and their assignments, lags per
// partition, lag summary) read through the group coordinator's public methods only, and
// the offset-reset extension, which follows kafka-consumer-groups.sh --reset-offsets:
// allowed only while the group has no members (Empty, or not there yet), offsets clamped
// to the partition's log start and end, and written as an admin commit (generation -1).

import type { FastifyRequest } from 'fastify'
import { ErrorCode } from '../../../protocol/error-codes.ts'
import type { BrokerContext } from '../../broker-context.ts'
import type { GroupSummary, PartitionLag } from '../../groups/group-coordinator.ts'
import type { ApiRoutes, Schema } from './api-routes.ts'
import { RESOURCE_SCHEMA, listSchema } from './cluster-routes.ts'
import {
  ApiError, ILLEGAL_STATE, badRequest, bodyObject, kafkaError, links, list, optionalBool, optionalInt, optionalString, parseTime, related, requirePartition, requireTopic, v3State, type Links,
} from './v3-common.ts'

/** The topic-partitions of a ConsumerProtocol assignment (every version starts the same); null when unreadable. */
export function decodeAssignment(buf: Buffer): Array<{ topic: string; partitions: number[] }> | null {
  if (buf.length === 0) return []
  try {
    let p = 2
    const count = buf.readInt32BE(p)
    p += 4
    const out: Array<{ topic: string; partitions: number[] }> = []
    for (let i = 0; i < count; i++) {
      const len = buf.readInt16BE(p)
      p += 2
      if (len < 0 || p + len > buf.length) return null
      const topic = buf.toString('utf8', p, p + len)
      p += len
      const n = buf.readInt32BE(p)
      p += 4
      const partitions: number[] = []
      for (let j = 0; j < n; j++, p += 4) partitions.push(buf.readInt32BE(p))
      out.push({ topic, partitions })
    }
    return out
  } catch {
    return null
  }
}

type Member = GroupSummary['members'][number]

export function groupRoutes(broker: BrokerContext, routes: ApiRoutes): void {
  const l = (req: FastifyRequest): Links => links(req, broker.clusterId)
  const p = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>
  const groups = '/v3/clusters/{cluster_id}/consumer-groups'
  const group = `${groups}/{consumer_group_id}`
  const gUrl = (lk: Links, g: string, ...rest: Array<string | number>): string => lk.url('v3', 'clusters', broker.clusterId, 'consumer-groups', g, ...rest)

  const loaded = (): void => {
    if (broker.groups.isLoading) throw kafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'The coordinator is loading and hence can\'t process requests.')
  }
  const describe = (groupId: string): GroupSummary => {
    loaded()
    const d = broker.groups.describe(groupId)
    if (d.errorCode !== ErrorCode.NONE) throw kafkaError(d.errorCode, null)
    if (d.state === 'Dead') throw new ApiError(404, 404, `Consumer group '${groupId}' not found.`)
    return d
  }
  const assignmentsOf = (m: Member): Array<{ topic: string; partitions: number[] }> => decodeAssignment(m.assignment) ?? []
  const ownerOf = (d: GroupSummary): Map<string, Member> => {
    const out = new Map<string, Member>()
    if (d.protocolType !== 'consumer') return out
    for (const m of d.members) for (const a of assignmentsOf(m)) for (const part of a.partitions) out.set(`${a.topic}\0${part}`, m)
    return out
  }

  const groupData = (lk: Links, d: GroupSummary): Record<string, unknown> => ({
    kind: 'KafkaConsumerGroup',
    metadata: { self: gUrl(lk, d.groupId), resource_name: lk.crn('consumer-group', d.groupId) },
    cluster_id: broker.clusterId,
    consumer_group_id: d.groupId,
    is_simple: d.protocolType === '',
    partition_assignor: d.protocol,
    state: v3State(d.state),
    type: 'CLASSIC',
    is_mixed_consumer_group: false,
    coordinator: related(lk.url('v3', 'clusters', broker.clusterId, 'brokers', broker.nodeId)),
    consumers: related(gUrl(lk, d.groupId, 'consumers')),
    lag_summary: related(gUrl(lk, d.groupId, 'lag-summary')),
  })
  const consumerData = (lk: Links, d: GroupSummary, m: Member): Record<string, unknown> => ({
    kind: 'KafkaConsumer',
    metadata: { self: gUrl(lk, d.groupId, 'consumers', m.memberId), resource_name: lk.crn('consumer-group', d.groupId, 'consumer', m.memberId) },
    cluster_id: broker.clusterId,
    consumer_group_id: d.groupId,
    consumer_id: m.memberId,
    instance_id: m.groupInstanceId,
    client_id: m.clientId,
    client_host: m.clientHost,
    assignments: related(gUrl(lk, d.groupId, 'consumers', m.memberId, 'assignments')),
  })
  const lagData = (lk: Links, d: GroupSummary, x: PartitionLag, owner: Member | undefined): Record<string, unknown> => ({
    kind: 'KafkaConsumerLag',
    metadata: { self: gUrl(lk, d.groupId, 'lags', x.topic, 'partitions', x.partition), resource_name: lk.crn('consumer-group', d.groupId, 'lag', `${x.topic}-${x.partition}`) },
    cluster_id: broker.clusterId,
    consumer_group_id: d.groupId,
    topic_name: x.topic,
    partition_id: x.partition,
    current_offset: x.committed,
    log_end_offset: x.logEnd,
    lag: x.lag,
    consumer_id: owner?.memberId ?? '',
    instance_id: owner?.groupInstanceId ?? null,
    client_id: owner?.clientId ?? '',
  })
  const member = (d: GroupSummary, id: string): Member => {
    const m = d.members.find((x) => x.memberId === id)
    if (m === undefined) throw new ApiError(404, 404, `Consumer '${id}' not found in group '${d.groupId}'.`)
    return m
  }
  const sortedLags = (groupId: string): PartitionLag[] => broker.groups.lag(groupId).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)

  routes.add('GET', groups, { tag: 'Consumer group', summary: 'List consumer groups', responses: { 200: { description: 'KafkaConsumerGroupList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      loaded()
      const ids = broker.groups.list([]).groups.map((g) => g.groupId).sort()
      const data = ids.map((id) => broker.groups.describe(id)).filter((d) => d.errorCode === ErrorCode.NONE && d.state !== 'Dead').map((d) => groupData(l(req), d))
      return list('KafkaConsumerGroupList', l(req).url('v3', 'clusters', broker.clusterId, 'consumer-groups'), data)
    })

  routes.add('GET', group, { tag: 'Consumer group', summary: 'Get a consumer group', responses: { 200: { description: 'KafkaConsumerGroup', schema: RESOURCE_SCHEMA }, 404: { description: 'Unknown group' } } },
    async (req) => groupData(l(req), describe(p(req).consumer_group_id!)))

  routes.add('GET', `${group}/consumers`, { tag: 'Consumer group', summary: 'List a group\'s consumers (members)', description: 'Each KafkaConsumer also carries client_host (an extension).', responses: { 200: { description: 'KafkaConsumerList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      const d = describe(p(req).consumer_group_id!)
      return list('KafkaConsumerList', gUrl(l(req), d.groupId, 'consumers'), d.members.map((m) => consumerData(l(req), d, m)))
    })

  routes.add('GET', `${group}/consumers/{consumer_id}`, { tag: 'Consumer group', summary: 'Get a consumer', responses: { 200: { description: 'KafkaConsumer', schema: RESOURCE_SCHEMA } } },
    async (req) => {
      const d = describe(p(req).consumer_group_id!)
      return consumerData(l(req), d, member(d, p(req).consumer_id!))
    })

  routes.add('GET', `${group}/consumers/{consumer_id}/assignments`, { tag: 'Consumer group', summary: 'List a consumer\'s assigned partitions', responses: { 200: { description: 'KafkaConsumerAssignmentList', schema: listSchema(RESOURCE_SCHEMA) } } },
    async (req) => {
      const d = describe(p(req).consumer_group_id!)
      const m = member(d, p(req).consumer_id!)
      const lk = l(req)
      const data = assignmentsOf(m).flatMap((a) => a.partitions.map((part) => ({
        kind: 'KafkaConsumerAssignment',
        metadata: { self: gUrl(lk, d.groupId, 'consumers', m.memberId, 'assignments', a.topic, 'partitions', part), resource_name: lk.crn('consumer-group', d.groupId, 'consumer', m.memberId, 'assignment', `${a.topic}-${part}`) },
        cluster_id: broker.clusterId, consumer_group_id: d.groupId, consumer_id: m.memberId, topic_name: a.topic, partition_id: part,
        partition: related(lk.url('v3', 'clusters', broker.clusterId, 'topics', a.topic, 'partitions', part)),
        lag: related(gUrl(lk, d.groupId, 'lags', a.topic, 'partitions', part)),
      })))
      return list('KafkaConsumerAssignmentList', gUrl(lk, d.groupId, 'consumers', m.memberId, 'assignments'), data)
    })

  routes.add('GET', `${group}/lags`, {
    tag: 'Consumer group', summary: 'Lag of every partition the group committed',
    responses: { 200: { description: 'KafkaConsumerLagList', schema: listSchema(RESOURCE_SCHEMA) }, 404: { description: 'Unknown group' } },
  }, async (req) => {
    const d = describe(p(req).consumer_group_id!)
    const owners = ownerOf(d)
    return list('KafkaConsumerLagList', gUrl(l(req), d.groupId, 'lags'), sortedLags(d.groupId).map((x) => lagData(l(req), d, x, owners.get(`${x.topic}\0${x.partition}`))))
  })

  routes.add('GET', `${group}/lags/{topic_name}/partitions/{partition_id}`, { tag: 'Consumer group', summary: 'Lag of one partition', responses: { 200: { description: 'KafkaConsumerLag', schema: RESOURCE_SCHEMA }, 404: { description: 'No committed offset' } } },
    async (req) => {
      const d = describe(p(req).consumer_group_id!)
      const t = requireTopic(broker, p(req).topic_name!)
      const partition = requirePartition(t, p(req).partition_id)
      const x = broker.groups.lag(d.groupId).find((y) => y.topic === t.name && y.partition === partition)
      if (x === undefined) throw new ApiError(404, 404, `Consumer group '${d.groupId}' has no committed offset for ${t.name}-${partition}.`)
      return lagData(l(req), d, x, ownerOf(d).get(`${x.topic}\0${x.partition}`))
    })

  routes.add('GET', `${group}/lag-summary`, { tag: 'Consumer group', summary: 'Maximum and total lag of a group', responses: { 200: { description: 'KafkaConsumerGroupLagSummary', schema: RESOURCE_SCHEMA } } },
    async (req) => {
      const d = describe(p(req).consumer_group_id!)
      const lk = l(req)
      const lags = sortedLags(d.groupId)
      let max: PartitionLag | undefined
      for (const x of lags) if (max === undefined || x.lag > max.lag) max = x
      const owner = max === undefined ? undefined : ownerOf(d).get(`${max.topic}\0${max.partition}`)
      return {
        kind: 'KafkaConsumerGroupLagSummary',
        metadata: { self: gUrl(lk, d.groupId, 'lag-summary'), resource_name: `${lk.crn('consumer-group', d.groupId)}/lag-summary` },
        cluster_id: broker.clusterId,
        consumer_group_id: d.groupId,
        max_lag_consumer_id: owner?.memberId ?? '',
        max_lag_instance_id: owner?.groupInstanceId ?? null,
        max_lag_client_id: owner?.clientId ?? '',
        max_lag_topic_name: max?.topic ?? '',
        max_lag_partition_id: max?.partition ?? 0,
        max_lag: max === undefined ? 0 : Math.max(0, max.lag),
        total_lag: lags.reduce((n, x) => n + Math.max(0, x.lag), 0),
        max_lag_consumer: related(owner === undefined ? '' : gUrl(lk, d.groupId, 'consumers', owner.memberId)),
        max_lag_partition: related(max === undefined ? '' : lk.url('v3', 'clusters', broker.clusterId, 'topics', max.topic, 'partitions', max.partition)),
      }
    })

  const RESET_BODY: Schema = {
    type: 'object', required: ['strategy'],
    properties: {
      strategy: { type: 'string', enum: ['earliest', 'latest', 'offset', 'timestamp', 'shift_by'], description: 'As kafka-consumer-groups.sh --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by.' },
      topic_name: { type: 'string', description: 'Without it: every topic the group has committed offsets for (--all-topics).' },
      partition_ids: { type: 'array', items: { type: 'integer' }, description: 'Without it: every partition of topic_name.' },
      offset: { type: 'integer', description: 'strategy offset' },
      timestamp: { oneOf: [{ type: 'integer' }, { type: 'string', format: 'date-time' }], description: 'strategy timestamp: first offset with a timestamp at or after it (else the log end)' },
      shift_by: { type: 'integer', description: 'strategy shift_by: added to the committed offset' },
      dry_run: { type: 'boolean', description: 'Compute the new offsets without committing them' },
    },
  }

  routes.add('POST', `${group}/offsets:reset`, {
    tag: 'Consumer group', extension: true,
    summary: 'Reset a group\'s committed offsets (kafka-consumer-groups.sh --reset-offsets)',
    description: 'Allowed only while the group has no members (state EMPTY, or a group that does not exist yet), as Kafka requires; otherwise 409 (40903). New offsets are clamped to [log start, log end].',
    body: RESET_BODY,
    responses: {
      200: { description: 'The offsets set (or that would be set, with dry_run)', schema: { type: 'object', additionalProperties: true } },
      400: { description: 'Invalid request (40002)' }, 404: { description: 'Unknown topic (40403) or partition (40402)' }, 409: { description: 'The group has members (40903)' },
    },
  }, async (req) => {
    loaded()
    const groupId = p(req).consumer_group_id!
    const body = bodyObject(req.body)
    const strategy = optionalString(body, 'strategy')
    if (strategy === undefined || !['earliest', 'latest', 'offset', 'timestamp', 'shift_by'].includes(strategy)) throw badRequest('strategy must be one of earliest, latest, offset, timestamp, shift_by.')
    const dryRun = optionalBool(body, 'dry_run')
    const state = broker.groups.describe(groupId).state
    const inactive = (s: string): boolean => s === 'Empty' || s === 'Dead'
    if (!inactive(state)) throw new ApiError(409, ILLEGAL_STATE, `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${state}.`)

    const committed = new Map<string, number>()
    const fetched = broker.groups.fetchOffsets(groupId, null)
    if (fetched.errorCode !== ErrorCode.NONE) throw kafkaError(fetched.errorCode, null)
    for (const t of fetched.topics) for (const part of t.partitions) if (part.offset >= 0) committed.set(`${t.name}\0${part.partition}`, part.offset)

    const targets: Array<{ topic: string; partition: number }> = []
    const topicName = optionalString(body, 'topic_name')
    if (topicName !== undefined) {
      const t = requireTopic(broker, topicName)
      const ids = body.partition_ids
      if (ids === undefined || ids === null) for (let i = 0; i < t.partitions; i++) targets.push({ topic: t.name, partition: i })
      else if (!Array.isArray(ids) || ids.length === 0) throw badRequest('partition_ids must be a non-empty array of partition ids.')
      else for (const id of new Set(ids)) targets.push({ topic: t.name, partition: requirePartition(t, id) })
    } else {
      if (body.partition_ids !== undefined) throw badRequest('partition_ids needs topic_name.')
      for (const key of committed.keys()) {
        const [topic, part] = key.split('\0') as [string, string]
        if (broker.topics.get(topic) !== undefined) targets.push({ topic, partition: Number(part) })
      }
      if (targets.length === 0) throw badRequest(`Consumer group '${groupId}' has no committed offsets; name topic_name.`)
    }
    targets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)

    const offset = strategy === 'offset' ? optionalInt(body, 'offset', 0) : undefined
    if (strategy === 'offset' && offset === undefined) throw badRequest('offset is required for strategy offset.')
    const shift = strategy === 'shift_by' ? optionalInt(body, 'shift_by') : undefined
    if (strategy === 'shift_by' && shift === undefined) throw badRequest('shift_by is required for strategy shift_by.')
    const timestamp = strategy === 'timestamp' ? parseTime(body.timestamp, 'timestamp') : undefined

    const plan: Array<{ topic: string; partition: number; previous: number | null; next: number }> = []
    for (const tp of targets) {
      const b = broker.replicas.bounds(tp.topic, tp.partition)
      if (b === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
      const previous = committed.get(`${tp.topic}\0${tp.partition}`) ?? null
      let next: number
      switch (strategy) {
        case 'earliest':
          next = b.logStartOffset
          break
        case 'latest':
          next = b.highWatermark
          break
        case 'offset':
          next = offset!
          break
        case 'shift_by':
          if (previous === null) throw badRequest(`Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset.`)
          next = previous + shift!
          break
        default: {
          const found = await broker.replicas.listOffsets(tp.topic, tp.partition, timestamp!)
          if (!found.ok) throw kafkaError(found.error, found.message)
          next = found.offset < 0 ? found.highWatermark : found.offset
        }
      }
      // kafka-consumer-groups.sh moves an offset outside the log to its nearest end.
      next = Math.min(Math.max(next, b.logStartOffset), b.highWatermark)
      plan.push({ ...tp, previous, next })
    }

    if (!dryRun) {
      const codes = await broker.groups.commitOffsets({
        groupId, generationId: -1, memberId: '', groupInstanceId: null,
        offsets: plan.map((x) => ({ topic: x.topic, partition: x.partition, offset: x.next, leaderEpoch: -1, metadata: null })),
      })
      const failed = codes.find((c) => c !== ErrorCode.NONE)
      if (failed !== undefined) {
        // A member joined between the check and the commit.
        if (failed === ErrorCode.UNKNOWN_MEMBER_ID || failed === ErrorCode.ILLEGAL_GENERATION || failed === ErrorCode.REBALANCE_IN_PROGRESS) {
          throw new ApiError(409, ILLEGAL_STATE, `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${broker.groups.describe(groupId).state}.`)
        }
        throw kafkaError(failed, null)
      }
    }
    return {
      kind: 'SamsaConsumerGroupOffsetReset',
      cluster_id: broker.clusterId,
      consumer_group_id: groupId,
      strategy,
      dry_run: dryRun,
      data: plan.map((x) => ({ topic_name: x.topic, partition_id: x.partition, previous_offset: x.previous, new_offset: x.next })),
    }
  })
}

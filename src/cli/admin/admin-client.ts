// A small Kafka admin client for the CLI: the bootstrap connection, Metadata, and each
// request routed where Kafka wants it (topic changes to the controller, group requests
// to the group's coordinator, ListOffsets to partition leaders, broker configs to that
// broker), with short bounded retries for the transient errors Kafka's AdminClient
// retries too (a coordinator still loading, a leader moving).

import { ErrorCode } from '../../../protocol/error-codes.ts'
import {
  CreatePartitionsApi, CreateTopicsApi, DeleteGroupsApi, DeleteTopicsApi, DescribeConfigsApi, DescribeGroupsApi,
  AlterUserScramCredentialsApi, DescribeUserScramCredentialsApi, FindCoordinatorApi, IncrementalAlterConfigsApi, ListGroupsApi, ListOffsetsApi, MetadataApi, OffsetCommitApi, OffsetFetchApi,
} from './apis.ts'
import type { DescribeConfigsResourceResult } from '../../../protocol/messages/describe-configs-response.ts'
import type { DescribedGroup } from '../../../protocol/messages/describe-groups-response.ts'
import { AdminError, KafkaError, check, inContext } from './errors.ts'
import { KafkaConnection, capitalize, formatAddress, type BrokerAddress } from './kafka-connection.ts'
import { PLAINTEXT_SECURITY, type ClientSecurity } from './client-config.ts'

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export interface ClusterNode extends BrokerAddress {
  nodeId: number
}

export interface PartitionInfo {
  partition: number
  errorCode: number
  leader: number
  replicas: number[]
  isr: number[]
}

export interface TopicInfo {
  name: string
  topicId: string
  isInternal: boolean
  errorCode: number
  partitions: PartitionInfo[]
}

export interface ClusterMetadata {
  clusterId: string | null
  controllerId: number
  brokers: ClusterNode[]
  /** Topics that exist (errors other than "unknown" kept, with their code). */
  topics: TopicInfo[]
}

export interface TopicPartition {
  topic: string
  partition: number
}

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export interface ConfigAlteration {
  name: string
  op: number
  value: string | null
}

/** Offsets by `topic\0partition` key; see tpKey. */
export type OffsetMap = Map<string, number>

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`
export const tpFromKey = (key: string): TopicPartition => {
  const i = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) }
}

const RETRIABLE_GROUP_ERRORS = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR])
const RETRIABLE_LEADER_ERRORS = new Set<number>([ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.REQUEST_TIMED_OUT])

class RetriableError extends KafkaError {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface AdminClientOptions {
  timeoutMs: number
  clientId?: string
  /** TLS and SASL settings from --command-config, used for every broker connection. */
  security?: ClientSecurity
}

export class AdminClient {
  readonly bootstrap: KafkaConnection
  private readonly timeoutMs: number
  private readonly clientId: string
  private readonly security: ClientSecurity
  private readonly connections = new Map<string, Promise<KafkaConnection>>()
  private readonly nodes = new Map<number, ClusterNode>()
  private controllerId = -1

  private constructor (bootstrap: KafkaConnection, options: Required<AdminClientOptions>) {
    this.bootstrap = bootstrap
    this.timeoutMs = options.timeoutMs
    this.clientId = options.clientId
    this.security = options.security
    this.connections.set(formatAddress(bootstrap.address), Promise.resolve(bootstrap))
  }

  /** Connects to the first bootstrap server that answers. */
  static async connect (servers: readonly BrokerAddress[], options: AdminClientOptions): Promise<AdminClient> {
    const opts = { clientId: options.security?.clientId ?? 'samsa-admin', ...options, security: options.security ?? PLAINTEXT_SECURITY }
    const failures: string[] = []
    for (const address of servers) {
      try {
        const conn = await KafkaConnection.connect(address, { timeoutMs: opts.timeoutMs, clientId: opts.clientId, role: `bootstrap server ${formatAddress(address)}`, security: opts.security })
        return new AdminClient(conn, opts)
      } catch (e) {
        if (servers.length === 1) throw e
        failures.push((e as Error).message)
      }
    }
    throw new AdminError(`None of the bootstrap servers answered: ${failures.join('; ')}`)
  }

  close (): void {
    for (const p of this.connections.values()) p.then((c) => c.close(), () => {})
  }

  /** The connection to one broker, opened on first use from the addresses Metadata gave. */
  async connectionTo (nodeId: number): Promise<KafkaConnection> {
    if (!this.nodes.has(nodeId)) await this.metadata([])
    const node = this.nodes.get(nodeId)
    if (node === undefined) throw new AdminError(`Broker ${nodeId} is not in the cluster metadata from ${this.bootstrap.role}`)
    const key = formatAddress(node)
    let conn = this.connections.get(key)
    if (conn === undefined) {
      conn = KafkaConnection.connect(node, { timeoutMs: this.timeoutMs, clientId: this.clientId, role: `broker ${nodeId} at ${key}`, security: this.security })
      this.connections.set(key, conn)
      conn.catch(() => this.connections.delete(key))
    }
    return await conn
  }

  // ---- Metadata ----

  /** `topics` null: all topics; []: none (brokers and controller only). */
  async metadata (topics: readonly string[] | null): Promise<ClusterMetadata> {
    const { response: res } = await this.bootstrap.request(MetadataApi, (v) => ({
      ...MetadataApi.defaultRequest(),
      // v0 has no null: an empty list means every topic there.
      topics: topics === null ? (v >= 1 ? null : []) : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
    }), topics !== null && topics.length === 0 ? { min: 1 } : {})
    this.nodes.clear()
    for (const b of res.brokers) this.nodes.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port })
    this.controllerId = res.controllerId
    return {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: [...this.nodes.values()].sort((a, b) => a.nodeId - b.nodeId),
      topics: res.topics
        .filter((t) => t.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && t.errorCode !== ErrorCode.INVALID_TOPIC_EXCEPTION)
        .map((t) => ({
          name: t.name ?? '',
          topicId: t.topicId,
          isInternal: t.isInternal,
          errorCode: t.errorCode,
          partitions: t.partitions
            .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes }))
            .sort((a, b) => a.partition - b.partition),
        })),
    }
  }

  /** Where topic changes go: the controller Metadata names, else the bootstrap server. */
  private async controller (): Promise<KafkaConnection> {
    if (this.nodes.size === 0) await this.metadata([])
    return this.nodes.has(this.controllerId) ? await this.connectionTo(this.controllerId) : this.bootstrap
  }

  /** Runs `fn` against the controller, once more after NOT_CONTROLLER. */
  private async onController<T> (fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.controller())
    } catch (e) {
      if (!(e instanceof KafkaError) || e.code !== ErrorCode.NOT_CONTROLLER) throw e
      await this.metadata([])
      return await fn(await this.controller())
    }
  }

  // ---- Topics ----

  async createTopic (spec: { name: string, partitions: number, replicationFactor: number, configs: ReadonlyArray<[string, string]>, assignments?: number[][] }): Promise<void> {
    const assignments = spec.assignments ?? []
    await this.onController(async (c) => {
      const needsDefaults = assignments.length === 0 && (spec.partitions === -1 || spec.replicationFactor === -1)
      const { response } = await c.request(CreateTopicsApi, () => ({
        topics: [{
          name: spec.name,
          numPartitions: assignments.length > 0 ? -1 : spec.partitions,
          replicationFactor: assignments.length > 0 ? -1 : spec.replicationFactor,
          assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
          configs: spec.configs.map(([name, value]) => ({ name, value })),
        }],
        timeoutMs: this.timeoutMs,
        validateOnly: false,
      // Broker-side defaults for partitions and replication factor came with v4 (KIP-464).
      }), needsDefaults ? { min: 4 } : {})
      for (const t of response.topics) check(t.errorCode, t.errorMessage)
    })
  }

  async deleteTopics (names: readonly string[]): Promise<void> {
    await this.onController(async (c) => {
      const { response } = await c.request(DeleteTopicsApi, () => ({
        topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
        topicNames: [...names],
        timeoutMs: this.timeoutMs,
      }))
      for (const t of response.responses) check(t.errorCode, t.errorMessage)
    })
  }

  async createPartitions (name: string, count: number): Promise<void> {
    await this.onController(async (c) => {
      const { response } = await c.request(CreatePartitionsApi, () => ({
        topics: [{ name, count, assignments: null }],
        timeoutMs: this.timeoutMs,
        validateOnly: false,
      }))
      for (const t of response.results) check(t.errorCode, t.errorMessage)
    })
  }

  // ---- Configs ----

  /** Broker and broker-logger resources are answered by that broker itself. */
  private async configConnection (resourceType: number, resourceName: string): Promise<KafkaConnection> {
    if (resourceType !== ResourceType.TOPIC && /^\d+$/.test(resourceName)) return await this.connectionTo(Number(resourceName))
    return this.bootstrap
  }

  async describeConfigs (resourceType: number, resourceName: string, includeSynonyms: boolean): Promise<DescribeConfigsResourceResult[]> {
    const c = await this.configConnection(resourceType, resourceName)
    const { version, response } = await c.request(DescribeConfigsApi, () => ({
      resources: [{ resourceType, resourceName, configurationKeys: null }],
      includeSynonyms,
      includeDocumentation: false,
    }))
    const r = response.results[0]
    if (r === undefined) throw new AdminError(`${capitalize(c.role)} returned no result for ${resourceName}`)
    check(r.errorCode, r.errorMessage)
    // v0 has is_default instead of a source: map it onto the sources v1+ report.
    if (version === 0) {
      for (const e of r.configs) e.configSource = e.isDefault ? 5 : resourceType === ResourceType.TOPIC ? 1 : 4
    }
    return r.configs
  }

  async incrementalAlterConfigs (resourceType: number, resourceName: string, alterations: readonly ConfigAlteration[]): Promise<void> {
    const c = await this.configConnection(resourceType, resourceName)
    const { response } = await c.request(IncrementalAlterConfigsApi, () => ({
      resources: [{ resourceType, resourceName, configs: alterations.map((a) => ({ name: a.name, configOperation: a.op, value: a.value })) }],
      validateOnly: false,
    }))
    for (const r of response.responses) check(r.errorCode, r.errorMessage)
  }

  // ---- Groups ----

  private async retrying<T> (fn: () => Promise<T>, retriable: ReadonlySet<number>, refresh?: () => Promise<unknown>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        const code = e instanceof KafkaError ? e.code : undefined
        if (code === undefined || !retriable.has(code) || Date.now() + 100 > deadline) throw e
        await sleep(Math.min(50 * 2 ** attempt, 500))
        if (refresh !== undefined) await refresh()
      }
    }
  }

  async coordinator (groupId: string): Promise<{ conn: KafkaConnection, node: ClusterNode }> {
    const { version, response } = await this.bootstrap.request(FindCoordinatorApi, () => ({ key: groupId, keyType: 0, coordinatorKeys: [groupId] }))
    let node: ClusterNode
    if (version >= 4) {
      const c = response.coordinators[0]
      if (c === undefined) throw new AdminError(`${capitalize(this.bootstrap.role)} named no coordinator for group '${groupId}'`)
      if (c.errorCode !== 0) throw new RetriableError(c.errorCode, c.errorMessage)
      node = { nodeId: c.nodeId, host: c.host, port: c.port }
    } else {
      if (response.errorCode !== 0) throw new RetriableError(response.errorCode, response.errorMessage)
      node = { nodeId: response.nodeId, host: response.host, port: response.port }
    }
    this.nodes.set(node.nodeId, node)
    return { conn: await this.connectionTo(node.nodeId), node }
  }

  /** Runs `fn` on the group's coordinator, retrying while it loads or moves. */
  private onCoordinator<T> (groupId: string, fn: (c: KafkaConnection, node: ClusterNode) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const { conn, node } = await this.coordinator(groupId)
      return await fn(conn, node)
    }, RETRIABLE_GROUP_ERRORS)
  }

  /** Consumer groups on every broker (ListGroups is answered per broker), sorted. */
  async listGroups (): Promise<Array<{ groupId: string, protocolType: string, state: string }>> {
    const meta = await this.metadata([])
    const out = new Map<string, { groupId: string, protocolType: string, state: string }>()
    const nodes = meta.brokers.length > 0 ? meta.brokers.map((b) => b.nodeId) : [null]
    for (const nodeId of nodes) {
      const c = nodeId === null ? this.bootstrap : await this.connectionTo(nodeId)
      const { response } = await this.retrying(() => c.request(ListGroupsApi, () => ({ statesFilter: [], typesFilter: [] })).then((r) => {
        if (r.response.errorCode !== 0) throw new RetriableError(r.response.errorCode)
        return r
      }), RETRIABLE_GROUP_ERRORS)
      for (const g of response.groups) out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState })
    }
    return [...out.values()].sort((a, b) => a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)
  }

  /** The group as its coordinator describes it; a group that does not exist is Dead. */
  async describeGroup (groupId: string): Promise<{ group: DescribedGroup, coordinator: ClusterNode }> {
    return await this.onCoordinator(groupId, async (c, coordinator) => {
      const { response } = await c.request(DescribeGroupsApi, () => ({ groups: [groupId], includeAuthorizedOperations: false }))
      const g = response.groups[0]
      if (g === undefined) throw new AdminError(`${capitalize(c.role)} did not describe group '${groupId}'`)
      if (RETRIABLE_GROUP_ERRORS.has(g.errorCode)) throw new RetriableError(g.errorCode)
      if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return { group: { ...g, errorCode: 0, groupState: 'Dead', members: [] }, coordinator }
      check(g.errorCode)
      return { group: g, coordinator }
    })
  }

  /** Committed offsets of every partition the group has one for (none: an empty map). */
  async fetchOffsets (groupId: string): Promise<OffsetMap> {
    return await this.onCoordinator(groupId, async (c) => {
      const { version, response } = await c.request(OffsetFetchApi, () => ({
        groupId,
        topics: null,
        groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
        requireStable: false,
      }), { min: 2 })
      const out: OffsetMap = new Map()
      const collect = (topics: ReadonlyArray<{ name: string, partitions: ReadonlyArray<{ partitionIndex: number, committedOffset: number, errorCode: number }> }>): void => {
        for (const t of topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new KafkaError(p.errorCode, inContext(p.errorCode, `fetching the offset of ${t.name}-${p.partitionIndex}`))
            if (p.committedOffset >= 0) out.set(tpKey(t.name, p.partitionIndex), p.committedOffset)
          }
        }
      }
      if (version >= 8) {
        const g = response.groups[0]
        if (g === undefined) throw new AdminError(`${capitalize(c.role)} returned no offsets for group '${groupId}'`)
        if (RETRIABLE_GROUP_ERRORS.has(g.errorCode)) throw new RetriableError(g.errorCode)
        check(g.errorCode)
        collect(g.topics)
      } else {
        if (RETRIABLE_GROUP_ERRORS.has(response.errorCode)) throw new RetriableError(response.errorCode)
        check(response.errorCode)
        collect(response.topics)
      }
      return out
    })
  }

  /** Commits offsets as an admin (no member, no generation): Kafka allows it only for an empty group. */
  async commitOffsets (groupId: string, offsets: OffsetMap): Promise<void> {
    const byTopic = new Map<string, Array<{ partition: number, offset: number }>>()
    for (const [key, offset] of offsets) {
      const { topic, partition } = tpFromKey(key)
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      byTopic.get(topic)!.push({ partition, offset })
    }
    await this.onCoordinator(groupId, async (c) => {
      const { response } = await c.request(OffsetCommitApi, () => ({
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [...byTopic].map(([name, parts]) => ({
          name,
          partitions: parts.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' })),
        })),
      }), { min: 1 })
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (RETRIABLE_GROUP_ERRORS.has(p.errorCode)) throw new RetriableError(p.errorCode)
          if (p.errorCode !== 0) throw new KafkaError(p.errorCode, inContext(p.errorCode, `committing the offset of ${t.name}-${p.partitionIndex} for group '${groupId}'`))
        }
      }
    })
  }

  async deleteGroup (groupId: string): Promise<void> {
    await this.onCoordinator(groupId, async (c) => {
      const { response } = await c.request(DeleteGroupsApi, () => ({ groupsNames: [groupId] }))
      for (const r of response.results) {
        if (RETRIABLE_GROUP_ERRORS.has(r.errorCode)) throw new RetriableError(r.errorCode)
        check(r.errorCode)
      }
    })
  }

  // ---- Offsets ----

  /**
   * ListOffsets for each partition at `timestamp` (-2 earliest, -1 latest, else the
   * first offset at or after that time; -1 in the result when there is none), asked
   * of each partition's leader.
   */
  async listOffsets (partitions: readonly TopicPartition[], timestamp: number): Promise<OffsetMap> {
    const out: OffsetMap = new Map()
    if (partitions.length === 0) return out
    const topics = [...new Set(partitions.map((p) => p.topic))]
    let meta = await this.metadata(topics)
    await this.retrying(async () => {
      const byLeader = new Map<number, TopicPartition[]>()
      for (const tp of partitions) {
        if (out.has(tpKey(tp.topic, tp.partition))) continue
        const t = meta.topics.find((x) => x.name === tp.topic)
        if (t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${tp.topic}' does not exist.`)
        const p = t.partitions.find((x) => x.partition === tp.partition)
        if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${tp.partition} of topic '${tp.topic}' does not exist.`)
        if (p.leader < 0) throw new RetriableError(ErrorCode.LEADER_NOT_AVAILABLE, `${tp.topic}-${tp.partition} has no leader.`)
        if (!byLeader.has(p.leader)) byLeader.set(p.leader, [])
        byLeader.get(p.leader)!.push(tp)
      }
      for (const [leader, tps] of byLeader) {
        const c = await this.connectionTo(leader)
        const byTopic = new Map<string, number[]>()
        for (const tp of tps) {
          if (!byTopic.has(tp.topic)) byTopic.set(tp.topic, [])
          byTopic.get(tp.topic)!.push(tp.partition)
        }
        const { version, response } = await c.request(ListOffsetsApi, () => ({
          replicaId: -1,
          isolationLevel: 0,
          topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) })),
          timeoutMs: this.timeoutMs,
        }))
        for (const t of response.topics) {
          for (const p of t.partitions) {
            if (RETRIABLE_LEADER_ERRORS.has(p.errorCode)) throw new RetriableError(p.errorCode)
            if (p.errorCode !== 0) throw new KafkaError(p.errorCode, inContext(p.errorCode, `listing offsets of ${t.name}-${p.partitionIndex}`))
            out.set(tpKey(t.name, p.partitionIndex), version === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset)
          }
        }
      }
    }, RETRIABLE_LEADER_ERRORS, async () => { meta = await this.metadata(topics) })
    return out
  }

  // ---- SCRAM users ----

  /**
   * Users and their SCRAM mechanisms (type code) and iterations; `users` null: every user.
   * Per-user errors come back as they are (a named user without credentials is
   * RESOURCE_NOT_FOUND); a request-level error throws.
   */
  async describeUserScramCredentials (users: readonly string[] | null): Promise<Array<{ user: string, errorCode: number, errorMessage: string | null, credentials: Array<{ mechanism: number, iterations: number }> }>> {
    const { response } = await this.bootstrap.request(DescribeUserScramCredentialsApi, () => ({ users: users === null ? null : users.map((name) => ({ name })) }))
    check(response.errorCode, response.errorMessage)
    return response.results.map((r) => ({ user: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage, credentials: r.credentialInfos }))
  }

  /** Deletions and upsertions (salted by the caller) in one request, sent to the controller; throws on the first per-user error. */
  async alterUserScramCredentials (deletions: ReadonlyArray<{ name: string, mechanism: number }>, upsertions: ReadonlyArray<{ name: string, mechanism: number, iterations: number, salt: Buffer, saltedPassword: Buffer }>): Promise<void> {
    await this.onController(async (c) => {
      const { response } = await c.request(AlterUserScramCredentialsApi, () => ({ deletions: [...deletions], upsertions: [...upsertions] }))
      for (const r of response.results) check(r.errorCode, r.errorMessage)
    })
  }
}

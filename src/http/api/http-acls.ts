// The admin API under ACLs: each operation asks what the Kafka request doing the same
// work would need (KafkaApis' operation on the same resource), for the principal who
// logged in (http-auth.ts; User:ANONYMOUS without a login), so HTTP grants nothing the
// Kafka listener would refuse. Lists (topics, groups) show only what the principal may
// describe, as Metadata and ListGroups do. With no authorizer configured every check
// passes and nothing here runs per request beyond one flag test.
//
// Replaying a dead-letter topic writes into whatever topics its records name, known only
// while it runs, so it takes READ on the dead-letter topic and ALTER on the cluster (an
// operator's action) rather than WRITE per target.

import type { FastifyRequest } from 'fastify'
import type { BrokerContext } from '../../broker-context.ts'
import { clientAddress } from '../../security/authorizer.ts'
import { AclOperation as Op, CLUSTER_NAME, ResourceType } from '../../security/acl-types.ts'

/** Confluent REST Proxy's error code for an authorization failure. */
export const NOT_AUTHORIZED = 40301

interface Check {
  op: number
  type: number
  name: string
}

function principalOf(req: FastifyRequest): string {
  return (req as FastifyRequest & { principal?: string }).principal ?? 'User:ANONYMOUS'
}

/** The checks an operation needs, from its method and OpenAPI path. */
function checksFor(method: string, path: string, req: FastifyRequest): Check[] {
  const params = (req.params ?? {}) as Record<string, string>
  const body = (req.body ?? {}) as Record<string, unknown>
  const topic = (op: number): Check => ({ op, type: ResourceType.TOPIC, name: params.topic_name ?? '' })
  const group = (op: number): Check => ({ op, type: ResourceType.GROUP, name: params.consumer_group_id ?? '' })
  const cluster = (op: number): Check => ({ op, type: ResourceType.CLUSTER, name: CLUSTER_NAME })
  if (path.includes('{consumer_group_id}')) return [group(method === 'GET' ? Op.DESCRIBE : Op.READ)]
  if (path.includes('{topic_name}')) {
    if (path.endsWith('/records:replay')) return [topic(Op.READ), cluster(Op.ALTER)]
    if (path.endsWith('/records')) return [topic(method === 'POST' ? Op.WRITE : Op.READ)]
    if (path.includes('/configs')) return [topic(method === 'GET' ? Op.DESCRIBE_CONFIGS : Op.ALTER_CONFIGS)]
    if (method === 'DELETE') return [topic(Op.DELETE)]
    if (method === 'PATCH') return [topic(Op.ALTER)]
    return [topic(Op.DESCRIBE)]
  }
  if (path.endsWith('/topics') && method === 'POST') {
    // CreateTopics: CREATE on the cluster, or on the topic itself.
    return [{ op: Op.CREATE, type: ResourceType.TOPIC, name: typeof body.topic_name === 'string' ? body.topic_name : '' }]
  }
  if (path.endsWith('/configs') || path.endsWith('/broker-configs')) return [cluster(Op.DESCRIBE_CONFIGS)]
  if (path.endsWith('/overview')) return [cluster(Op.DESCRIBE)]
  return []
}

export interface HttpAcls {
  /** Why the request is refused, or null. */
  refusal(method: string, path: string, req: FastifyRequest): string | null
  /** A list answer with only what the principal may describe. */
  filter(method: string, path: string, req: FastifyRequest, out: unknown): unknown
}

export function httpAcls(broker: BrokerContext): HttpAcls {
  const allowed = (req: FastifyRequest, c: Check): boolean =>
    broker.authorizer.authorize(principalOf(req), clientAddress(`${req.ip}:0`), c.op, c.type, c.name)
  return {
    refusal(method, path, req) {
      if (!broker.authorizer.enabled) return null
      for (const c of checksFor(method, path, req)) {
        if (allowed(req, c)) continue
        // CreateTopics passes with CREATE on the cluster too.
        if (c.op === Op.CREATE && allowed(req, { op: Op.CREATE, type: ResourceType.CLUSTER, name: CLUSTER_NAME })) continue
        broker.logger.debug({ principal: principalOf(req), operation: c.op, resourceType: c.type, resource: c.name, path }, 'admin API authorization denied')
        const what = c.type === ResourceType.TOPIC ? `topic ${c.name}` : c.type === ResourceType.GROUP ? `consumer group ${c.name}` : 'the cluster'
        return `Not authorized to access ${what}.`
      }
      return null
    },
    filter(method, path, req, out) {
      if (!broker.authorizer.enabled || method !== 'GET' || out === null || typeof out !== 'object') return out
      const list = out as { data?: Array<Record<string, unknown>> }
      if (!Array.isArray(list.data)) return out
      if (path.endsWith('/topics')) {
        return { ...list, data: list.data.filter((t) => allowed(req, { op: Op.DESCRIBE, type: ResourceType.TOPIC, name: String(t.topic_name) })) }
      }
      if (path.endsWith('/consumer-groups')) {
        return { ...list, data: list.data.filter((g) => allowed(req, { op: Op.DESCRIBE, type: ResourceType.GROUP, name: String(g.consumer_group_id) })) }
      }
      return out
    },
  }
}

// Kafka's StandardAuthorizer rules over the ACL store, and the request-level checks the
// handlers call. With no authorizer configured (`authorizer.class.name` empty, the
// default) every check passes, as on a Kafka broker without one, and the ACL APIs answer
// SECURITY_DISABLED.
//
// The rules (StandardAuthorizerData): a super user may do anything; otherwise the ACLs
// of the resource's type whose pattern covers the name (LITERAL equal or `*`, PREFIXED a
// prefix of it) and whose principal (or User:*) and host (or `*`) match are consulted.
// Any matching DENY wins; then any matching ALLOW. ALLOW READ/WRITE/DELETE/ALTER imply
// DESCRIBE and ALLOW ALTER_CONFIGS implies DESCRIBE_CONFIGS (never for DENY); ALL
// matches every operation. When no ACL at all covers the resource the answer is
// `allow.everyone.if.no.acl.found`; ACLs that cover it but match nobody deny.

import type { RequestContext } from '../handlers/api-handler.ts'
import type { AclStore } from './acl-store.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { AclOperation, AclPermission, CLUSTER_NAME, PatternType, ResourceType, WILDCARD, WILDCARD_PRINCIPAL, operationName, resourceTypeName, type AclBinding } from './acl-types.ts'

/** The authorizer class Kafka 4 ships and the one value of authorizer.class.name that turns ACLs on. */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'

export interface AuthorizerConfig {
  /** authorizer.class.name was set. */
  enabled: boolean
  /** super.users, as principal strings (User:admin). */
  superUsers: ReadonlySet<string>
  /** allow.everyone.if.no.acl.found */
  allowEveryoneIfNoAclFound: boolean
}

/** super.users is a semicolon-separated list of principals, as in Kafka. */
export function parseSuperUsers(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter((s) => s !== '')
}

const IMPLIES_DESCRIBE = new Set<number>([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER])
const IMPLIES_DESCRIBE_CONFIGS = new Set<number>([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS])

/** findResult: null when the ACL does not apply to this principal, host and operation. */
function aclResult(acl: AclBinding, principal: string, host: string, op: number): 'allow' | 'deny' | null {
  if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) return null
  if (acl.host !== WILDCARD && acl.host !== host) return null
  if (acl.operation !== AclOperation.ALL) {
    if (acl.permission === AclPermission.ALLOW) {
      if (op === AclOperation.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return null
      } else if (op === AclOperation.DESCRIBE_CONFIGS) {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return null
      } else if (acl.operation !== op) return null
    } else if (acl.operation !== op) return null
  }
  return acl.permission === AclPermission.ALLOW ? 'allow' : 'deny'
}

function covers(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName)
  return acl.resourceName === name || acl.resourceName === WILDCARD
}

export class Authorizer {
  readonly store: AclStore
  readonly config: AuthorizerConfig
  private byType = new Map<number, AclBinding[]>()
  private cachedVersion = -1

  constructor(store: AclStore, config: AuthorizerConfig) {
    this.store = store
    this.config = config
  }

  get enabled(): boolean {
    return this.config.enabled
  }

  private aclsOfType(type: number): AclBinding[] {
    if (this.cachedVersion !== this.store.version) {
      this.byType = new Map()
      for (const a of this.store.all()) {
        const list = this.byType.get(a.resourceType)
        if (list === undefined) this.byType.set(a.resourceType, [a])
        else list.push(a)
      }
      this.cachedVersion = this.store.version
    }
    return this.byType.get(type) ?? []
  }

  authorize(principal: string, host: string, op: number, type: number, name: string): boolean {
    if (!this.config.enabled) return true
    if (this.config.superUsers.has(principal)) return true
    let coveredByAcls = false
    let allowed = false
    for (const acl of this.aclsOfType(type)) {
      if (!covers(acl, name)) continue
      coveredByAcls = true
      const r = aclResult(acl, principal, host, op)
      if (r === 'deny') return false
      if (r === 'allow') allowed = true
    }
    return allowed || (!coveredByAcls && this.config.allowEveryoneIfNoAclFound)
  }

  /**
   * Authorizer.authorizeByResourceType: may the principal do `op` on at least one
   * resource of this type? Yes when an ALLOW (literal or prefixed) exists for it that no
   * DENY literal of the same name or DENY prefix of it cancels; a DENY on the literal
   * wildcard answers no at once. Super users and the no-ACL default go through authorize.
   */
  authorizeByResourceType(principal: string, host: string, op: number, type: number): boolean {
    if (!this.config.enabled) return true
    if (this.authorize(principal, host, op, type, 'hardcode')) return true
    const denyLiteral = new Set<string>()
    const denyPrefixed = new Set<string>()
    const allow: Array<{ name: string; literal: boolean }> = []
    for (const acl of this.aclsOfType(type)) {
      if (acl.host !== host && acl.host !== WILDCARD) continue
      if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue
      if (acl.operation !== op && acl.operation !== AclOperation.ALL) continue
      const literal = acl.patternType === PatternType.LITERAL
      if (acl.permission === AclPermission.DENY) {
        if (literal && acl.resourceName === WILDCARD) return false
        ;(literal ? denyLiteral : denyPrefixed).add(acl.resourceName)
      } else if (acl.permission === AclPermission.ALLOW) {
        if (literal && acl.resourceName === WILDCARD) return true
        allow.push({ name: acl.resourceName, literal })
      }
    }
    return allow.some((a) => {
      if (a.literal && denyLiteral.has(a.name)) return false
      for (let i = 1; i <= a.name.length; i++) if (denyPrefixed.has(a.name.slice(0, i))) return false
      return true
    })
  }
}

/** The client's address as Kafka compares it with ACL hosts (InetAddress.getHostAddress). */
export function clientAddress(remote: string): string {
  const sep = remote.lastIndexOf(':')
  const ip = sep > 0 ? remote.slice(0, sep) : remote
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

/** May this request's principal do `op` on the resource? Logged at debug when denied (Kafka's authorizer log). */
export function authorized(ctx: RequestContext, op: number, type: number, name: string): boolean {
  const auth = ctx.broker.authorizer
  if (!auth.enabled) return true
  const host = clientAddress(ctx.remote)
  const ok = auth.authorize(ctx.security.principal, host, op, type, name)
  if (!ok) ctx.broker.logger.debug({ principal: ctx.security.principal, host, operation: operationName(op), resource: `${resourceTypeName(type)}:${name}`, api: ctx.header.apiKey }, 'authorization denied')
  return ok
}

export const authorizedTopic = (ctx: RequestContext, op: number, topic: string): boolean => authorized(ctx, op, ResourceType.TOPIC, topic)
export const authorizedGroup = (ctx: RequestContext, op: number, group: string): boolean => authorized(ctx, op, ResourceType.GROUP, group)
export const authorizedTransactionalId = (ctx: RequestContext, op: number, id: string): boolean => authorized(ctx, op, ResourceType.TRANSACTIONAL_ID, id)
export const authorizedCluster = (ctx: RequestContext, op: number): boolean => authorized(ctx, op, ResourceType.CLUSTER, CLUSTER_NAME)

export function authorizedForAnyResource(ctx: RequestContext, op: number, type: number): boolean {
  const auth = ctx.broker.authorizer
  return auth.authorizeByResourceType(ctx.security.principal, clientAddress(ctx.remote), op, type)
}

/**
 * DescribeConfigs / (Incremental)AlterConfigs: a topic's configs need the operation on
 * the topic (TOPIC_AUTHORIZATION_FAILED), broker and broker-logger configs on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED). NONE when allowed.
 */
export function configResourceError(ctx: RequestContext, op: number, resourceType: number, name: string): number {
  if (resourceType === CONFIG_RESOURCE_TOPIC) return authorizedTopic(ctx, op, name) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED
  return authorizedCluster(ctx, op) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED
}
const CONFIG_RESOURCE_TOPIC = 2

/** The authorized_operations bit field of Metadata and DescribeGroups/DescribeCluster: bit `op` set when allowed. */
export function authorizedOperations(ctx: RequestContext, type: number, name: string, ops: readonly number[]): number {
  const auth = ctx.broker.authorizer
  const host = clientAddress(ctx.remote)
  return ops.reduce((m, op) => (auth.authorize(ctx.security.principal, host, op, type, name) ? m | (1 << op) : m), 0)
}

/** Memoises topic checks within one request (Produce and Fetch name a topic once per partition set, but clients repeat). */
export function topicChecker(ctx: RequestContext, op: number): (topic: string) => boolean {
  if (!ctx.broker.authorizer.enabled) return () => true
  const seen = new Map<string, boolean>()
  return (topic) => {
    let ok = seen.get(topic)
    if (ok === undefined) seen.set(topic, ok = authorizedTopic(ctx, op, topic))
    return ok
  }
}

export { AclOperation as Op, ResourceType } from './acl-types.ts'

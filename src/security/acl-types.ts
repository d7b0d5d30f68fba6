// Kafka's ACL vocabulary (org.apache.kafka.common.acl / resource): the wire codes of
// resource types, pattern types, operations and permissions, their names, and one ACL
// binding. Codes are the protocol's; names are what kafka-acls.sh and logs print.

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15,
} as const
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const

/** The one name a CLUSTER resource has (Kafka's CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster'
/** A literal resource name or host matching every name or host. */
export const WILDCARD = '*'
export const WILDCARD_PRINCIPAL = 'User:*'

const nameOf = (table: Record<string, number>): Map<number, string> => new Map(Object.entries(table).map(([k, v]) => [v, k]))
const RESOURCE_NAMES = nameOf(ResourceType)
const PATTERN_NAMES = nameOf(PatternType)
const OPERATION_NAMES = nameOf(AclOperation)
const PERMISSION_NAMES = nameOf(AclPermission)

/** Codes above the known range read as UNKNOWN, as Kafka's fromCode does. */
export const known = {
  resourceType: (c: number): boolean => RESOURCE_NAMES.has(c) && c !== ResourceType.UNKNOWN,
  patternType: (c: number): boolean => PATTERN_NAMES.has(c) && c !== PatternType.UNKNOWN,
  operation: (c: number): boolean => OPERATION_NAMES.has(c) && c !== AclOperation.UNKNOWN,
  permission: (c: number): boolean => PERMISSION_NAMES.has(c) && c !== AclPermission.UNKNOWN,
}

export interface AclBinding {
  resourceType: number
  resourceName: string
  patternType: number
  principal: string
  host: string
  operation: number
  permission: number
}

/** A describe/delete filter: null strings and ANY codes match everything. */
export interface AclFilter {
  resourceType: number
  resourceName: string | null
  patternType: number
  principal: string | null
  host: string | null
  operation: number
  permission: number
}

export function describeAcl(a: AclBinding): string {
  return `(principal=${a.principal}, host=${a.host}, operation=${OPERATION_NAMES.get(a.operation)}, permissionType=${PERMISSION_NAMES.get(a.permission)}) on ${RESOURCE_NAMES.get(a.resourceType)}:${PATTERN_NAMES.get(a.patternType)}:${a.resourceName}`
}

export function operationName(op: number): string {
  return OPERATION_NAMES.get(op) ?? `UNKNOWN(${op})`
}

export function resourceTypeName(t: number): string {
  return RESOURCE_NAMES.get(t) ?? `UNKNOWN(${t})`
}

export function sameAcl(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType &&
    a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permission === b.permission
}

/**
 * AclBindingFilter.matches: the resource part (ANY type, null name, ANY or MATCH pattern
 * type, where MATCH also takes the literal wildcard and prefixes of the name) and the
 * entry part (null principal / host, ANY operation / permission).
 */
export function filterMatches(f: AclFilter, a: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== a.resourceType) return false
  if (f.principal !== null && f.principal !== a.principal) return false
  if (f.host !== null && f.host !== a.host) return false
  if (f.operation !== AclOperation.ANY && f.operation !== a.operation) return false
  if (f.permission !== AclPermission.ANY && f.permission !== a.permission) return false
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true
    if (a.patternType === PatternType.LITERAL) return a.resourceName === f.resourceName || a.resourceName === WILDCARD
    return a.patternType === PatternType.PREFIXED && f.resourceName.startsWith(a.resourceName)
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== a.patternType) return false
  return f.resourceName === null || f.resourceName === a.resourceName
}

/** Problems with a filter, as Kafka's validateFilter (UNKNOWN parts are not accepted). */
export function filterProblem(f: AclFilter): string | null {
  if (!known.resourceType(f.resourceType) || !known.patternType(f.patternType)) return 'Unknown patternFilter.'
  if (!known.operation(f.operation) || !known.permission(f.permission)) return 'Unknown entryFilter.'
  return null
}

/** Problems with an ACL to create: AclControlManager.validateNewAcl and AclApis' checks, Kafka's messages. */
export function newAclProblem(a: AclBinding): string | null {
  if (!known.resourceType(a.resourceType) || a.resourceType === ResourceType.ANY) return `Invalid resourceType ${resourceTypeName(a.resourceType)}`
  if (a.patternType !== PatternType.LITERAL && a.patternType !== PatternType.PREFIXED) return `Invalid patternType ${PATTERN_NAMES.get(a.patternType) ?? 'UNKNOWN'}`
  if (!known.operation(a.operation) || a.operation === AclOperation.ANY) return `Invalid operation ${operationName(a.operation)}`
  if (a.permission !== AclPermission.ALLOW && a.permission !== AclPermission.DENY) return `Invalid permissionType ${PERMISSION_NAMES.get(a.permission) ?? 'UNKNOWN'}`
  if (a.resourceType === ResourceType.CLUSTER && a.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`
  if (a.resourceName === '') return 'Invalid empty resource name'
  if (principalProblem(a.principal) !== null) return principalProblem(a.principal)
  return null
}

/** SecurityUtils.parseKafkaPrincipal: "Type:name", both parts non-empty. */
export function principalProblem(p: string): string | null {
  const sep = p.indexOf(':')
  if (sep <= 0 || sep === p.length - 1) return `expected a string in format principalType:principalName but got ${p}`
  return null
}

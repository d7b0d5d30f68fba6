// Client quota entities, keys and Kafka's rules for them (ClientQuotaControlManager for
// AlterClientQuotas, ClientQuotasImage.describe for DescribeClientQuotas). An entity is a
// set of (type, name) pairs; a null name is the type's default entity (`<default>` in
// kafka-configs.sh). Samsa stores and enforces `user` and `client-id` entities; `ip`
// entities (connection_creation_rate) are refused, since connection rate quotas are not
// implemented and accepting them would promise a limit nobody enforces.

import { isIP } from 'node:net'
import { ErrorCode } from '../../protocol/error-codes.ts'

export const USER = 'user'
export const CLIENT_ID = 'client-id'
export const IP = 'ip'

export const QuotaKey = {
  PRODUCER_BYTE_RATE: 'producer_byte_rate',
  CONSUMER_BYTE_RATE: 'consumer_byte_rate',
  REQUEST_PERCENTAGE: 'request_percentage',
  CONTROLLER_MUTATION_RATE: 'controller_mutation_rate',
} as const

/** QuotaConfig.userAndClientQuotaConfigs: the keys a user / client-id entity takes, with their ConfigDef types. */
const USER_CLIENT_KEYS: ReadonlyMap<string, 'LONG' | 'DOUBLE'> = new Map([
  [QuotaKey.PRODUCER_BYTE_RATE, 'LONG'],
  [QuotaKey.CONSUMER_BYTE_RATE, 'LONG'],
  [QuotaKey.REQUEST_PERCENTAGE, 'DOUBLE'],
  [QuotaKey.CONTROLLER_MUTATION_RATE, 'DOUBLE'],
])

export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const

/** One entity: type → name (null for the default), in the order the client gave them. */
export type QuotaEntity = ReadonlyMap<string, string | null>

export interface QuotaError {
  errorCode: number
  message: string
}

/** A stable key for an entity whatever order its types came in. */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify([...entity].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}

/** Kafka's ClientQuotaEntity.toString, for error messages: ClientQuotaEntity(entries={user=alice, client-id=null}). */
export function entityText(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${[...entity].map(([t, n]) => `${t}=${n}`).join(', ')}})`
}

function invalid(message: string): QuotaError {
  return { errorCode: ErrorCode.INVALID_REQUEST, message }
}

/**
 * ClientQuotaControlManager.validateEntity and configKeysForEntityType: null when the
 * entity may hold user/client-id quotas. (A type named twice never gets here: Kafka reads
 * the request's entity into a map, where the last name wins; so does entityOf.)
 */
export function entityProblem(entity: QuotaEntity): QuotaError | null {
  if (entity.size === 0) return invalid('Invalid empty client quota entity')
  for (const [type, name] of entity) {
    if (type !== USER && type !== CLIENT_ID && type !== IP) return invalid(`Unhandled client quota entity type: ${type}`)
    if (name !== null && name.length === 0) return invalid(`Empty ${type} not supported`)
  }
  if (entity.has(IP)) {
    if (entity.has(USER) || entity.has(CLIENT_ID)) return invalid('Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId')
    const ip = entity.get(IP)!
    if (ip !== null && isIP(ip) === 0) return invalid(`${ip} is not a valid IP or resolvable host.`)
    return invalid('IP quotas (connection_creation_rate) are not supported by this broker')
  }
  return null
}

/** ClientQuotaControlManager.validateQuotaKeyValue for a user / client-id entity. */
export function valueProblem(key: string, value: number): QuotaError | null {
  const type = USER_CLIENT_KEYS.get(key)
  if (type === undefined) return invalid(`Invalid configuration key ${key}`)
  if (!(value > 0)) return invalid(`Quota ${key} must be greater than 0`)
  if (type === 'LONG') {
    if (value > 9223372036854775807) return invalid(`Proposed value for ${key} is too large for a LONG.`)
    if (Math.abs(value % 1) > 1e-6) return invalid(`${key} cannot be a fractional value.`)
  }
  return null
}

export interface FilterComponent {
  entityType: string
  matchType: number
  match: string | null
}

export interface QuotaFilter {
  /** Types that must be present with this name (null: the default entity). */
  exact: Map<string, string | null>
  /** Types that must be present, whatever the name. */
  specified: Set<string>
  strict: boolean
}

/** ClientQuotasImage.describe's checks of the filter; an error answers the whole request. */
export function parseFilter(components: FilterComponent[], strict: boolean): QuotaFilter | QuotaError {
  const exact = new Map<string, string | null>()
  const specified = new Set<string>()
  for (const c of components) {
    if (c.entityType.length === 0) return invalid('Invalid empty entity type.')
    if (exact.has(c.entityType) || specified.has(c.entityType)) return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`)
    if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, message: `Unsupported entity type ${c.entityType}` }
    switch (c.matchType) {
      case MatchType.EXACT:
        if (c.match === null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.')
        exact.set(c.entityType, c.match)
        break
      case MatchType.DEFAULT:
        if (c.match !== null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.')
        exact.set(c.entityType, null)
        break
      case MatchType.SPECIFIED:
        if (c.match !== null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.')
        specified.add(c.entityType)
        break
      default:
        return invalid(`Unknown match type ${c.matchType}`)
    }
  }
  const names = (type: string): boolean => exact.has(type) || specified.has(type)
  if (names(IP) && (names(USER) || names(CLIENT_ID))) {
    return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.')
  }
  return { exact, specified, strict }
}

export function filterMatches(filter: QuotaFilter, entity: QuotaEntity): boolean {
  if (filter.strict && entity.size !== filter.exact.size + filter.specified.size) return false
  for (const [type, name] of filter.exact) {
    if (!entity.has(type) || entity.get(type) !== name) return false
  }
  for (const type of filter.specified) if (!entity.has(type)) return false
  return true
}

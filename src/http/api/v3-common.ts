// Shared pieces of the JSON admin API (Confluent REST Proxy v3 shapes): the error type
// and its body `{"error_code", "message"}`, the mapping from Kafka error codes to HTTP
// statuses (as kafka-rest's KafkaExceptionMapper maps Kafka's exceptions), resource
// links, and the checks every handler uses on path, query and body values.

import type { FastifyRequest } from 'fastify'
import { ErrorCode } from '../../../protocol/error-codes.ts'
import type { BrokerContext } from '../../broker-context.ts'
import type { TopicInfo } from '../../topics/topic-registry.ts'

/** An error answered as `{"error_code": code, "message": message}` with HTTP `status`. */
export class ApiError extends Error {
  readonly status: number
  readonly errorCode: number

  constructor(status: number, errorCode: number, message: string) {
    super(message)
    this.status = status
    this.errorCode = errorCode
  }
}

// kafka-rest's codes (rest-utils KafkaExceptionMapper and kafka-rest Errors).
export const KAFKA_BAD_REQUEST = 40002
export const PARTITION_NOT_FOUND = 40402
export const UNKNOWN_TOPIC_OR_PARTITION = 40403
export const KAFKA_ERROR = 50002
export const KAFKA_RETRIABLE_ERROR = 50003
export const ILLEGAL_STATE = 40903

export const badRequest = (message: string): ApiError => new ApiError(400, KAFKA_BAD_REQUEST, message)

const BAD_REQUEST_CODES = new Set<number>([
  ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_REPLICATION_FACTOR,
  ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, ErrorCode.POLICY_VIOLATION,
  ErrorCode.TOPIC_DELETION_DISABLED, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_RECORD, ErrorCode.INVALID_TIMESTAMP,
  ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.CORRUPT_MESSAGE, ErrorCode.OFFSET_METADATA_TOO_LARGE,
  ErrorCode.UNKNOWN_SERVER_ERROR,
])

const RETRIABLE_CODES = new Set<number>([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.NETWORK_EXCEPTION,
])

/** A Kafka error code as kafka-rest answers the matching exception. */
export function kafkaError(code: number, message: string | null): ApiError {
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return new ApiError(404, UNKNOWN_TOPIC_OR_PARTITION, message ?? 'This server does not host this topic-partition.')
  const text = message ?? `Kafka error ${code}`
  if (BAD_REQUEST_CODES.has(code)) return new ApiError(400, KAFKA_BAD_REQUEST, text)
  if (RETRIABLE_CODES.has(code)) return new ApiError(500, KAFKA_RETRIABLE_ERROR, text)
  return new ApiError(500, KAFKA_ERROR, text)
}

/** The topic, or the 404 Kafka answers for an unknown one. */
export function requireTopic(broker: BrokerContext, name: string): TopicInfo {
  const topic = broker.topics.get(name)
  if (topic === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
  return topic
}

export function requirePartition(topic: TopicInfo, raw: unknown): number {
  const p = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN
  if (!Number.isInteger(p) || p < 0 || p >= topic.partitions) throw new ApiError(404, PARTITION_NOT_FOUND, 'Partition not found.')
  return p
}

// ---- links (v3 resources carry metadata.self, resource_name and related links) ----

export interface Links {
  url(...segments: Array<string | number>): string
  crn(...pairs: Array<string | number>): string
}

export function links(req: FastifyRequest, clusterId: string): Links {
  const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`
  return {
    url: (...segments) => `${base}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`,
    crn: (...pairs) => {
      let out = `crn:///kafka=${clusterId}`
      for (let i = 0; i < pairs.length; i += 2) out += `/${pairs[i]}=${pairs[i + 1]}`
      return out
    },
  }
}

export const related = (url: string): { related: string } => ({ related: url })

export function list(kind: string, self: string, data: unknown[]): Record<string, unknown> {
  return { kind, metadata: { self, next: null }, data }
}

// ---- request values ----

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.')
  return body as Record<string, unknown>
}

export function optionalInt(obj: Record<string, unknown>, field: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badRequest(`${field} must be an integer.`)
  if (v < min || v > max) throw badRequest(`${field} must be between ${min} and ${max}.`)
  return v
}

export function requiredInt(obj: Record<string, unknown>, field: string, min?: number, max?: number): number {
  const v = optionalInt(obj, field, min, max)
  if (v === undefined) throw badRequest(`${field} is required.`)
  return v
}

export function optionalString(obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw badRequest(`${field} must be a string.`)
  return v
}

export function requiredString(obj: Record<string, unknown>, field: string): string {
  const v = optionalString(obj, field)
  if (v === undefined || v === '') throw badRequest(`${field} is required.`)
  return v
}

export function optionalBool(obj: Record<string, unknown>, field: string): boolean {
  const v = obj[field]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') throw badRequest(`${field} must be true or false.`)
  return v
}

/** A query-string integer (absent → undefined). */
export function queryInt(query: Record<string, unknown>, field: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = query[field]
  if (v === undefined || v === '') return undefined
  if (typeof v !== 'string' || !/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw badRequest(`Query parameter ${field} must be an integer.`)
  const n = Number(v)
  if (n < min || n > max) throw badRequest(`Query parameter ${field} must be between ${min} and ${max}.`)
  return n
}

/** A time given as epoch milliseconds (number or digits) or an ISO-8601 date-time string. */
export function parseTime(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v)
    const ms = Date.parse(v)
    if (!Number.isNaN(ms) && ms >= 0) return ms
  }
  throw badRequest(`${field} must be epoch milliseconds or an ISO-8601 date-time.`)
}

export const isoTime = (ms: number): string | null => (ms >= 0 && Number.isFinite(ms) ? new Date(ms).toISOString() : null)

/** Kafka's group state names as v3 spells them: PreparingRebalance → PREPARING_REBALANCE. */
export const v3State = (state: string): string => state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()

import type { Reader } from './reader.ts'
import type { Writer } from './writer.ts'
import { apiTable } from '../messages/api-table.ts'

const CONTROLLED_SHUTDOWN = 7
const API_VERSIONS = 18

export interface DecodedRequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  headerVersion: number
}

// Header v2 (v1 plus tagged fields) goes with flexible API versions. Unknown
// keys are read as v1 so the broker can still answer with their correlation id.
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  // ControlledShutdown v0 predates client ids; Kafka still reads it with header v0.
  if (apiKey === CONTROLLED_SHUTDOWN && apiVersion === 0) return 0
  const api = apiTable[apiKey]
  return api !== undefined && apiVersion >= api.flexibleMin ? 2 : 1
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  // A client reads the ApiVersions response before it knows which versions the
  // broker speaks, so that header never carries tagged fields (KIP-511).
  if (apiKey === API_VERSIONS) return 0
  const api = apiTable[apiKey]
  return api !== undefined && apiVersion >= api.flexibleMin ? 1 : 0
}

export function decodeRequestHeader(r: Reader): DecodedRequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const headerVersion = requestHeaderVersion(apiKey, apiVersion)
  // The client id keeps its int16 length even in header v2.
  const clientId = headerVersion >= 1 ? r.nullableString() : null
  if (headerVersion >= 2) r.skipTaggedFields()
  return { apiKey, apiVersion, correlationId, clientId, headerVersion }
}

export function writeRequestHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number, clientId: string | null): void {
  const headerVersion = requestHeaderVersion(apiKey, apiVersion)
  w.int16(apiKey)
  w.int16(apiVersion)
  w.int32(correlationId)
  if (headerVersion >= 1) w.nullableString(clientId)
  if (headerVersion >= 2) w.emptyTaggedFields()
}

export function writeResponseHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  w.int32(correlationId)
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.emptyTaggedFields()
}

// Client side of the exchange; the broker only needs it in tests.
export function decodeResponseHeader(r: Reader, apiKey: number, apiVersion: number): { correlationId: number } {
  const correlationId = r.int32()
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) r.skipTaggedFields()
  return { correlationId }
}

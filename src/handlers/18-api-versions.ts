// ApiVersions (key 18), versions 0-4.
// - The answer lists exactly the handlers registered in src/handlers (registry.ts).
// - A request above our max gets a v0 body with UNSUPPORTED_VERSION and our ApiVersions
//   range (KIP-511); that case is answered by the connection before decoding, because
//   the body of an unknown version cannot be parsed.
// - v3+ client software name/version must match Kafka's pattern, else INVALID_REQUEST.
// - Its response header is always v0 (see protocol/wire/headers.ts).
// Not supported: feature flags (SupportedFeatures/FinalizedFeatures stay empty).

import { decodeApiVersionsRequest, type ApiVersionsRequest } from '../../protocol/messages/api-versions-request.ts'
import { encodeApiVersionsResponse, type ApiVersionsResponse } from '../../protocol/messages/api-versions-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import type { BrokerContext } from '../broker-context.ts'

const softwarePattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export function apiVersionsResponse(broker: BrokerContext, errorCode: number): ApiVersionsResponse {
  const apiKeys = [...broker.handlers.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
  return { errorCode, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false }
}

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeApiVersionsRequest,
  encode: encodeApiVersionsResponse,
  handle(ctx, req) {
    if (ctx.header.apiVersion >= 3 && (!softwarePattern.test(req.clientSoftwareName) || !softwarePattern.test(req.clientSoftwareVersion))) {
      return apiVersionsResponse(ctx.broker, ErrorCode.INVALID_REQUEST)
    }
    return apiVersionsResponse(ctx.broker, ErrorCode.NONE)
  },
  errorResponse(_req, errorCode) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false }
  },
})

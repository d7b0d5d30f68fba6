// FindCoordinator (key 10), versions 0-4.
// - This node coordinates every group and transactional id: the answer is always this
//   broker's advertised address. v4+ batches keys (coordinator_keys / coordinators[]).
// - Key types 0 (group) and 1 (transaction); anything else is INVALID_REQUEST.
// - Listed from v0 also because librdkafka < 2.11 enables its LZ4 support only when
//   FindCoordinator includes v0 (protocol-facts §10 trap 2): without it, kcat and
//   confluent-kafka silently send lz4 batches uncompressed.

import { decodeFindCoordinatorRequest, type FindCoordinatorRequest } from '../../protocol/messages/find-coordinator-request.ts'
import { encodeFindCoordinatorResponse, type FindCoordinatorResponse } from '../../protocol/messages/find-coordinator-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'

const KNOWN_KEY_TYPES = new Set([0, 1])

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeFindCoordinatorRequest,
  encode: encodeFindCoordinatorResponse,
  handle(ctx, req) {
    const b = ctx.broker
    const errorCode = KNOWN_KEY_TYPES.has(req.keyType) ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST
    const errorMessage = errorCode === ErrorCode.NONE ? null : `Unsupported key type ${req.keyType}`
    const ok = errorCode === ErrorCode.NONE
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      nodeId: ok ? b.nodeId : -1,
      host: ok ? b.advertisedHost : '',
      port: ok ? b.advertisedPort : -1,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: ok ? b.nodeId : -1, host: ok ? b.advertisedHost : '', port: ok ? b.advertisedPort : -1, errorCode, errorMessage })),
    }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
    }
  },
})

// FindCoordinator (key 10), versions 0-6.
// - This node coordinates every group and transactional id: the answer is always this
//   broker's advertised address. v4+ batches keys (coordinator_keys / coordinators[]).
// - Key types 0 (group) and 1 (transaction). Type 2 (share group, KIP-932) is
//   INVALID_REQUEST for each key, as from a Kafka 4.x broker below v6 and, at v6, from
//   one without a share coordinator (share groups are not offered here). Any other type
//   fails the whole request with INVALID_REQUEST, as Kafka's CoordinatorType.forId throws.
// - Below v4 an error takes the whole response with Kafka's generic message for the code
//   and no node (Kafka's getErrorResponse); a success carries the message "NONE" (what
//   Kafka's Errors.NONE.message() gives). From v4 each key has its own code and no message.
// - v5 only says the client understands TRANSACTION_ABORTABLE (KIP-890) and v6 adds the
//   share key type; Kafka's broker answers v4-6 alike (it never returns
//   TRANSACTION_ABORTABLE here).
// - Listed from v0 also because librdkafka < 2.11 enables its LZ4 support only when
//   FindCoordinator includes v0 (protocol-facts §10 trap 2): without it, kcat and
//   confluent-kafka silently send lz4 batches uncompressed.
// - ACLs: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or transactional id
//   (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), per key from v4.

import { decodeFindCoordinatorRequest, type FindCoordinatorRequest } from '../../protocol/messages/find-coordinator-request.ts'
import { encodeFindCoordinatorResponse, type FindCoordinatorResponse } from '../../protocol/messages/find-coordinator-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import { authorizedGroup, authorizedTransactionalId, Op } from '../security/authorizer.ts'

const KeyType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const
/** Kafka's FindCoordinatorRequest.MIN_BATCHED_VERSION. */
const MIN_BATCHED_VERSION = 4
// Errors.INVALID_REQUEST's description, which Kafka's error responses carry as the message.
const INVALID_REQUEST_MESSAGE = 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.'

function errorAnswer(req: FindCoordinatorRequest, errorCode: number, errorMessage: string | null): FindCoordinatorResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    nodeId: -1,
    host: '',
    port: -1,
    coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage })),
  }
}

/** KafkaApis: DESCRIBE on the group or the transactional id the key names. */
function deniedKey(ctx: RequestContext, keyType: number, key: string): number {
  if (keyType === KeyType.GROUP) return authorizedGroup(ctx, Op.DESCRIBE, key) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED
  return authorizedTransactionalId(ctx, Op.DESCRIBE, key) ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  decode: decodeFindCoordinatorRequest,
  encode: encodeFindCoordinatorResponse,
  handle(ctx, req) {
    const b = ctx.broker
    if (req.keyType !== KeyType.GROUP && req.keyType !== KeyType.TRANSACTION && req.keyType !== KeyType.SHARE) {
      b.logger.debug({ keyType: req.keyType, connection: ctx.connectionId }, 'FindCoordinator with an unknown coordinator type')
      return errorAnswer(req, ErrorCode.INVALID_REQUEST, INVALID_REQUEST_MESSAGE)
    }
    // Share groups are not offered: no share coordinator to name, at any version.
    const errorCode = req.keyType === KeyType.SHARE ? ErrorCode.INVALID_REQUEST : ErrorCode.NONE
    if (ctx.header.apiVersion < MIN_BATCHED_VERSION) {
      if (errorCode !== ErrorCode.NONE) return errorAnswer(req, errorCode, INVALID_REQUEST_MESSAGE)
      const denied = deniedKey(ctx, req.keyType, req.key)
      if (denied !== ErrorCode.NONE) return errorAnswer(req, denied, null)
      return { throttleTimeMs: 0, errorCode, errorMessage: 'NONE', nodeId: b.nodeId, host: ctx.listener.advertisedHost, port: ctx.listener.advertisedPort, coordinators: [] }
    }
    const keyError = (key: string): number => (errorCode !== ErrorCode.NONE ? errorCode : deniedKey(ctx, req.keyType, key))
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: req.coordinatorKeys.map((key) => {
        const e = keyError(key)
        const ok = e === ErrorCode.NONE
        return { key, nodeId: ok ? b.nodeId : -1, host: ok ? ctx.listener.advertisedHost : '', port: ok ? ctx.listener.advertisedPort : -1, errorCode: e, errorMessage: null }
      }),
    }
  },
  errorResponse: (req, errorCode) => errorAnswer(req, errorCode, null),
})

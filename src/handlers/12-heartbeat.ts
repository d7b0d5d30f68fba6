// Heartbeat (key 12), versions 0-4.
// - Resets the member's session timer. REBALANCE_IN_PROGRESS while the group prepares a
//   rebalance (the member must rejoin), ILLEGAL_GENERATION for a stale generation,
//   UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID for a replaced static member.
// - ACLs: READ on the group, else GROUP_AUTHORIZATION_FAILED.

import { decodeHeartbeatRequest, type HeartbeatRequest } from '../../protocol/messages/heartbeat-request.ts'
import { encodeHeartbeatResponse, type HeartbeatResponse } from '../../protocol/messages/heartbeat-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeHeartbeatRequest,
  encode: encodeHeartbeatResponse,
  handle(ctx, req) {
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
    const errorCode = ctx.broker.groups.heartbeat(req.groupId, req.generationId, req.memberId, ctx.header.apiVersion >= 3 ? req.groupInstanceId : null)
    return { throttleTimeMs: 0, errorCode }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode }
  },
})

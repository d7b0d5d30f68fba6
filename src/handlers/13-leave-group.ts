// LeaveGroup (key 13), versions 0-5.
// - v0-2 name one member; v3+ a batch of members (static ones by instance id), each
//   answered on its own; the top-level error of v0-2 is that one member's error.
// - Leaving members trigger a rebalance of the rest.
// - ACLs: READ on the group, else GROUP_AUTHORIZATION_FAILED.

import { decodeLeaveGroupRequest, type LeaveGroupRequest } from '../../protocol/messages/leave-group-request.ts'
import { encodeLeaveGroupResponse, type LeaveGroupResponse } from '../../protocol/messages/leave-group-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { LeaveMember } from '../groups/group-coordinator.ts'

function leaving(req: LeaveGroupRequest, version: number): LeaveMember[] {
  if (version >= 3) return req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
  return [{ memberId: req.memberId, groupInstanceId: null }]
}

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeLeaveGroupRequest,
  encode: encodeLeaveGroupResponse,
  handle(ctx, req) {
    const version = ctx.header.apiVersion
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] }
    const r = ctx.broker.groups.leave(req.groupId, leaving(req, version))
    if (version < 3) return { throttleTimeMs: 0, errorCode: r.errorCode !== 0 ? r.errorCode : (r.members[0]?.errorCode ?? 0), members: [] }
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })) }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] }
  },
})

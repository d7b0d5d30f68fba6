// SyncGroup (key 14), versions 0-5.
// - Followers wait until the leader's assignments arrive (and are written to
//   __consumer_offsets); then everyone gets its own assignment and the group is Stable.
// - A member the leader left out gets empty bytes. v5+ protocol type/name must match
//   the group's (INCONSISTENT_GROUP_PROTOCOL otherwise).
// - ACLs: READ on the group, else GROUP_AUTHORIZATION_FAILED.

import { decodeSyncGroupRequest, type SyncGroupRequest } from '../../protocol/messages/sync-group-request.ts'
import { encodeSyncGroupResponse, type SyncGroupResponse } from '../../protocol/messages/sync-group-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeSyncGroupRequest,
  encode: encodeSyncGroupResponse,
  async handle(ctx, req) {
    const version = ctx.header.apiVersion
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
    const r = await ctx.broker.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
      protocolType: version >= 5 ? req.protocolType : null,
      protocolName: version >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    })
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
  },
})

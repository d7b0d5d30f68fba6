// JoinGroup (key 11), versions 0-9.
// - The classic protocol as Kafka's coordinator runs it (src/groups/group-coordinator.ts):
//   v4+ dynamic members first get MEMBER_ID_REQUIRED with their id (KIP-394); static
//   members (group.instance.id, v5+) replace their old member id, which is fenced.
// - v0 has no rebalance timeout: the session timeout is used, as in Kafka.
// - The answer waits for the rebalance; the leader receives every member's metadata.
// - v9: a static leader rejoining a Stable group is told to skip the assignment (KIP-814).
// - ACLs: READ on the group, else GROUP_AUTHORIZATION_FAILED.

import { decodeJoinGroupRequest, type JoinGroupRequest } from '../../protocol/messages/join-group-request.ts'
import { encodeJoinGroupResponse, type JoinGroupResponse } from '../../protocol/messages/join-group-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import type { JoinResult } from '../groups/classic-group.ts'
import { clientHost } from './client-host.ts'

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Non-nullable before v7.
    protocolName: r.protocolName ?? (version >= 7 ? null : ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  }
}

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  decode: decodeJoinGroupRequest,
  encode: encodeJoinGroupResponse,
  async handle(ctx, req) {
    const version = ctx.header.apiVersion
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) {
      return toResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }, version)
    }
    const result = await ctx.broker.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: version >= 5 ? req.groupInstanceId : null,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHost(ctx.remote),
      rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: version >= 4,
      supportsSkipAssignment: version >= 9,
    })
    return toResponse(result, version)
  },
  errorResponse(req, errorCode, version) {
    return toResponse({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }, version)
  },
})

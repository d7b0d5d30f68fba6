// DescribeGroups (key 15), versions 0-5.
// - A group that does not exist is described as Dead with no error (Kafka before v6).
// - Member metadata and assignments are filled in only for a Stable group, with its
//   protocol name, as Kafka's group summary does.
// - ACLs: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED for it; authorized
//   operations (v3+) are what the principal's ACLs allow.

import { decodeDescribeGroupsRequest, type DescribeGroupsRequest } from '../../protocol/messages/describe-groups-request.ts'
import { encodeDescribeGroupsResponse, type DescribeGroupsResponse } from '../../protocol/messages/describe-groups-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, authorizedOperations, Op, ResourceType } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const NO_OPS = -2147483648
// READ, DELETE, DESCRIBE (AclOperation codes): everything a group allows, with no ACLs.
// READ, DELETE, DESCRIBE (AclOperation codes)
const GROUP_OPS = [3, 6, 8]

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeDescribeGroupsRequest,
  encode: encodeDescribeGroupsResponse,
  handle(ctx, req) {
    const withOps = ctx.header.apiVersion >= 3 && req.includeAuthorizedOperations
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        if (!authorizedGroup(ctx, Op.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPS }
        const g = ctx.broker.groups.describe(groupId)
        return {
          errorCode: g.errorCode,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocol,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: withOps ? authorizedOperations(ctx, ResourceType.GROUP, groupId, GROUP_OPS) : NO_OPS,
        }
      }),
    }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPS })),
    }
  },
})

// DescribeGroups (key 15), versions 0-5.
// - A group that does not exist is described as Dead with no error (Kafka before v6).
// - Member metadata and assignments are filled in only for a Stable group, with its
//   protocol name, as Kafka's group summary does.

import { decodeDescribeGroupsRequest, type DescribeGroupsRequest } from '../../protocol/messages/describe-groups-request.ts'
import { encodeDescribeGroupsResponse, type DescribeGroupsResponse } from '../../protocol/messages/describe-groups-response.ts'
import { defineHandler } from './api-handler.ts'

const NO_OPS = -2147483648
// READ, DELETE, DESCRIBE (AclOperation codes): everything a group allows, with no ACLs.
const ALL_GROUP_OPS = (1 << 3) | (1 << 6) | (1 << 8)

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
          authorizedOperations: withOps ? ALL_GROUP_OPS : NO_OPS,
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

// DeleteGroups (key 42), versions 0-2.
// - Only a group with no members can go (NON_EMPTY_GROUP otherwise); an unknown group is
//   GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned in __consumer_offsets.
// - ACLs: DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.

import { decodeDeleteGroupsRequest, type DeleteGroupsRequest } from '../../protocol/messages/delete-groups-request.ts'
import { encodeDeleteGroupsResponse, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeDeleteGroupsRequest,
  encode: encodeDeleteGroupsResponse,
  async handle(ctx, req) {
    const results = []
    for (const groupId of req.groupsNames) {
      results.push({ groupId, errorCode: authorizedGroup(ctx, Op.DELETE, groupId) ? await ctx.broker.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED })
    }
    return { throttleTimeMs: 0, results }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }
  },
})

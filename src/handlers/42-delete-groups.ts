// DeleteGroups (key 42), versions 0-2.
// - Only a group with no members can go (NON_EMPTY_GROUP otherwise); an unknown group is
//   GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned in __consumer_offsets.

import { decodeDeleteGroupsRequest, type DeleteGroupsRequest } from '../../protocol/messages/delete-groups-request.ts'
import { encodeDeleteGroupsResponse, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups-response.ts'
import { defineHandler } from './api-handler.ts'

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeDeleteGroupsRequest,
  encode: encodeDeleteGroupsResponse,
  async handle(ctx, req) {
    const results = []
    for (const groupId of req.groupsNames) results.push({ groupId, errorCode: await ctx.broker.groups.deleteGroup(groupId) })
    return { throttleTimeMs: 0, results }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }
  },
})

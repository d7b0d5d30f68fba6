// ListGroups (key 16), versions 0-5.
// - Every group this coordinator knows except Dead ones; v4+ filter by state
//   (case-insensitive), v5+ by type: every group here is "classic".
// - ACLs: DESCRIBE on the cluster lists every group; otherwise only the groups the
//   principal may DESCRIBE.

import { decodeListGroupsRequest, type ListGroupsRequest } from '../../protocol/messages/list-groups-request.ts'
import { encodeListGroupsResponse, type ListGroupsResponse } from '../../protocol/messages/list-groups-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, authorizedGroup, Op } from '../security/authorizer.ts'

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeListGroupsRequest,
  encode: encodeListGroupsResponse,
  handle(ctx, req) {
    const version = ctx.header.apiVersion
    const r = ctx.broker.groups.list(version >= 4 ? req.statesFilter : [])
    const types = version >= 5 ? req.typesFilter.map((t) => t.toLowerCase()) : []
    const listed = types.length > 0 && !types.includes('classic') ? [] : r.groups
    const groups = authorizedCluster(ctx, Op.DESCRIBE) ? listed : listed.filter((g) => authorizedGroup(ctx, Op.DESCRIBE, g.groupId))
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' })),
    }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] }
  },
})

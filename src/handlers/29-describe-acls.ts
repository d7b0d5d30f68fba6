// DescribeAcls (key 29), versions 0-3.
// - Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED); without an authorizer
//   SECURITY_DISABLED "No Authorizer is configured on the broker", as Kafka answers.
// - The filter is Kafka's AclBindingFilter: ANY resource type / pattern type /
//   operation / permission and null name / principal / host match everything; MATCH
//   returns the literal ACLs of the name, the literal wildcard and the prefixes of it.
//   A filter with UNKNOWN parts is INVALID_REQUEST.
// - ACLs are grouped by resource (type, name, pattern type). v0 has no pattern type:
//   its filter is LITERAL (the schema's default), so only literal ACLs reach it.

import { decodeDescribeAclsRequest, type DescribeAclsRequest } from '../../protocol/messages/describe-acls-request.ts'
import { encodeDescribeAclsResponse, type DescribeAclsResponse } from '../../protocol/messages/describe-acls-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { filterProblem, type AclFilter } from '../security/acl-types.ts'

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: 29,
  name: 'DescribeAcls',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeDescribeAclsRequest,
  encode: encodeDescribeAclsResponse,
  handle(ctx, req) {
    const none = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] })
    if (!authorizedCluster(ctx, Op.DESCRIBE)) return none(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    if (!ctx.broker.authorizer.enabled) return none(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker')
    const filter: AclFilter = {
      resourceType: req.resourceTypeFilter, resourceName: req.resourceNameFilter, patternType: req.patternTypeFilter,
      principal: req.principalFilter, host: req.hostFilter, operation: req.operation, permission: req.permissionType,
    }
    const problem = filterProblem(filter)
    if (problem !== null) return none(ErrorCode.INVALID_REQUEST, problem)
    const resources = new Map<string, DescribeAclsResponse['resources'][number]>()
    for (const a of ctx.broker.authorizer.store.matching(filter)) {
      const key = `${a.resourceType}\u0000${a.patternType}\u0000${a.resourceName}`
      let r = resources.get(key)
      if (r === undefined) resources.set(key, r = { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, acls: [] })
      r.acls.push({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...resources.values()] }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, resources: [] }
  },
})

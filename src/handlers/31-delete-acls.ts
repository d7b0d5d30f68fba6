// DeleteAcls (key 31), versions 0-3.
// - Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every filter);
//   without an authorizer SECURITY_DISABLED "No Authorizer is configured.".
// - Each filter (Kafka's AclBindingFilter, MATCH and ANY included) removes every ACL it
//   matches and lists them; an ACL two filters match is listed under both. A filter
//   with UNKNOWN parts is INVALID_REQUEST "Unknown patternFilter." / "Unknown
//   entryFilter." (AclControlManager.validateFilter). Removals are persisted together
//   before the answer; a write failure answers KAFKA_STORAGE_ERROR and changes nothing.

import { decodeDeleteAclsRequest, type DeleteAclsRequest } from '../../protocol/messages/delete-acls-request.ts'
import { encodeDeleteAclsResponse, type DeleteAclsResponse } from '../../protocol/messages/delete-acls-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { describeAcl, filterProblem, type AclFilter } from '../security/acl-types.ts'

type FilterResult = DeleteAclsResponse['filterResults'][number]

export default defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: 31,
  name: 'DeleteAcls',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeDeleteAclsRequest,
  encode: encodeDeleteAclsResponse,
  handle(ctx, req) {
    const all = (errorCode: number, errorMessage: string): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) })
    if (!authorizedCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.')
    const filters: Array<{ index: number; filter: AclFilter }> = []
    const results: FilterResult[] = req.filters.map((f, index) => {
      const filter: AclFilter = {
        resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter,
        principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permission: f.permissionType,
      }
      const problem = filterProblem(filter)
      if (problem !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] }
      filters.push({ index, filter })
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: [] }
    })
    try {
      const removed = ctx.broker.authorizer.store.remove(filters.map((f) => f.filter))
      filters.forEach((f, i) => {
        results[f.index].matchingAcls = removed[i].map((a) => ({
          errorCode: ErrorCode.NONE, errorMessage: null, resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType,
          principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission,
        }))
      })
      for (const a of new Set(removed.flat())) ctx.broker.logger.info({ principal: ctx.security.principal, acl: describeAcl(a) }, 'ACL deleted')
    } catch (err) {
      ctx.broker.logger.error({ err: (err as Error).message }, 'cannot persist ACLs')
      for (const f of filters) results[f.index] = { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `Cannot write the ACL store: ${(err as Error).message}`, matchingAcls: [] }
    }
    return { throttleTimeMs: 0, filterResults: results }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) }
  },
})

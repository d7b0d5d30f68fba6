// CreateAcls (key 30), versions 0-3.
// - Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every creation);
//   without an authorizer SECURITY_DISABLED "No Authorizer is configured.".
// - Each creation is checked as Kafka's AclApis and AclControlManager do, with their
//   INVALID_REQUEST messages: a known resource type (not ANY), LITERAL or PREFIXED,
//   a known operation (not ANY), ALLOW or DENY, `kafka-cluster` as the only CLUSTER
//   name, a non-empty name, a Type:name principal. v0 is literal only (its schema has
//   no pattern type). DELEGATION_TOKEN and USER ACLs are stored and described, though
//   no API here checks them.
// - The valid ones are stored together and persisted before the answer (an ACL that
//   exists already is not added twice); a write failure answers KAFKA_STORAGE_ERROR for
//   them and changes nothing.

import { decodeCreateAclsRequest, type CreateAclsRequest } from '../../protocol/messages/create-acls-request.ts'
import { encodeCreateAclsResponse, type CreateAclsResponse } from '../../protocol/messages/create-acls-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { describeAcl, newAclProblem, type AclBinding } from '../security/acl-types.ts'

type Result = CreateAclsResponse['results'][number]

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: 30,
  name: 'CreateAcls',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeCreateAclsRequest,
  encode: encodeCreateAclsResponse,
  handle(ctx, req) {
    const all = (errorCode: number, errorMessage: string): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) })
    if (!authorizedCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.')
    const results: Result[] = []
    const valid: Array<{ index: number; acl: AclBinding }> = []
    req.creations.forEach((c, index) => {
      const acl: AclBinding = { resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType, principal: c.principal, host: c.host, operation: c.operation, permission: c.permissionType }
      const problem = newAclProblem(acl)
      results.push(problem === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem })
      if (problem === null) valid.push({ index, acl })
    })
    if (valid.length > 0) {
      try {
        ctx.broker.authorizer.store.add(valid.map((v) => v.acl))
        for (const v of valid) ctx.broker.logger.info({ principal: ctx.security.principal, acl: describeAcl(v.acl) }, 'ACL created')
      } catch (err) {
        ctx.broker.logger.error({ err: (err as Error).message }, 'cannot persist ACLs')
        for (const v of valid) results[v.index] = { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `Cannot write the ACL store: ${(err as Error).message}` }
      }
    }
    return { throttleTimeMs: 0, results }
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage: null })) }
  },
})

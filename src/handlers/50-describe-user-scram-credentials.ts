// DescribeUserScramCredentials (key 50), version 0.
// - users null or empty: every user with a credential; otherwise each named user once,
//   with its mechanisms and iterations (never salts or keys), as Kafka's ScramImage.
// - A named user without credentials: RESOURCE_NOT_FOUND "Attempt to describe a user
//   credential that does not exist: <user>"; a user named twice: DUPLICATE_RESOURCE
//   "Cannot describe SCRAM credentials for the same user twice in a single request: <user>".
// - ACLs: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.

import { decodeDescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsRequest } from '../../protocol/messages/describe-user-scram-credentials-request.ts'
import { encodeDescribeUserScramCredentialsResponse, type DescribeUserScramCredentialsResponse } from '../../protocol/messages/describe-user-scram-credentials-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeDescribeUserScramCredentialsRequest,
  encode: encodeDescribeUserScramCredentialsResponse,
  handle(ctx, req) {
    if (!authorizedCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] }
    const store = ctx.broker.credentials
    const named = req.users === null || req.users.length === 0 ? null : req.users.map((u) => u.name)
    const duplicate = new Map<string, boolean>()
    for (const name of named ?? store.userNames()) duplicate.set(name, duplicate.has(name))
    const results = [...duplicate].map(([user, twice]) => {
      if (twice) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] }
      const infos = store.describe(user).map((c) => ({ mechanism: c.mechanism.type, iterations: c.iterations }))
      if (infos.length === 0) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] }
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos }
    })
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] }
  },
})

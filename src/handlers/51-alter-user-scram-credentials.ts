// AlterUserScramCredentials (key 51), version 0.
// - Upsertions carry the salted password the client computed (Hi(password, salt, i));
//   the broker keeps only StoredKey and ServerKey, as Kafka's ScramControlManager.
// - Per user, Kafka's checks and messages: empty name UNACCEPTABLE_CREDENTIAL "Username
//   must not be empty"; unknown mechanism UNSUPPORTED_SASL_MECHANISM "Unknown SCRAM
//   mechanism"; iterations below 4096 / above 16384 UNACCEPTABLE_CREDENTIAL "Too few
//   iterations" / "Too many iterations"; deleting a credential that does not exist
//   RESOURCE_NOT_FOUND; a user altered twice in one request DUPLICATE_RESOURCE "A user
//   credential cannot be altered twice in the same request".
// - The accepted changes are applied together and persisted in the data dir before the
//   answer; a write failure answers KAFKA_STORAGE_ERROR for those users and changes nothing.
// - ACLs: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every user.

import { decodeAlterUserScramCredentialsRequest, type AlterUserScramCredentialsRequest } from '../../protocol/messages/alter-user-scram-credentials-request.ts'
import { encodeAlterUserScramCredentialsResponse, type AlterUserScramCredentialsResponse } from '../../protocol/messages/alter-user-scram-credentials-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, Op } from '../security/authorizer.ts'
import { credentialFromSaltedPassword, type ScramCredential, type ScramCredentialStore } from '../security/scram-credential-store.ts'
import { SCRAM_MAX_ITERATIONS, scramByType } from '../security/sasl-mechanisms.ts'

interface ApiError { errorCode: number; errorMessage: string }

function checkNameAndMechanism(name: string, mechanism: number): ApiError | null {
  if (name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' }
  if (scramByType(mechanism) === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' }
  return null
}

function checkDeletion(store: ScramCredentialStore, name: string, mechanism: number): ApiError | null {
  const bad = checkNameAndMechanism(name, mechanism)
  if (bad !== null) return bad
  if (!store.has(name, scramByType(mechanism)!.name)) return { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' }
  return null
}

function checkUpsertion(name: string, mechanism: number, iterations: number): ApiError | null {
  const bad = checkNameAndMechanism(name, mechanism)
  if (bad !== null) return bad
  if (iterations < scramByType(mechanism)!.minIterations) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' }
  if (iterations > SCRAM_MAX_ITERATIONS) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' }
  return null
}

const DUPLICATE: ApiError = { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' }

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeAlterUserScramCredentialsRequest,
  encode: encodeAlterUserScramCredentialsResponse,
  handle(ctx, req) {
    if (!authorizedCluster(ctx, Op.ALTER)) {
      const users = new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) }
    }
    const store = ctx.broker.credentials
    // Kafka's order: deletions first, then upsertions; a user seen again becomes DUPLICATE.
    const errors = new Map<string, ApiError>()
    const changes = new Map<string, { mechanism: string; credential: ScramCredential | null }>()
    for (const d of req.deletions) {
      if (errors.has(d.name)) continue
      if (changes.delete(d.name)) {
        errors.set(d.name, DUPLICATE)
        continue
      }
      const bad = checkDeletion(store, d.name, d.mechanism)
      if (bad !== null) errors.set(d.name, bad)
      else changes.set(d.name, { mechanism: scramByType(d.mechanism)!.name, credential: null })
    }
    for (const u of req.upsertions) {
      if (errors.has(u.name)) continue
      if (changes.delete(u.name)) {
        errors.set(u.name, DUPLICATE)
        continue
      }
      const bad = checkUpsertion(u.name, u.mechanism, u.iterations)
      if (bad !== null) {
        errors.set(u.name, bad)
        continue
      }
      const m = scramByType(u.mechanism)!
      if (u.saltedPassword.length !== m.hashLength || u.salt.length === 0) {
        errors.set(u.name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `The salted password of ${m.name} must be ${m.hashLength} bytes and the salt not empty` })
        continue
      }
      changes.set(u.name, { mechanism: m.name, credential: credentialFromSaltedPassword(m, u.saltedPassword, u.salt, u.iterations) })
    }
    const results: AlterUserScramCredentialsResponse['results'] = []
    if (changes.size > 0) {
      try {
        store.apply([...changes].map(([user, c]) => ({ user, mechanism: c.mechanism, credential: c.credential })))
        for (const [user, c] of changes) ctx.broker.logger.info({ user, mechanism: c.mechanism, change: c.credential === null ? 'deleted' : 'set' }, 'SCRAM credential changed')
        for (const user of changes.keys()) results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (err) {
        ctx.broker.logger.error({ err: (err as Error).message }, 'cannot persist SCRAM credentials')
        for (const user of changes.keys()) results.push({ user, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `Cannot write the credential store: ${(err as Error).message}` })
      }
    }
    for (const [user, e] of errors) results.push({ user, errorCode: e.errorCode, errorMessage: e.errorMessage })
    return { throttleTimeMs: 0, results }
  },
  errorResponse(req, errorCode) {
    const users = new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])
    return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode, errorMessage: null })) }
  },
})

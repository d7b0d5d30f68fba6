// SaslAuthenticate (key 36), versions 0-2.
// - After a v1 SaslHandshake: one SASL token per request, answered with the next
//   challenge. A failed exchange answers SASL_AUTHENTICATION_FAILED with Kafka's message
//   (PLAIN: "Authentication failed: Invalid username or password"; SCRAM: "Authentication
//   failed during authentication due to invalid credentials with SASL mechanism …", which
//   does not say whether the user exists) and the connection closes after the answer.
// - v1+: session_lifetime_ms is the shorter of connections.max.reauth.ms and, with
//   OAUTHBEARER, the token's exp (0 when neither bounds it), and the client may
//   re-authenticate (KIP-368).
// - Anywhere else ILLEGAL_SASL_STATE ("SaslAuthenticate request received after
//   successful authentication" once authenticated, as Kafka's KafkaApis).

import { decodeSaslAuthenticateRequest, type SaslAuthenticateRequest } from '../../protocol/messages/sasl-authenticate-request.ts'
import { encodeSaslAuthenticateResponse, type SaslAuthenticateResponse } from '../../protocol/messages/sasl-authenticate-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'

const EMPTY = Buffer.alloc(0)

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeSaslAuthenticateRequest,
  encode: encodeSaslAuthenticateResponse,
  handle(ctx, req) {
    const sasl = ctx.security.sasl
    if (sasl === null) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: EMPTY, sessionLifetimeMs: 0 }
    }
    // The request frame's memory is reused once this returns; the exchange is asynchronous.
    return sasl.authenticate(Buffer.from(req.authBytes), ctx.header.apiVersion)
  },
  errorResponse(_req, errorCode) {
    return { errorCode, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 }
  },
})

// SaslHandshake (key 17), versions 0-1.
// - On a SASL listener before authentication: the requested mechanism must be in
//   sasl.enabled.mechanisms, else UNSUPPORTED_SASL_MECHANISM with the enabled list and
//   the connection closes once the answer has left (Kafka's SaslServerAuthenticator).
// - v0: the SASL tokens then follow as raw size-prefixed frames (kafka-python 2.0.2,
//   librdkafka without SaslAuthenticate); v1: they come as SaslAuthenticate requests.
//   v0 stays listed: librdkafka < 2.11 refuses SASL unless the range includes it.
// - Anywhere else (PLAINTEXT/SSL listeners, or an authenticated connection without
//   re-authentication) ILLEGAL_SASL_STATE, as Kafka's KafkaApis answers.
// - With connections.max.reauth.ms, an authenticated client that spoke SaslAuthenticate
//   v1+ may start again with the same mechanism (KIP-368).

import { decodeSaslHandshakeRequest, type SaslHandshakeRequest } from '../../protocol/messages/sasl-handshake-request.ts'
import { encodeSaslHandshakeResponse, type SaslHandshakeResponse } from '../../protocol/messages/sasl-handshake-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeSaslHandshakeRequest,
  encode: encodeSaslHandshakeResponse,
  handle(ctx, req) {
    const sasl = ctx.security.sasl
    if (sasl === null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    return sasl.handshake(req.mechanism, ctx.header.apiVersion)
  },
  errorResponse(_req, errorCode) {
    return { errorCode, mechanisms: [] }
  },
})

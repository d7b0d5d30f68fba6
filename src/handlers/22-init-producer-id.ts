// InitProducerId (key 22), versions 0-5.
// - Without a transactional id (the idempotent producer): a producer id never handed out
//   before by this data dir (src/producers/producer-id-manager.ts), epoch 0. As in
//   Kafka, the producer id and epoch that v3+ requests may carry are not checked then:
//   the answer is always a fresh id (KIP-360's bump applies to transactional ids only).
// - The transaction timeout is only checked for transactional ids. A v3+ request giving
//   only one of producer id and epoch is INVALID_REQUEST, as in Kafka.
// Not supported yet: transactional ids (transactions). Such a request is answered
// INVALID_REQUEST with a log line, so clients stop with an error instead of retrying.

import { decodeInitProducerIdRequest, type InitProducerIdRequest } from '../../protocol/messages/init-producer-id-request.ts'
import { encodeInitProducerIdResponse, type InitProducerIdResponse } from '../../protocol/messages/init-producer-id-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'

function failed(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }
}

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeInitProducerIdRequest,
  encode: encodeInitProducerIdResponse,
  handle(ctx, req) {
    if ((req.producerId === -1) !== (req.producerEpoch === -1)) return failed(ErrorCode.INVALID_REQUEST)
    if (req.transactionalId !== null) {
      ctx.broker.logger.warn({ transactionalId: req.transactionalId, remote: ctx.remote }, 'InitProducerId with a transactional id: transactions are not supported yet')
      return failed(ErrorCode.INVALID_REQUEST)
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.broker.producerIds.generate(), producerEpoch: 0 }
  },
  errorResponse: (_req, errorCode) => failed(errorCode),
})

// InitProducerId (key 22), versions 0-5.
// - Without a transactional id (the idempotent producer): a producer id never handed out
//   before by this data dir (src/producers/producer-id-manager.ts), epoch 0. As in
//   Kafka, the producer id and epoch that v3+ requests may carry are not checked then:
//   the answer is always a fresh id (KIP-360's bump applies to transactional ids only).
// - With a transactional id: the transaction coordinator's id and epoch, bumped on every
//   call, which fences the previous holder; an open transaction of that holder is aborted
//   first (CONCURRENT_TRANSACTIONS until then; clients retry). A v3+ request naming the
//   producer id and epoch it had (KIP-360) must name the current ones, else
//   PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v4). The timeout must be in
//   (0, transaction.max.timeout.ms], else INVALID_TRANSACTION_TIMEOUT.
// - A v3+ request giving only one of producer id and epoch is INVALID_REQUEST, as in Kafka.
// - ACLs: a transactional id needs WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
//   an idempotent producer IDEMPOTENT_WRITE on the cluster or WRITE on some topic
//   (CLUSTER_AUTHORIZATION_FAILED), as Kafka 4 allows.

import { decodeInitProducerIdRequest, type InitProducerIdRequest } from '../../protocol/messages/init-producer-id-request.ts'
import { encodeInitProducerIdResponse, type InitProducerIdResponse } from '../../protocol/messages/init-producer-id-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedCluster, authorizedForAnyResource, authorizedTransactionalId, Op, ResourceType } from '../security/authorizer.ts'
import { fencedForVersion } from './txn-errors.ts'

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
  async handle(ctx, req) {
    if ((req.producerId === -1) !== (req.producerEpoch === -1)) return failed(ErrorCode.INVALID_REQUEST)
    if (req.transactionalId !== null) {
      if (!authorizedTransactionalId(ctx, Op.WRITE, req.transactionalId)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      const r = await ctx.broker.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch)
      if (r.error !== ErrorCode.NONE) return failed(fencedForVersion(r.error, ctx.header.apiVersion, 4))
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch }
    }
    if (!authorizedCluster(ctx, Op.IDEMPOTENT_WRITE) && !authorizedForAnyResource(ctx, Op.WRITE, ResourceType.TOPIC)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.broker.producerIds.generate(), producerEpoch: 0 }
  },
  errorResponse: (_req, errorCode) => failed(errorCode),
})

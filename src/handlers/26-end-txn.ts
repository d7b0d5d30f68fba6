// EndTxn (key 26), versions 0-4 (v5 bumps the epoch on every transaction, KIP-890 part
// 2, which clients only use when the broker advertises transaction.version 2).
// - Ongoing: the decision (PrepareCommit / PrepareAbort) is written to
//   `__transaction_state`, then a COMMIT or ABORT marker to every partition of the
//   transaction, then CompleteCommit / CompleteAbort; the answer waits for the markers.
// - A retry after completion gets NONE for the same outcome, INVALID_TXN_STATE for the
//   other; no transaction (Empty) INVALID_TXN_STATE; a wrong producer id
//   INVALID_PRODUCER_ID_MAPPING; a stale epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH
//   before v2); a completion in progress CONCURRENT_TRANSACTIONS.

import { decodeEndTxnRequest, type EndTxnRequest } from '../../protocol/messages/end-txn-request.ts'
import { encodeEndTxnResponse, type EndTxnResponse } from '../../protocol/messages/end-txn-response.ts'
import { defineHandler } from './api-handler.ts'
import { fencedForVersion } from './txn-errors.ts'

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeEndTxnRequest,
  encode: encodeEndTxnResponse,
  async handle(ctx, req) {
    const error = await ctx.broker.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed)
    return { throttleTimeMs: 0, errorCode: fencedForVersion(error, ctx.header.apiVersion, 2), producerId: -1, producerEpoch: -1 }
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }),
})

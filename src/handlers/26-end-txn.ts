// EndTxn (key 26), versions 0-5.
// - Ongoing: the decision (PrepareCommit / PrepareAbort) is written to
//   `__transaction_state`, then a COMMIT or ABORT marker to every partition of the
//   transaction, then CompleteCommit / CompleteAbort; the answer waits for the markers.
// - v0-4 (transaction version 1): a retry after completion gets NONE for the same
//   outcome, INVALID_TXN_STATE for the other; no transaction (Empty) INVALID_TXN_STATE; a
//   wrong producer id INVALID_PRODUCER_ID_MAPPING; a stale epoch PRODUCER_FENCED
//   (INVALID_PRODUCER_EPOCH before v2); a completion in progress CONCURRENT_TRANSACTIONS.
// - v5 (transaction version 2, KIP-890 part 2): the end of every transaction bumps the
//   epoch, the markers carry the bumped epoch, and the answer carries the producer id and
//   epoch to continue with (a new id at epoch 0 once the epoch is exhausted). A retry
//   comes with the epoch before the bump and gets the same answer; an abort with nothing
//   in the transaction is allowed (and bumps too). Kafka picks the rules by the request's
//   version alone. Clients send v5 only when the broker finalizes the
//   `transaction.version` feature at 2, which Samsa does not advertise (Produce v12, the
//   rest of transaction version 2, is not served), so stock clients stay on v4.
// - ACLs: WRITE on the transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.

import { decodeEndTxnRequest, type EndTxnRequest } from '../../protocol/messages/end-txn-request.ts'
import { encodeEndTxnResponse, type EndTxnResponse } from '../../protocol/messages/end-txn-response.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTransactionalId, Op } from '../security/authorizer.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { fencedForVersion } from './txn-errors.ts'

/** Kafka's EndTxnRequest.LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2. */
const LAST_VERSION_BEFORE_TV2 = 4

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeEndTxnRequest,
  encode: encodeEndTxnResponse,
  async handle(ctx, req) {
    const version = ctx.header.apiVersion
    if (!authorizedTransactionalId(ctx, Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 }
    const r = await ctx.broker.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, version > LAST_VERSION_BEFORE_TV2)
    return { throttleTimeMs: 0, errorCode: fencedForVersion(r.error, version, 2), producerId: r.producerId, producerEpoch: r.producerEpoch }
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }),
})

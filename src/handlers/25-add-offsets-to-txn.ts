// AddOffsetsToTxn (key 25), versions 0-4: adds the `__consumer_offsets` partition of the
// group to the producer's transaction, so TxnOffsetCommit can write there and the
// markers apply the offsets. Errors as AddPartitionsToTxn's.
// ACLs: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ
// on the group (GROUP_AUTHORIZATION_FAILED).

import { decodeAddOffsetsToTxnRequest, type AddOffsetsToTxnRequest } from '../../protocol/messages/add-offsets-to-txn-request.ts'
import { encodeAddOffsetsToTxnResponse, type AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedGroup, authorizedTransactionalId, Op } from '../security/authorizer.ts'
import { fencedForVersion } from './txn-errors.ts'

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeAddOffsetsToTxnRequest,
  encode: encodeAddOffsetsToTxnResponse,
  async handle(ctx, req) {
    if (!authorizedTransactionalId(ctx, Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
    if (!authorizedGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID }
    const offsets = ctx.broker.txns.offsetsPartitionOf(req.groupId, ctx.broker.groups.log)
    // The offsets topic is made on first use; it must exist before its partition joins a transaction.
    const ready = await ctx.broker.groups.log.ensureExists()
    if (ready !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: ready }
    const error = await ctx.broker.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [offsets])
    return { throttleTimeMs: 0, errorCode: fencedForVersion(error, ctx.header.apiVersion, 2) }
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode }),
})

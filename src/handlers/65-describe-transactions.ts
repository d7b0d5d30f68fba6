// DescribeTransactions (key 65), version 0: state, timeout, start time, producer id and
// epoch and partitions of each transactional id; TRANSACTIONAL_ID_NOT_FOUND for unknown ids.
// - ACLs: DESCRIBE on each transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.

import { decodeDescribeTransactionsRequest, type DescribeTransactionsRequest } from '../../protocol/messages/describe-transactions-request.ts'
import { encodeDescribeTransactionsResponse, type DescribeTransactionsResponse, type TransactionState } from '../../protocol/messages/describe-transactions-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTransactionalId, Op } from '../security/authorizer.ts'
import { TXN_STATE_NAMES } from '../transactions/transaction-coordinator.ts'

function unknown(transactionalId: string, errorCode: number): TransactionState {
  return { errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] }
}

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: 65,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeDescribeTransactionsRequest,
  encode: encodeDescribeTransactionsResponse,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        if (!authorizedTransactionalId(ctx, Op.DESCRIBE, id)) return unknown(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        const { errorCode, m } = ctx.broker.txns.describe(id)
        if (m === undefined) return unknown(id, errorCode)
        return {
          errorCode,
          transactionalId: id,
          transactionState: TXN_STATE_NAMES[m.state]!,
          transactionTimeoutMs: m.timeoutMs,
          transactionStartTimeMs: m.startTimestamp,
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          topics: [...m.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
        }
      }),
    }
  },
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => unknown(id, errorCode)) }),
})

// ListTransactions (key 66), versions 0-1: every transactional id, filtered by state
// names (unknown names are returned in unknown_state_filters), producer ids, and (v1,
// KIP-994) by running for at least duration_filter ms.
// - ACLs: only the transactional ids the principal may DESCRIBE are listed.

import { decodeListTransactionsRequest, type ListTransactionsRequest } from '../../protocol/messages/list-transactions-request.ts'
import { encodeListTransactionsResponse, type ListTransactionsResponse } from '../../protocol/messages/list-transactions-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler } from './api-handler.ts'
import { authorizedTransactionalId, Op } from '../security/authorizer.ts'
import { TXN_STATE_NAMES } from '../transactions/transaction-coordinator.ts'

const KNOWN = new Set(Object.values(TXN_STATE_NAMES))

export default defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: 66,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeListTransactionsRequest,
  encode: encodeListTransactionsResponse,
  handle(ctx, req) {
    const txns = ctx.broker.txns
    if (txns.isLoading) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] }
    const states = new Set(req.stateFilters.filter((s) => KNOWN.has(s)))
    const producers = new Set(req.producerIdFilters)
    const minDuration = ctx.header.apiVersion >= 1 ? req.durationFilter : -1
    const now = ctx.broker.clock.now()
    const transactionStates = []
    for (const m of txns.txns.values()) {
      const name = TXN_STATE_NAMES[m.state]!
      if (req.stateFilters.length > 0 && !states.has(name)) continue
      if (producers.size > 0 && !producers.has(m.producerId)) continue
      if (minDuration >= 0 && now - m.startTimestamp < minDuration) continue
      if (!authorizedTransactionalId(ctx, Op.DESCRIBE, m.transactionalId)) continue
      transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: name })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: req.stateFilters.filter((s) => !KNOWN.has(s)), transactionStates }
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] }),
})

// Error codes transactional APIs answer older clients with: PRODUCER_FENCED exists only
// from a version on; before it, Kafka answers INVALID_PRODUCER_EPOCH (same meaning).

import { ErrorCode } from '../../protocol/error-codes.ts'

/** `error` as a client speaking `version` understands it, where PRODUCER_FENCED arrived in `fencedSince`. */
export function fencedForVersion(error: number, version: number, fencedSince: number): number {
  return error === ErrorCode.PRODUCER_FENCED && version < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : error
}

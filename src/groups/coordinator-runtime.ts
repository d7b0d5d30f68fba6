// Kafka's CoordinatorResult and the runtime that completes it: an operation decides
// what to write and what that will change, the runtime appends the records, and only
// then is the change applied and the request answered. A failed append so leaves memory
// as it was, and no flow awaits a disk write halfway through a state change (the
// flows that still change state first say why, in group-coordinator.ts).

import { ErrorCode } from '../../protocol/error-codes.ts'
import type { RecordInput } from '../../protocol/records/record-batch-builder.ts'
import type { CoordinatorLog } from '../coordinator/coordinator-log.ts'

export interface CoordinatorResult<T> {
  /** Appended as one batch to the key's `__consumer_offsets` partition; none means nothing to write. */
  records: RecordInput[]
  /** Writes them as this producer's transactional batch (TxnOffsetCommit). */
  producer?: { producerId: number; producerEpoch: number }
  /** Applies what the records say and gives the answer; runs once they are durable. */
  complete(): T
  /** The answer when they could not be written (an error code from the writer). */
  failed(error: number): T
}

/** The one thing the runtime needs from the coordinator log. */
export type RecordWriter = Pick<CoordinatorLog, 'append'>

/** An answer that needs no write. */
export function answer<T>(response: T): CoordinatorResult<T> {
  return { records: [], complete: () => response, failed: () => response }
}

export class CoordinatorRuntime {
  private readonly writer: RecordWriter

  constructor(writer: RecordWriter) {
    this.writer = writer
  }

  /**
   * Appends `result`'s records under `key`, then completes it. The append starts before
   * this returns, so writes reach the partition in the order operations ran.
   */
  async run<T>(key: string, result: CoordinatorResult<T>): Promise<T> {
    if (result.records.length === 0) return result.complete()
    const error = await this.writer.append(key, result.records, result.producer)
    return error === ErrorCode.NONE ? result.complete() : result.failed(error)
  }
}

// The three ways an admin command fails, each with its exit code:
// - UsageError (2): the command line is wrong; nothing was sent.
// - AdminError (1): the cluster could not be reached, or refused, or the request makes
//   no sense for what is there (a missing topic, a busy group).
// - KafkaError (1): an AdminError carrying a Kafka error code, printed as Kafka names it.

import { errorName } from '../../../protocol/error-codes.ts'

export class UsageError extends Error {
  override name = 'UsageError'
}

export class AdminError extends Error {
  override name = 'AdminError'
}

/** Kafka's own wording for the codes an admin command is likely to meet (Errors.java). */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  [-1]: 'The server experienced an unexpected error when processing the request.',
  1: 'The requested offset is not within the range of offsets maintained by the server.',
  3: 'This server does not host this topic-partition.',
  5: 'There is no leader for this topic-partition as we are in the middle of a leadership election.',
  6: 'This server is not the leader for that topic-partition.',
  7: 'The request timed out.',
  14: "The coordinator is loading and hence can't process requests.",
  15: 'The coordinator is not available.',
  16: 'This is not the correct coordinator.',
  17: 'The request attempted to perform an operation on an invalid topic.',
  24: 'The configured groupId is invalid.',
  25: 'The coordinator is not aware of this member.',
  27: 'The group is rebalancing, so a rejoin is needed.',
  29: 'Topic authorization failed.',
  30: 'Group authorization failed.',
  31: 'Cluster authorization failed.',
  35: 'The version of API is not supported.',
  36: 'Topic with this name already exists.',
  37: 'Number of partitions is below 1.',
  38: 'Replication factor is below 1 or larger than the number of available brokers.',
  39: 'Replica assignment is invalid.',
  40: 'Configuration is invalid.',
  41: 'This is not the correct controller for this cluster.',
  42: 'The request was malformed or is not supported by the broker.',
  44: 'Request parameters do not satisfy the configured policy.',
  68: 'The group is not empty.',
  69: 'The group id does not exist.',
  73: 'Topic deletion is disabled.',
  89: 'The throttling quota has been exceeded.',
  91: 'A request illegally referred to a resource that does not exist.',
  100: 'This server does not host this topic ID.',
}

export class KafkaError extends AdminError {
  override name = 'KafkaError'
  readonly code: number
  readonly errorName: string

  /** `Error: TOPIC_ALREADY_EXISTS: Topic 'x' already exists.` once printed. */
  constructor (code: number, message?: string | null) {
    const text = message !== undefined && message !== null && message !== '' ? message : (DEFAULT_MESSAGES[code] ?? 'no message from the broker')
    super(`${errorName(code)}: ${text}`)
    this.code = code
    this.errorName = errorName(code)
  }
}

/** Throws a KafkaError unless `code` is NONE. */
export function check (code: number, message?: string | null): void {
  if (code !== 0) throw new KafkaError(code, message)
}

/** Kafka's default text for the code, then what was being done: `…topic-partition (listing offsets of t-0).` */
export function inContext (code: number, doing: string): string {
  const base = DEFAULT_MESSAGES[code] ?? 'no message from the broker.'
  return `${base.replace(/\.$/, '')} (${doing}).`
}

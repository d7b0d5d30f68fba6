// The coded error storage throws: `code` is the Kafka error code a handler answers with.

import { errorName } from '../protocol/error-codes.ts'

export class StorageError extends Error {
  readonly code: number

  constructor(code: number, message: string) {
    super(message)
    this.name = `StorageError(${errorName(code)})`
    this.code = code
  }
}

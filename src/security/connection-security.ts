// Who is on the other end of a connection and how it got in: the listener it came
// through and the Kafka principal (User:ANONYMOUS on PLAINTEXT, the mapped certificate
// subject on SSL with a client certificate, the SASL user once authenticated).

import type { SecurityProtocol } from '../config/listeners.ts'
import type { SaslAuthenticator } from './sasl-authenticator.ts'

export const ANONYMOUS = 'User:ANONYMOUS'

export interface ConnectionSecurity {
  readonly listener: string
  readonly securityProtocol: SecurityProtocol
  principal: string
  /** Null on PLAINTEXT and SSL listeners. */
  readonly sasl: SaslAuthenticator | null
}

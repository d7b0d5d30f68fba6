// The SASL mechanisms this broker implements, and Kafka's SCRAM mechanism table
// (ScramMechanism: wire type codes of AlterUserScramCredentials, hash, minimum iterations).

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const
export type SaslMechanism = typeof SASL_MECHANISMS[number]

export interface ScramMechanismInfo {
  name: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
  /** The `mechanism` code of AlterUserScramCredentials / DescribeUserScramCredentials. */
  type: number
  hash: 'sha256' | 'sha512'
  hashLength: number
  minIterations: number
}

// Kafka's ScramMechanism: both have a minimum of 4096 iterations (RFC 7677) and Kafka
// refuses more than 16384 in AlterUserScramCredentials.
export const SCRAM_SHA_256: ScramMechanismInfo = { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', hashLength: 32, minIterations: 4096 }
export const SCRAM_SHA_512: ScramMechanismInfo = { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', hashLength: 64, minIterations: 4096 }
export const SCRAM_MAX_ITERATIONS = 16384
export const SCRAM_MECHANISMS: readonly ScramMechanismInfo[] = [SCRAM_SHA_256, SCRAM_SHA_512]

export function scramByName(name: string): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name)
}

export function scramByType(type: number): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}

// Parsers for the ACL options (same contract as values.ts). ACLs are on exactly when
// authorizer.class.name names Kafka 4's StandardAuthorizer, as Kafka turns them on; the
// ZooKeeper-era AclAuthorizer is gone from Kafka 4 and is refused with the name to use.

import { InvalidValue } from './config-error.ts'
import type { Parser } from './values.ts'
import { STANDARD_AUTHORIZER, parseSuperUsers } from '../security/authorizer.ts'
import { principalProblem } from '../security/acl-types.ts'

export const authorizerClass: Parser<string> = (value) => {
  const expected = `empty (no authorizer: everyone may do everything) or ${STANDARD_AUTHORIZER}`
  if (typeof value !== 'string') throw new InvalidValue(expected)
  const v = value.trim()
  if (v === '' || v === STANDARD_AUTHORIZER) return v
  throw new InvalidValue(expected)
}

export const superUserList: Parser<string> = (value) => {
  const expected = 'principals separated by semicolons, like User:admin;User:ops'
  if (typeof value !== 'string') throw new InvalidValue(expected)
  const list = parseSuperUsers(value)
  if (list.some((p) => principalProblem(p) !== null)) throw new InvalidValue(expected)
  return list.join(';')
}

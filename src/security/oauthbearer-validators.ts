// Which OAUTHBEARER validator the broker options choose: with
// sasl.oauthbearer.jwks.endpoint.url, Kafka's secured one (signed tokens, keys from the
// JWKS; unsecured tokens are refused); without it, Kafka's default unsecured validator,
// for development only — anyone can mint its tokens, so the broker says so in its log.

import type { BrokerOptions } from '../config/broker-options.ts'
import type { Clock } from '../groups/clock.ts'
import type { Logger } from '../logger.ts'
import { JwksKeySource } from './oauthbearer-jwks.ts'
import { JwtValidator } from './oauthbearer-jwt-validator.ts'
import type { OAuthBearerValidator } from './oauthbearer-token.ts'
import { UnsecuredValidator } from './oauthbearer-unsecured-validator.ts'

export function createOAuthBearerValidator(options: BrokerOptions, clock: Clock, logger: Logger): OAuthBearerValidator {
  const now = (): number => clock.now()
  if (options.saslOauthbearerJwksEndpointUrl !== '') {
    const keys = new JwksKeySource(options.saslOauthbearerJwksEndpointUrl, options.saslOauthbearerJwksEndpointRefreshMs, clock, logger)
    return new JwtValidator({
      expectedAudience: options.saslOauthbearerExpectedAudience === '' ? [] : options.saslOauthbearerExpectedAudience.split(','),
      expectedIssuer: options.saslOauthbearerExpectedIssuer,
      subClaimName: options.saslOauthbearerSubClaimName,
      scopeClaimName: options.saslOauthbearerScopeClaimName,
      clockSkewSeconds: options.saslOauthbearerClockSkewSeconds,
    }, keys, now)
  }
  logger.warn('OAUTHBEARER uses the unsecured validator (development only: anyone can make a token for any user); set sasl.oauthbearer.jwks.endpoint.url to verify signed tokens')
  return new UnsecuredValidator({
    principalClaimName: options.unsecuredValidatorPrincipalClaimName,
    scopeClaimName: options.unsecuredValidatorScopeClaimName,
    requiredScope: options.unsecuredValidatorRequiredScope,
    allowableClockSkewMs: options.unsecuredValidatorAllowableClockSkewMs,
  }, now)
}

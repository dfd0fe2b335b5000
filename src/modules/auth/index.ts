/**
 * Who may call: OAuth 2.0 client credentials, the clients and their secrets or keys, the service's
 * signing keys, and the actor a request acts as. Owns clients, client_assertions and signing_keys.
 */
export { actingHospital, allScopes, assertHospital, hospitalScopes, type Actor, type Scope } from './actor.ts';
export { ensureAdminClient } from './admin-client.ts';
export { createClientCache, type ClientLookup } from './client-cache.ts';
export { claimAssertionId } from './clients-repository.ts';
export { clientRoutes } from './client-routes.ts';
export { createClientService } from './client-service.ts';
export { discoveryRoutes, smartConfiguration, smartConfigurationSchema } from './discovery-routes.ts';
export { createKeyResolver, type KeyResolver } from './key-resolver.ts';
export { generateSigningJwk, importSigningKey, publishSigningKey, trustedPublicKeys, type SigningKey } from './keys.ts';
export { createLockout } from './lockout.ts';
export { authRoutes } from './routes.ts';
export { createSecretVerifier, hashSecret, type ScryptCost } from './secrets.ts';
export {
  advertisedSmartScopes,
  effectiveScopes,
  isSmartScope,
  parseSmartScope,
  scopesOfSmartScope,
  smartPermits,
  smartResourceTypes,
  type SmartPermission,
  type SmartResourceType,
} from './smart-scopes.ts';
export { createTokenService } from './token-service.ts';

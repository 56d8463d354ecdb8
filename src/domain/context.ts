import type { Logger } from 'pino';

import type { Catalog } from '../catalog/load-catalog.ts';
import type { Sealer } from '../crypto/sealer.ts';
import type { AccountConnectorRepository } from '../storage/account-connector-repository.ts';
import type { AccountRepository } from '../storage/account-repository.ts';
import type { AccountUserRepository } from '../storage/account-user-repository.ts';
import type { ApiKeyRepository } from '../storage/api-key-repository.ts';
import type { AuditRepository } from '../storage/audit-repository.ts';
import type { OAuthAppRepository } from '../storage/oauth-app-repository.ts';
import type { OAuthAttemptRepository } from '../storage/oauth-attempt-repository.ts';
import type { SetupTokenRepository } from '../storage/setup-token-repository.ts';
import type { Clock } from './clock.ts';

/** Data access used by the domain, one repository per aggregate. */
export interface Repositories {
  apiKeys: ApiKeyRepository;
  accounts: AccountRepository;
  accountUsers: AccountUserRepository;
  oauthApps: OAuthAppRepository;
  accountConnectors: AccountConnectorRepository;
  setupTokens: SetupTokenRepository;
  oauthAttempts: OAuthAttemptRepository;
  audit: AuditRepository;
}

/** Settings that domain rules depend on. */
export interface DomainConfig {
  readonly publicUrl: string;
  readonly sessionWindowSeconds: number;
  readonly refreshMarginSeconds: number;
  readonly successUrlOrigins: readonly string[];
}

/** Everything a domain operation needs, built once in `app.ts`. */
export interface DomainContext {
  readonly repositories: Repositories;
  readonly sealer: Sealer;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly config: DomainConfig;
  readonly logger: Logger;
}

/** Returns the current time of the context's clock as stored in the database. */
export function nowIso(context: DomainContext): string {
  return context.clock.now().toISOString();
}

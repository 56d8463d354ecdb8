import type { AuthMode } from '../catalog/connector-definition.ts';
import type { OAuthTokenSet } from '../oauth/types.ts';
import type { DomainContext } from './context.ts';

/** OAuth 2 tokens as stored; the refresh token never leaves Latchkey. */
export interface StoredOAuthTokens {
  accessToken: string;
  tokenType: string;
  expiresAt: string | null;
  refreshToken: string | null;
  scopes: string[];
  instanceUrl?: string;
}

/** Credentials produced by an authentication, stored sealed on the account connector row. */
export interface StoredCredentials {
  mode: AuthMode;
  values: Record<string, string>;
  oauth?: StoredOAuthTokens;
}

/** Associated data that binds sealed credentials to their account connector. */
export function credentialsSealContext(accountConnectorId: string): string {
  return `account_connectors:${accountConnectorId}:credentials`;
}

/** Seals credentials for one account connector row. */
export function sealCredentials(context: DomainContext, accountConnectorId: string, credentials: StoredCredentials): string {
  return context.sealer.seal(JSON.stringify(credentials), credentialsSealContext(accountConnectorId));
}

/** Opens credentials sealed for this account connector; throws UnsealError for another row, key or damage. */
export function openCredentials(context: DomainContext, accountConnectorId: string, sealed: string): StoredCredentials {
  return JSON.parse(context.sealer.open(sealed, credentialsSealContext(accountConnectorId))) as StoredCredentials;
}

/** Converts tokens from a token response to their stored form. */
export function toStoredTokens(tokens: OAuthTokenSet): StoredOAuthTokens {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresAt: tokens.expiresAt?.toISOString() ?? null,
    refreshToken: tokens.refreshToken,
    scopes: tokens.scopes,
    ...(tokens.instanceUrl === undefined ? {} : { instanceUrl: tokens.instanceUrl }),
  };
}

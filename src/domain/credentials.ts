import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { UnsealError } from '../crypto/sealer.ts';
import { refreshAccessToken } from '../oauth/token-refresh.ts';
import type { AccountConnectorRow } from '../storage/schema.ts';
import { getAccountConnectorRow } from './account-connectors.ts';
import { recordAuditEvent } from './audit.ts';
import { getConnectorDefinition, getOAuthApp } from './connectors.ts';
import type { DomainContext } from './context.ts';
import { openCredentials, sealCredentials, toStoredTokens, type StoredCredentials } from './credentials-envelope.ts';
import { fetchClientCredentialsTokens } from './client-credentials-grant.ts';
import { LatchkeyError } from './errors.ts';
import { resolveOAuthServer } from './oauth-server.ts';

/** Credentials as the partner API returns them; the refresh token is never included. */
export interface Credentials {
  mode: string;
  values: Record<string, string>;
  accessToken?: string;
  tokenType?: string;
  expiresAt?: string | null;
  scopes?: string[];
  instanceUrl?: string;
}

/**
 * Returns the credentials of an account connector for the partner's backend.
 *
 * An OAuth access token that has expired, or expires within the configured margin, is
 * refreshed first and the rotated refresh token stored. Every read is written to the
 * audit log with the API key that made it.
 */
export async function readCredentials(
  context: DomainContext,
  accountId: string,
  accountConnectorId: string,
  apiKeyId: string,
): Promise<Credentials> {
  const row = await getAccountConnectorRow(context, accountId, accountConnectorId);
  if (row.status === 'needs_reauth') {
    throw new LatchkeyError('account_connector_needs_reauth');
  }
  if (row.credentials_sealed === null) {
    throw new LatchkeyError('account_connector_unauthenticated');
  }

  let credentials = await openOrMarkUndecryptable(context, row);
  if (credentials.oauth !== undefined && isDueForRefresh(context, credentials)) {
    credentials = await refreshOnce(context, row, credentials, apiKeyId);
  }

  await recordAuditEvent(context, 'credentials.read', { accountId, accountConnectorId, apiKeyId });
  return toCredentials(credentials);
}

function toCredentials(credentials: StoredCredentials): Credentials {
  const result: Credentials = { mode: credentials.mode, values: credentials.values };
  if (credentials.oauth !== undefined) {
    result.accessToken = credentials.oauth.accessToken;
    result.tokenType = credentials.oauth.tokenType;
    result.expiresAt = credentials.oauth.expiresAt;
    result.scopes = credentials.oauth.scopes;
    if (credentials.oauth.instanceUrl !== undefined) {
      result.instanceUrl = credentials.oauth.instanceUrl;
    }
  }
  return result;
}

async function openOrMarkUndecryptable(context: DomainContext, row: AccountConnectorRow): Promise<StoredCredentials> {
  try {
    return openCredentials(context, row.id, row.credentials_sealed!);
  } catch (error) {
    if (!(error instanceof UnsealError)) {
      throw error;
    }
    context.logger.error(
      { accountConnectorId: row.id, err: { code: error.code, message: error.message } },
      'stored credentials cannot be decrypted',
    );
    await context.repositories.accountConnectors.setStatus(row.id, 'undecryptable', context.clock.now().toISOString());
    throw new LatchkeyError('credentials_undecryptable', undefined, { cause: error });
  }
}

function isDueForRefresh(context: DomainContext, credentials: StoredCredentials): boolean {
  const expiresAt = credentials.oauth?.expiresAt;
  if (expiresAt == null) {
    return false;
  }
  return Date.parse(expiresAt) - context.config.refreshMarginSeconds * 1000 <= context.clock.now().getTime();
}

/** Refreshes in progress in this process, by account connector id. */
const refreshesInFlight = new Map<string, Promise<StoredCredentials>>();

/**
 * Runs at most one refresh per account connector at a time in this process; concurrent
 * reads wait for it and share its result. A provider that rotates refresh tokens would
 * otherwise see the second request reuse a spent refresh token and reject it with `invalid_grant`.
 */
// TODO: one refresh at a time across instances needs a lock in the database. Until then two
// instances may both refresh, and the loser re-reads the winner's credentials on invalid_grant.
async function refreshOnce(
  context: DomainContext,
  row: AccountConnectorRow,
  credentials: StoredCredentials,
  apiKeyId: string,
): Promise<StoredCredentials> {
  const running = refreshesInFlight.get(row.id);
  if (running !== undefined) {
    return running;
  }
  const refresh = refreshStoredCredentials(context, row, credentials, apiKeyId).finally(() => refreshesInFlight.delete(row.id));
  refreshesInFlight.set(row.id, refresh);
  return refresh;
}

async function refreshStoredCredentials(
  context: DomainContext,
  row: AccountConnectorRow,
  credentials: StoredCredentials,
  apiKeyId: string,
): Promise<StoredCredentials> {
  const oauth = credentials.oauth!;
  const logFields = { accountConnectorId: row.id };
  const definition = getConnectorDefinition(context, row.connector_id);
  if (credentials.mode === 'oauth2_client_credentials') {
    return renewClientCredentials(context, row, definition, credentials, apiKeyId);
  }
  if (oauth.refreshToken === null) {
    // Without a refresh token the stored access token is all there is; the caller sees its expiry.
    return credentials;
  }

  const app = await getOAuthApp(context, definition.id);
  let refreshed;
  try {
    refreshed = await refreshAccessToken({
      server: resolveOAuthServer(definition, credentials.values, app.scopes),
      client: { clientId: app.clientId, clientSecret: app.clientSecret },
      refreshToken: oauth.refreshToken,
      now: () => context.clock.now(),
    });
  } catch (error) {
    const providerError = (error as { providerError?: string }).providerError;
    if (providerError === 'invalid_grant') {
      const current = await context.repositories.accountConnectors.findById(row.id);
      if (current?.credentials_sealed != null && current.credentials_sealed !== row.credentials_sealed) {
        // Another writer stored new tokens meanwhile, so the rejected refresh token was already spent.
        context.logger.info(logFields, 'refresh token was already rotated by another request; using the stored credentials');
        return openOrMarkUndecryptable(context, current);
      }
    }
    await recordAuditEvent(context, 'credentials.refresh_failed', {
      accountId: row.account_id,
      accountConnectorId: row.id,
      apiKeyId,
      data: { code: (error as { code?: string }).code ?? 'unknown', providerError: providerError ?? null },
    });
    if (providerError === 'invalid_grant') {
      await context.repositories.accountConnectors.setStatus(row.id, 'needs_reauth', context.clock.now().toISOString());
      context.logger.warn(logFields, 'refresh token rejected; account connector needs a new authentication');
      throw new LatchkeyError('account_connector_needs_reauth', undefined, { cause: error });
    }
    context.logger.warn(
      { ...logFields, err: { code: (error as { code?: string }).code, message: (error as Error).message } },
      'access token refresh failed',
    );
    throw new LatchkeyError('credentials_refresh_failed', undefined, { cause: error });
  }

  // A refresh response may omit the refresh token, the scopes and the instance URL, which then stay as they were.
  const fresh = toStoredTokens(refreshed);
  const updated: StoredCredentials = {
    ...credentials,
    oauth: {
      ...fresh,
      refreshToken: fresh.refreshToken ?? oauth.refreshToken,
      scopes: fresh.scopes.length > 0 ? fresh.scopes : oauth.scopes,
      ...(oauth.instanceUrl === undefined ? {} : { instanceUrl: fresh.instanceUrl ?? oauth.instanceUrl }),
    },
  };
  const replaced = await context.repositories.accountConnectors.replaceCredentialsIfUnchanged(
    row.id,
    row.credentials_sealed!,
    sealCredentials(context, row.id, updated),
    context.clock.now().toISOString(),
  );
  if (!replaced) {
    context.logger.info(logFields, 'credentials changed during refresh; keeping the newer ones');
  }
  await recordAuditEvent(context, 'credentials.refreshed', { accountId: row.account_id, accountConnectorId: row.id, apiKeyId });
  return updated;
}

/** Fetches a new client credentials token, which has no refresh token, and stores it. */
async function renewClientCredentials(
  context: DomainContext,
  row: AccountConnectorRow,
  definition: ConnectorDefinition,
  credentials: StoredCredentials,
  apiKeyId: string,
): Promise<StoredCredentials> {
  const grant = await fetchClientCredentialsTokens(context, definition, credentials.values);
  if (!grant.ok) {
    await recordAuditEvent(context, 'credentials.refresh_failed', {
      accountId: row.account_id,
      accountConnectorId: row.id,
      apiKeyId,
      data: { code: grant.reason, providerError: null },
    });
    context.logger.warn({ accountConnectorId: row.id, reason: grant.reason }, 'client credentials token renewal failed');
    throw new LatchkeyError('credentials_refresh_failed');
  }

  const updated: StoredCredentials = { ...credentials, oauth: grant.tokens };
  await context.repositories.accountConnectors.replaceCredentialsIfUnchanged(
    row.id,
    row.credentials_sealed!,
    sealCredentials(context, row.id, updated),
    context.clock.now().toISOString(),
  );
  await recordAuditEvent(context, 'credentials.refreshed', { accountId: row.account_id, accountConnectorId: row.id, apiKeyId });
  return updated;
}

import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { requestClientCredentialsToken } from '../oauth/client-credentials.ts';
import { getOAuthApp } from './connectors.ts';
import type { DomainContext } from './context.ts';
import { toStoredTokens, type StoredOAuthTokens } from './credentials-envelope.ts';
import { resolveOAuthServer } from './oauth-server.ts';

/** Field names that, when a definition declares them, hold the customer's own OAuth client. */
export const CLIENT_ID_FIELD = 'clientId';
export const CLIENT_SECRET_FIELD = 'clientSecret';

/** Outcome of a client credentials grant; the message is shown to the customer and names no secret. */
export type ClientCredentialsResult = { ok: true; tokens: StoredOAuthTokens } | { ok: false; message: string; reason: string };

/**
 * Fetches an access token with the client credentials grant (RFC 6749 section 4.4).
 *
 * The client is the customer's when the definition has `clientId` and `clientSecret`
 * fields, and the partner's OAuth app otherwise.
 */
export async function fetchClientCredentialsTokens(
  context: DomainContext,
  definition: ConnectorDefinition,
  values: Record<string, string>,
): Promise<ClientCredentialsResult> {
  const customerClient = values[CLIENT_ID_FIELD] !== undefined && values[CLIENT_SECRET_FIELD] !== undefined;
  const app = customerClient ? null : await getOAuthApp(context, definition.id);
  const client = customerClient
    ? { clientId: values[CLIENT_ID_FIELD]!, clientSecret: values[CLIENT_SECRET_FIELD]! }
    : { clientId: app!.clientId, clientSecret: app!.clientSecret };

  try {
    const tokens = await requestClientCredentialsToken({
      server: resolveOAuthServer(definition, values, app?.scopes ?? null),
      client,
      now: () => context.clock.now(),
    });
    return { ok: true, tokens: toStoredTokens(tokens) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const providerError = (error as { providerError?: unknown }).providerError;
    if (typeof code !== 'string') {
      throw error;
    }
    const detail = typeof providerError === 'string' && /^[a-z_]{1,64}$/.test(providerError) ? `: ${providerError}` : '';
    return {
      ok: false,
      reason: code,
      message: `${definition.name} did not issue an access token for these client credentials (${code}${detail}). Check them and try again.`,
    };
  }
}

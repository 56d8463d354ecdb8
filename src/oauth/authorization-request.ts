import * as oauth from 'oauth4webapi';

import { OAuthConfigurationError } from './errors.ts';
import type { OAuthServerEndpoints } from './types.ts';

/**
 * Authorization request parameters that a connector's `authorizationParams` may not set,
 * because Latchkey sets them itself or because they would change how the response arrives.
 */
export const RESERVED_AUTHORIZATION_PARAMS: ReadonlySet<string> = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
]);

/** Input of {@link createAuthorizationRequest}. */
export interface AuthorizationRequestConfig {
  server: OAuthServerEndpoints;
  client: { clientId: string };
  /** Redirect URI, sent exactly as given. The token request must repeat the same string. */
  redirectUri: string;
  /** Scopes to request. Defaults to `server.scopes`. */
  scopes?: string[];
}

/** Authorization request URL with the secrets that the callback needs. */
export interface AuthorizationRequest {
  url: URL;
  /** Fresh random `state`, to be stored server-side and consumed by the callback. */
  state: string;
  /** PKCE code verifier, or `null` when the server does not use PKCE. */
  codeVerifier: string | null;
}

/**
 * Builds the authorization request of the authorization code grant (RFC 6749 section 4.1.1).
 *
 * Each call creates a new `state` (RFC 6749 section 10.12) and, when `server.pkce` is set, a new
 * PKCE verifier with its S256 challenge (RFC 7636 section 4.1 to 4.3, RFC 9700 section 2.1.1).
 * Throws {@link OAuthConfigurationError} when `authorizationParams` names a reserved parameter.
 */
export async function createAuthorizationRequest(input: AuthorizationRequestConfig): Promise<AuthorizationRequest> {
  const { server, client, redirectUri } = input;

  const reserved = Object.keys(server.authorizationParams).filter((name) => RESERVED_AUTHORIZATION_PARAMS.has(name));
  if (reserved.length > 0) {
    throw new OAuthConfigurationError(
      `authorizationParams may not set the protocol parameter ${reserved.join(', ')}. Remove it from the connector definition.`,
    );
  }

  const url = new URL(server.authorizationUrl.href);
  for (const [name, value] of Object.entries(server.authorizationParams)) {
    url.searchParams.set(name, value);
  }

  const state = oauth.generateRandomState();
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);

  const scopes = input.scopes ?? server.scopes;
  if (scopes.length > 0) {
    url.searchParams.set('scope', scopes.join(server.scopeSeparator));
  }

  let codeVerifier: string | null = null;
  if (server.pkce) {
    codeVerifier = oauth.generateRandomCodeVerifier();
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }

  return { url, state, codeVerifier };
}

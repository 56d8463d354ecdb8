import * as oauth from 'oauth4webapi';

import { createTokenEndpointContext, sendTokenRequest } from './token-endpoint.ts';
import { processTokenResponse } from './token-response.ts';
import type { OAuthClientCredentials, OAuthServerEndpoints, OAuthTokenSet } from './types.ts';

/** Input of {@link refreshAccessToken}. */
export interface TokenRefreshConfig {
  server: OAuthServerEndpoints;
  client: OAuthClientCredentials;
  refreshToken: string;
  /** Scopes of the current grant, reported when the response omits `scope`. */
  scopes?: string[];
  /** Defaults to a guarded fetch that follows `server.allowPrivateNetwork`. */
  fetch?: typeof fetch;
  /** Clock for `expiresAt`. */
  now?: () => Date;
}

/**
 * Gets a new access token with a refresh token (RFC 6749 section 6).
 *
 * When the response contains a rotated refresh token, the caller must store it, because the
 * server may have revoked the old one (RFC 9700 section 4.14.2). When the response has none,
 * the old refresh token stays valid and is returned. A revoked or expired refresh
 * token throws {@link OAuthTokenError} with `providerError: 'invalid_grant'`.
 */
export async function refreshAccessToken(input: TokenRefreshConfig): Promise<OAuthTokenSet> {
  const { server, client } = input;

  const context = createTokenEndpointContext(server, client, input.fetch);
  const response = await sendTokenRequest(server, () =>
    oauth.refreshTokenGrantRequest(
      context.authorizationServer,
      context.client,
      context.clientAuthentication,
      input.refreshToken,
      context.requestOptions,
    ),
  );

  return processTokenResponse(response, {
    server,
    processResponse: (normalised) => oauth.processRefreshTokenResponse(context.authorizationServer, context.client, normalised),
    now: input.now ?? (() => new Date()),
    fallbackScopes: input.scopes ?? server.scopes,
    fallbackRefreshToken: input.refreshToken,
  });
}

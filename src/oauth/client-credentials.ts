import * as oauth from 'oauth4webapi';

import { createTokenEndpointContext, sendTokenRequest } from './token-endpoint.ts';
import { processTokenResponse } from './token-response.ts';
import type { OAuthClientCredentials, OAuthServerEndpoints, OAuthTokenSet } from './types.ts';

/** Input of {@link requestClientCredentialsToken}. */
export interface ClientCredentialsRequestConfig {
  server: OAuthServerEndpoints;
  client: OAuthClientCredentials;
  /** Scopes to request. Defaults to `server.scopes`, and no `scope` parameter is sent when empty. */
  scopes?: string[];
  /** Defaults to a guarded fetch that follows `server.allowPrivateNetwork`. */
  fetch?: typeof fetch;
  /** Clock for `expiresAt`. */
  now?: () => Date;
}

/**
 * Gets an access token for the client itself with the client credentials grant
 * (RFC 6749 section 4.4). The response gets the same checks as an authorization code exchange.
 * Throws {@link OAuthTokenError}.
 */
export async function requestClientCredentialsToken(input: ClientCredentialsRequestConfig): Promise<OAuthTokenSet> {
  const { server, client } = input;
  const scopes = input.scopes ?? server.scopes;

  const parameters = new URLSearchParams();
  if (scopes.length > 0) {
    parameters.set('scope', scopes.join(server.scopeSeparator));
  }

  const context = createTokenEndpointContext(server, client, input.fetch);
  const response = await sendTokenRequest(server, () =>
    oauth.clientCredentialsGrantRequest(
      context.authorizationServer,
      context.client,
      context.clientAuthentication,
      parameters,
      context.requestOptions,
    ),
  );

  return processTokenResponse(response, {
    server,
    processResponse: (normalised) => oauth.processClientCredentialsResponse(context.authorizationServer, context.client, normalised),
    now: input.now ?? (() => new Date()),
    fallbackScopes: scopes,
    fallbackRefreshToken: null,
  });
}

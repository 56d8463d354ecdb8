import * as oauth from 'oauth4webapi';

import { validateAuthorizationCallback } from './authorization-callback.ts';
import { createTokenEndpointContext, sendTokenRequest } from './token-endpoint.ts';
import { processTokenResponse } from './token-response.ts';
import type { OAuthClientCredentials, OAuthServerEndpoints, OAuthTokenSet } from './types.ts';

/** Input of {@link exchangeAuthorizationCode}. */
export interface AuthorizationCodeExchangeConfig {
  server: OAuthServerEndpoints;
  client: OAuthClientCredentials;
  /** The `redirect_uri` of the authorization request, byte for byte. */
  redirectUri: string;
  /** Query parameters of the callback request. */
  callbackParameters: URLSearchParams;
  /** The `state` stored when the authorization request was created. */
  expectedState: string;
  /** The PKCE verifier stored with the state, or `null` when PKCE was not used. */
  codeVerifier: string | null;
  /** Scopes of the authorization request, reported when the token response omits `scope`. */
  requestedScopes?: string[];
  /** Defaults to a guarded fetch that follows `server.allowPrivateNetwork`. */
  fetch?: typeof fetch;
  /** Clock for `expiresAt`. */
  now?: () => Date;
}

/**
 * Validates the authorization callback and exchanges its code for tokens
 * (RFC 6749 section 4.1.2 to 4.1.4, RFC 7636 section 4.5).
 *
 * The callback is checked before any token request is sent, so a forged or denied callback
 * costs no request. The token request repeats `redirectUri` unchanged, as RFC 6749 section
 * 4.1.3 requires. Throws {@link OAuthCallbackError} for the callback and {@link OAuthTokenError}
 * for the token request.
 */
export async function exchangeAuthorizationCode(input: AuthorizationCodeExchangeConfig): Promise<OAuthTokenSet> {
  const { server, client } = input;

  const callback = validateAuthorizationCallback(server, client.clientId, input.callbackParameters, input.expectedState);

  const context = createTokenEndpointContext(server, client, input.fetch);
  const response = await sendTokenRequest(server, () =>
    oauth.authorizationCodeGrantRequest(
      context.authorizationServer,
      context.client,
      context.clientAuthentication,
      callback,
      input.redirectUri,
      input.codeVerifier ?? oauth.nopkce,
      context.requestOptions,
    ),
  );

  return processTokenResponse(response, {
    server,
    processResponse: (normalised) => oauth.processAuthorizationCodeResponse(context.authorizationServer, context.client, normalised),
    now: input.now ?? (() => new Date()),
    fallbackScopes: input.requestedScopes ?? server.scopes,
    fallbackRefreshToken: null,
  });
}

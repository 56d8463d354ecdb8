import * as oauth from 'oauth4webapi';

import { OAuthCallbackError } from './errors.ts';
import { toAuthorizationServer } from './token-endpoint.ts';
import type { OAuthServerEndpoints } from './types.ts';

/**
 * Validates the parameters of an authorization response (RFC 6749 section 4.1.2) and returns
 * them in the form that oauth4webapi's token request accepts.
 *
 * `state` must equal `expectedState` (RFC 6749 section 10.12). When `server.issuer` is set, `iss`
 * must be present and equal to it (RFC 9207 section 2.4, RFC 9700 section 4.4). Otherwise an `iss`
 * parameter is ignored, because there is nothing to compare it with.
 * An `error` parameter (RFC 6749 section 4.1.2.1) becomes `oauth_access_denied` for
 * `access_denied`, else `oauth_authorization_error`, checked only after the state matched.
 * Throws {@link OAuthCallbackError}.
 */
export function validateAuthorizationCallback(
  server: OAuthServerEndpoints,
  clientId: string,
  callbackParameters: URLSearchParams,
  expectedState: string,
): URLSearchParams {
  const parameters = new URLSearchParams(callbackParameters);
  if (server.issuer === undefined) {
    parameters.delete('iss');
  }

  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(toAuthorizationServer(server), { client_id: clientId }, parameters, expectedState);
  } catch (error) {
    throw toCallbackError(error);
  }

  if (!validated.get('code')) {
    throw new OAuthCallbackError('oauth_invalid_callback', 'The authorization response has no code parameter.');
  }

  return validated;
}

function toCallbackError(error: unknown): OAuthCallbackError {
  if (error instanceof oauth.AuthorizationResponseError) {
    const details = {
      providerError: error.error,
      providerErrorDescription: error.error_description,
    };
    if (error.error === 'access_denied') {
      return new OAuthCallbackError('oauth_access_denied', 'The user or the provider denied access.', details);
    }
    return new OAuthCallbackError('oauth_authorization_error', 'The provider returned an authorization error.', details);
  }

  // oauth4webapi's messages name the failed check ("unexpected \"state\" response parameter
  // value", "response parameter \"iss\" (issuer) missing") and never the values.
  const reason = error instanceof Error ? error.message : 'unknown check failed';
  return new OAuthCallbackError('oauth_invalid_callback', `The authorization response is invalid: ${reason}.`);
}

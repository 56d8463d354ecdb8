import * as oauth from 'oauth4webapi';

import { getSharedGuardedFetch, OutboundRequestError } from '../outbound/guarded-fetch.ts';
import { createClientAuthentication } from './client-authentication.ts';
import { OAuthTokenError } from './errors.ts';
import type { OAuthClientCredentials, OAuthServerEndpoints } from './types.ts';

/** oauth4webapi objects for requests to one token endpoint. */
export interface TokenEndpointContext {
  authorizationServer: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuthentication: oauth.ClientAuth;
  requestOptions: oauth.TokenEndpointRequestOptions;
}

/**
 * Describes the connector's server in oauth4webapi terms (RFC 6749 section 3).
 * Without a configured issuer the token endpoint's origin is used, because oauth4webapi
 * requires one. That value is then never compared with anything.
 */
export function toAuthorizationServer(server: OAuthServerEndpoints): oauth.AuthorizationServer {
  return {
    issuer: server.issuer ?? server.tokenUrl.origin,
    authorization_endpoint: server.authorizationUrl.href,
    token_endpoint: server.tokenUrl.href,
    authorization_response_iss_parameter_supported: server.issuer !== undefined,
  };
}

/**
 * Creates the oauth4webapi objects for the token endpoint, with the client authentication of
 * RFC 6749 section 2.3.1 that the connector names.
 *
 * Requests go through `fetchFunction`, by default a guarded fetch that rejects private addresses
 * unless `server.allowPrivateNetwork` is set. Plain `http:` token endpoints are allowed only
 * together with `allowPrivateNetwork`, because the request carries the client secret.
 */
export function createTokenEndpointContext(
  server: OAuthServerEndpoints,
  credentials: OAuthClientCredentials,
  fetchFunction: typeof fetch | undefined,
): TokenEndpointContext {
  const clientAuthentication = createClientAuthentication(server.clientAuth, credentials.clientSecret);
  const selectedFetch = fetchFunction ?? getSharedGuardedFetch(server.allowPrivateNetwork);

  return {
    authorizationServer: toAuthorizationServer(server),
    client: { client_id: credentials.clientId },
    clientAuthentication,
    requestOptions: {
      [oauth.customFetch]: (url, options) => selectedFetch(url, options),
      [oauth.allowInsecureRequests]: server.allowPrivateNetwork,
    },
  };
}

/**
 * Sends a token request and returns the raw response, turning every failure to get one into
 * {@link OAuthTokenError} with the code `oauth_token_request_failed`.
 */
export async function sendTokenRequest(server: OAuthServerEndpoints, send: () => Promise<Response>): Promise<Response> {
  const host = server.tokenUrl.host;

  try {
    return await send();
  } catch (error) {
    if (error instanceof OutboundRequestError) {
      throw new OAuthTokenError('oauth_token_request_failed', `Token request to ${host} failed: ${error.message}`, {
        cause: error,
      });
    }

    if (error instanceof oauth.OperationProcessingError && error.code === oauth.HTTP_REQUEST_FORBIDDEN) {
      throw new OAuthTokenError(
        'oauth_token_request_failed',
        `Token request to ${host} rejected: the token URL must use https unless the connector allows private networks.`,
      );
    }

    throw new OAuthTokenError('oauth_token_request_failed', `Token request to ${host} failed.`, { cause: error });
  }
}

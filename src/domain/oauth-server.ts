import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { renderUrlTemplate } from '../catalog/render-template.ts';
import type { OAuthServerEndpoints } from '../oauth/types.ts';

/** Path of the OAuth redirect URI under the public URL. */
export const OAUTH_CALLBACK_PATH = '/connect/oauth/callback';

/** Builds the redirect URI from the configured public URL only, never from request headers. */
export function oauthRedirectUri(publicUrl: string): string {
  return `${publicUrl}${OAUTH_CALLBACK_PATH}`;
}

/** Renders the endpoints of a definition's authorization server with the customer's validated field values. */
export function resolveOAuthServer(
  definition: ConnectorDefinition,
  values: Record<string, string>,
  scopes: string[] | null,
): OAuthServerEndpoints {
  const auth = definition.auth;
  if (auth.tokenUrl === undefined) {
    throw new Error(`connector ${definition.id} has no tokenUrl`);
  }
  const options = { allowPrivateNetwork: definition.allowPrivateNetwork };
  return {
    authorizationUrl: renderUrlTemplate(auth.authorizationUrl ?? auth.tokenUrl, values, options),
    tokenUrl: renderUrlTemplate(auth.tokenUrl, values, options),
    ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
    pkce: auth.pkce ?? false,
    scopes: scopes ?? [...(auth.scopes ?? [])],
    scopeSeparator: auth.scopeSeparator ?? ' ',
    authorizationParams: { ...(auth.authorizationParams ?? {}) },
    clientAuth: auth.clientAuth ?? 'client_secret_basic',
    allowPrivateNetwork: definition.allowPrivateNetwork,
    tokenResponse: {
      ...auth.tokenResponse,
      ...(auth.tokenResponse?.allowedInstanceHosts === undefined
        ? {}
        : { allowedInstanceHosts: [...auth.tokenResponse.allowedInstanceHosts] }),
    },
  };
}

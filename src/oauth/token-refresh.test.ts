import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  completeAuthorization,
  startAuthorizationServer,
  startQuirkyTokenServer,
  type RunningAuthorizationServer,
  type RunningQuirkyTokenServer,
} from '../../test/support/oidc-server.ts';
import { createAuthorizationRequest } from './authorization-request.ts';
import { OAuthTokenError } from './errors.ts';
import { exchangeAuthorizationCode } from './token-exchange.ts';
import { refreshAccessToken } from './token-refresh.ts';
import type { OAuthServerEndpoints, OAuthTokenSet } from './types.ts';

const REDIRECT_URI = 'http://127.0.0.1:3999/connect/oauth/callback';
const NOW = new Date('2030-01-01T00:00:00.000Z');

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject.');
}

describe('refreshAccessToken with oidc-provider', () => {
  let authorizationServer: RunningAuthorizationServer;
  let server: OAuthServerEndpoints;

  beforeAll(async () => {
    authorizationServer = await startAuthorizationServer({ redirectUris: [REDIRECT_URI], accessTokenTtlSeconds: 60 });
    server = {
      authorizationUrl: new URL(authorizationServer.authorizationUrl),
      tokenUrl: new URL(authorizationServer.tokenUrl),
      issuer: authorizationServer.issuer,
      pkce: true,
      scopes: ['contacts.read', 'contacts.write'],
      scopeSeparator: ' ',
      authorizationParams: {},
      clientAuth: 'client_secret_basic',
      allowPrivateNetwork: true,
    };
  });

  afterAll(async () => {
    await authorizationServer.close();
  });

  async function obtainTokens(): Promise<OAuthTokenSet> {
    const request = await createAuthorizationRequest({
      server,
      client: { clientId: authorizationServer.clientId },
      redirectUri: REDIRECT_URI,
    });
    const callbackUrl = await completeAuthorization(request.url.href);
    return exchangeAuthorizationCode({
      server,
      client: authorizationServer,
      redirectUri: REDIRECT_URI,
      callbackParameters: callbackUrl.searchParams,
      expectedState: request.state,
      codeVerifier: request.codeVerifier,
    });
  }

  it('returns new tokens with a rotated refresh token', async () => {
    const initial = await obtainTokens();
    const tokenRequestsBefore = authorizationServer.tokenRequests();

    const refreshed = await refreshAccessToken({
      server,
      client: authorizationServer,
      refreshToken: initial.refreshToken!,
      now: () => NOW,
    });

    expect(refreshed.accessToken).not.toBe(initial.accessToken);
    expect(refreshed.refreshToken).toMatch(/^\S{20,}$/);
    expect(refreshed.refreshToken).not.toBe(initial.refreshToken);
    expect(refreshed.tokenType).toBe('Bearer');
    expect(refreshed.expiresAt).toEqual(new Date(NOW.getTime() + 60_000));
    expect(refreshed.scopes).toEqual(['contacts.read', 'contacts.write']);
    expect(authorizationServer.tokenRequests()).toBe(tokenRequestsBefore + 1);
  });

  it('rejects the replaced refresh token with invalid_grant', async () => {
    const initial = await obtainTokens();
    await refreshAccessToken({ server, client: authorizationServer, refreshToken: initial.refreshToken! });

    const error = await captureError(refreshAccessToken({ server, client: authorizationServer, refreshToken: initial.refreshToken! }));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('invalid_grant');
    expect((error as OAuthTokenError).message).not.toContain(initial.refreshToken!);
  });

  it('rejects an unknown refresh token with invalid_grant', async () => {
    const error = await captureError(refreshAccessToken({ server, client: authorizationServer, refreshToken: 'unknown-refresh-token' }));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('invalid_grant');
    expect((error as OAuthTokenError).status).toBe(400);
    expect((error as OAuthTokenError).message).not.toContain('unknown-refresh-token');
  });

  it('reports a wrong client secret as invalid_client', async () => {
    const initial = await obtainTokens();

    const error = await captureError(
      refreshAccessToken({
        server: { ...server, clientAuth: 'client_secret_post' },
        client: { clientId: authorizationServer.clientId, clientSecret: 'wrong-secret' },
        refreshToken: initial.refreshToken!,
      }),
    );

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).providerError).toBe('invalid_client');
    expect((error as OAuthTokenError).message).not.toContain('wrong-secret');
  });
});

describe('refreshAccessToken with a quirky server', () => {
  let quirkyServer: RunningQuirkyTokenServer | undefined;

  afterEach(async () => {
    await quirkyServer?.close();
    quirkyServer = undefined;
  });

  async function refreshWith(body: Record<string, unknown>, status = 200) {
    quirkyServer = await startQuirkyTokenServer(() => ({ status, body: JSON.stringify(body) }));
    const server: OAuthServerEndpoints = {
      authorizationUrl: new URL('http://127.0.0.1:1/authorize'),
      tokenUrl: new URL(quirkyServer.tokenUrl),
      pkce: true,
      scopes: ['default.scope'],
      scopeSeparator: ' ',
      authorizationParams: {},
      clientAuth: 'client_secret_post',
      allowPrivateNetwork: true,
    };
    return refreshAccessToken({
      server,
      client: { clientId: 'client-1', clientSecret: 'secret-1' },
      refreshToken: 'old-refresh-token',
      scopes: ['granted.scope'],
      now: () => NOW,
    });
  }

  it('sends the refresh token grant', async () => {
    await refreshWith({ access_token: 'new-access-token' });

    const received = quirkyServer!.requests[0]!;
    expect(received.body.get('grant_type')).toBe('refresh_token');
    expect(received.body.get('refresh_token')).toBe('old-refresh-token');
    expect(received.body.has('scope')).toBe(false);
  });

  it('keeps the old refresh token when none is returned', async () => {
    const tokens = await refreshWith({ access_token: 'new-access-token', token_type: 'bearer', expires_in: '120' });

    expect(tokens).toEqual({
      accessToken: 'new-access-token',
      tokenType: 'Bearer',
      expiresAt: new Date(NOW.getTime() + 120_000),
      refreshToken: 'old-refresh-token',
      scopes: ['granted.scope'],
    });
  });

  it('treats a null refresh token as none', async () => {
    const tokens = await refreshWith({ access_token: 'new-access-token', refresh_token: null });

    expect(tokens.refreshToken).toBe('old-refresh-token');
  });

  it('reports invalid_grant inside HTTP 200', async () => {
    const error = await captureError(refreshWith({ error: 'invalid_grant', error_description: 'Token revoked' }));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('invalid_grant');
    expect((error as OAuthTokenError).providerErrorDescription).toBe('Token revoked');
  });

  it('rejects a response without access_token', async () => {
    const error = await captureError(refreshWith({ refresh_token: 'new-refresh-token' }));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_invalid_token_response');
    expect((error as OAuthTokenError).message).not.toContain('new-refresh-token');
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  startAuthorizationServer,
  startQuirkyTokenServer,
  type RunningAuthorizationServer,
  type RunningQuirkyTokenServer,
} from '../../test/support/oidc-server.ts';
import { requestClientCredentialsToken } from './client-credentials.ts';
import { OAuthTokenError } from './errors.ts';
import type { OAuthServerEndpoints } from './types.ts';

const NOW = new Date('2030-01-01T00:00:00.000Z');

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject.');
}

describe('requestClientCredentialsToken with oidc-provider', () => {
  let authorizationServer: RunningAuthorizationServer;
  let server: OAuthServerEndpoints;

  beforeAll(async () => {
    authorizationServer = await startAuthorizationServer({ accessTokenTtlSeconds: 300 });
    server = {
      authorizationUrl: new URL(authorizationServer.authorizationUrl),
      tokenUrl: new URL(authorizationServer.tokenUrl),
      pkce: false,
      scopes: ['contacts.read'],
      scopeSeparator: ' ',
      authorizationParams: {},
      clientAuth: 'client_secret_basic',
      allowPrivateNetwork: true,
    };
  });

  afterAll(async () => {
    await authorizationServer.close();
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)('returns a token using %s', async (clientAuth) => {
    const tokenRequestsBefore = authorizationServer.tokenRequests();

    const tokens = await requestClientCredentialsToken({
      server: { ...server, clientAuth },
      client: authorizationServer,
      now: () => NOW,
    });

    expect(tokens.accessToken).toMatch(/^\S{20,}$/);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresAt).toEqual(new Date(NOW.getTime() + 300_000));
    expect(tokens.refreshToken).toBeNull();
    expect(tokens.scopes).toEqual(['contacts.read']);
    expect(authorizationServer.tokenRequests()).toBe(tokenRequestsBefore + 1);
  });

  it('reports a wrong client secret as invalid_client', async () => {
    const error = await captureError(
      requestClientCredentialsToken({ server, client: { clientId: authorizationServer.clientId, clientSecret: 'wrong-secret' } }),
    );

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('invalid_client');
    expect((error as OAuthTokenError).message).not.toContain('wrong-secret');
  });
});

describe('requestClientCredentialsToken with a quirky server', () => {
  let quirkyServer: RunningQuirkyTokenServer | undefined;

  afterEach(async () => {
    await quirkyServer?.close();
    quirkyServer = undefined;
  });

  async function requestWith(body: Record<string, unknown>, overrides: Partial<OAuthServerEndpoints> = {}) {
    quirkyServer = await startQuirkyTokenServer(() => ({ status: 200, body: JSON.stringify(body) }));
    return requestClientCredentialsToken({
      server: {
        authorizationUrl: new URL('http://127.0.0.1:1/authorize'),
        tokenUrl: new URL(quirkyServer.tokenUrl),
        pkce: false,
        scopes: ['read', 'write'],
        scopeSeparator: ',',
        authorizationParams: {},
        clientAuth: 'client_secret_basic',
        allowPrivateNetwork: true,
        ...overrides,
      },
      client: { clientId: 'client-1', clientSecret: 'secret-1' },
      now: () => NOW,
    });
  }

  it('sends scopes joined with the separator', async () => {
    await requestWith({ access_token: 'access-1' });

    const received = quirkyServer!.requests[0]!;
    expect(received.body.get('grant_type')).toBe('client_credentials');
    expect(received.body.get('scope')).toBe('read,write');
  });

  it('omits scope when none is configured', async () => {
    await requestWith({ access_token: 'access-1' }, { scopes: [] });

    expect(quirkyServer!.requests[0]!.body.has('scope')).toBe(false);
  });

  it('applies the token response checks', async () => {
    const tokens = await requestWith({ access_token: 'access-1', token_type: 'bearer', expires_in: '60', scope: 'read,write' });

    expect(tokens).toEqual({
      accessToken: 'access-1',
      tokenType: 'Bearer',
      expiresAt: new Date(NOW.getTime() + 60_000),
      refreshToken: null,
      scopes: ['read', 'write'],
    });
  });

  it('reports an error inside HTTP 200', async () => {
    const error = await captureError(requestWith({ error: 'unauthorized_client' }));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('unauthorized_client');
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  completeAuthorization,
  startAuthorizationServer,
  startQuirkyTokenServer,
  type QuirkyTokenResponse,
  type RunningAuthorizationServer,
  type RunningQuirkyTokenServer,
} from '../../test/support/oidc-server.ts';
import { OutboundRequestError } from '../outbound/guarded-fetch.ts';
import { createAuthorizationRequest } from './authorization-request.ts';
import { OAuthCallbackError, OAuthTokenError } from './errors.ts';
import { exchangeAuthorizationCode } from './token-exchange.ts';
import type { OAuthServerEndpoints } from './types.ts';

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

describe('exchangeAuthorizationCode with oidc-provider', () => {
  let authorizationServer: RunningAuthorizationServer;

  beforeAll(async () => {
    authorizationServer = await startAuthorizationServer({ redirectUris: [REDIRECT_URI], accessTokenTtlSeconds: 600 });
  });

  afterAll(async () => {
    await authorizationServer.close();
  });

  function createServerEndpoints(overrides: Partial<OAuthServerEndpoints> = {}): OAuthServerEndpoints {
    return {
      authorizationUrl: new URL(authorizationServer.authorizationUrl),
      tokenUrl: new URL(authorizationServer.tokenUrl),
      issuer: authorizationServer.issuer,
      pkce: true,
      scopes: ['contacts.read'],
      scopeSeparator: ' ',
      authorizationParams: {},
      clientAuth: 'client_secret_basic',
      allowPrivateNetwork: true,
      ...overrides,
    };
  }

  async function authorize(server: OAuthServerEndpoints, options: { deny?: boolean } = {}) {
    const request = await createAuthorizationRequest({
      server,
      client: { clientId: authorizationServer.clientId },
      redirectUri: REDIRECT_URI,
    });
    const callbackUrl = await completeAuthorization(request.url.href, options);
    return { request, callbackUrl };
  }

  it.each(['client_secret_basic', 'client_secret_post'] as const)('completes the code flow with PKCE using %s', async (clientAuth) => {
    const server = createServerEndpoints({ clientAuth });
    const { request, callbackUrl } = await authorize(server);
    const tokenRequestsBefore = authorizationServer.tokenRequests();

    const tokens = await exchangeAuthorizationCode({
      server,
      client: authorizationServer,
      redirectUri: REDIRECT_URI,
      callbackParameters: callbackUrl.searchParams,
      expectedState: request.state,
      codeVerifier: request.codeVerifier,
      now: () => NOW,
    });

    expect(callbackUrl.searchParams.get('state')).toBe(request.state);
    expect(tokens.accessToken).toMatch(/^\S{20,}$/);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresAt).toEqual(new Date(NOW.getTime() + 600_000));
    expect(tokens.refreshToken).toMatch(/^\S{20,}$/);
    expect(tokens.scopes).toEqual(['contacts.read']);
    expect(tokens.instanceUrl).toBeUndefined();
    expect(authorizationServer.tokenRequests()).toBe(tokenRequestsBefore + 1);
  });

  it('rejects a state mismatch without a token request', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server);
    const tokenRequestsBefore = authorizationServer.tokenRequests();

    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: authorizationServer,
        redirectUri: REDIRECT_URI,
        callbackParameters: callbackUrl.searchParams,
        expectedState: `${request.state}-other-tab`,
        codeVerifier: request.codeVerifier,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_invalid_callback');
    expect((error as OAuthCallbackError).message).not.toContain(request.state);
    expect((error as OAuthCallbackError).message).not.toContain(callbackUrl.searchParams.get('code'));
    expect(authorizationServer.tokenRequests()).toBe(tokenRequestsBefore);
  });

  it('maps access_denied without a token request', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server, { deny: true });
    const tokenRequestsBefore = authorizationServer.tokenRequests();

    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: authorizationServer,
        redirectUri: REDIRECT_URI,
        callbackParameters: callbackUrl.searchParams,
        expectedState: request.state,
        codeVerifier: request.codeVerifier,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_access_denied');
    expect((error as OAuthCallbackError).providerError).toBe('access_denied');
    expect((error as OAuthCallbackError).providerErrorDescription).toBe('End-User aborted interaction');
    expect(authorizationServer.tokenRequests()).toBe(tokenRequestsBefore);
  });

  it('rejects a callback from another issuer', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server);
    const parameters = new URLSearchParams(callbackUrl.searchParams);
    parameters.set('iss', 'http://127.0.0.1:1/other-issuer');

    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: authorizationServer,
        redirectUri: REDIRECT_URI,
        callbackParameters: parameters,
        expectedState: request.state,
        codeVerifier: request.codeVerifier,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_invalid_callback');
    expect((error as OAuthCallbackError).message).toContain('iss');
  });

  it('requires iss when the issuer is configured', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server);
    const parameters = new URLSearchParams(callbackUrl.searchParams);
    parameters.delete('iss');

    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: authorizationServer,
        redirectUri: REDIRECT_URI,
        callbackParameters: parameters,
        expectedState: request.state,
        codeVerifier: request.codeVerifier,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_invalid_callback');
  });

  it('ignores iss when no issuer is configured', async () => {
    const server = createServerEndpoints({ issuer: undefined });
    const { request, callbackUrl } = await authorize(server);
    const parameters = new URLSearchParams(callbackUrl.searchParams);
    parameters.set('iss', 'http://127.0.0.1:1/other-issuer');

    const tokens = await exchangeAuthorizationCode({
      server,
      client: authorizationServer,
      redirectUri: REDIRECT_URI,
      callbackParameters: parameters,
      expectedState: request.state,
      codeVerifier: request.codeVerifier,
    });

    expect(tokens.tokenType).toBe('Bearer');
  });

  it('reports a wrong PKCE verifier as invalid_grant', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server);
    const wrongVerifier = 'a'.repeat(43);

    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: authorizationServer,
        redirectUri: REDIRECT_URI,
        callbackParameters: callbackUrl.searchParams,
        expectedState: request.state,
        codeVerifier: wrongVerifier,
      }),
    );

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_error');
    expect((error as OAuthTokenError).providerError).toBe('invalid_grant');
    expect((error as OAuthTokenError).status).toBe(400);
    expect((error as OAuthTokenError).message).not.toContain(callbackUrl.searchParams.get('code'));
    expect((error as OAuthTokenError).message).not.toContain(authorizationServer.clientSecret);
  });

  it('rejects a second exchange of the same code', async () => {
    const server = createServerEndpoints();
    const { request, callbackUrl } = await authorize(server);
    const input = {
      server,
      client: authorizationServer,
      redirectUri: REDIRECT_URI,
      callbackParameters: callbackUrl.searchParams,
      expectedState: request.state,
      codeVerifier: request.codeVerifier,
    };
    await exchangeAuthorizationCode(input);

    const error = await captureError(exchangeAuthorizationCode(input));

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).providerError).toBe('invalid_grant');
  });
});

describe('exchangeAuthorizationCode callback errors', () => {
  const server: OAuthServerEndpoints = {
    authorizationUrl: new URL('https://127.0.0.1:1/authorize'),
    tokenUrl: new URL('https://127.0.0.1:1/token'),
    pkce: true,
    scopes: [],
    scopeSeparator: ' ',
    authorizationParams: {},
    clientAuth: 'client_secret_basic',
    allowPrivateNetwork: false,
  };
  // No callback in this block may reach the token endpoint, so any fetch call fails the test.
  const unusedFetch = (() => {
    throw new Error('The token endpoint must not be called.');
  }) as unknown as typeof fetch;

  it('maps other provider errors', async () => {
    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: { clientId: 'client-1', clientSecret: 'secret-1' },
        redirectUri: REDIRECT_URI,
        callbackParameters: new URLSearchParams({ error: 'server_error', error_description: 'Try later', state: 'state-1' }),
        expectedState: 'state-1',
        codeVerifier: 'verifier',
        fetch: unusedFetch,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_authorization_error');
    expect((error as OAuthCallbackError).providerError).toBe('server_error');
    expect((error as OAuthCallbackError).providerErrorDescription).toBe('Try later');
  });

  it('checks state before the provider error', async () => {
    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: { clientId: 'client-1', clientSecret: 'secret-1' },
        redirectUri: REDIRECT_URI,
        callbackParameters: new URLSearchParams({ error: 'access_denied', state: 'forged' }),
        expectedState: 'state-1',
        codeVerifier: 'verifier',
        fetch: unusedFetch,
      }),
    );

    expect((error as OAuthCallbackError).code).toBe('oauth_invalid_callback');
  });

  it('rejects a callback without code', async () => {
    const error = await captureError(
      exchangeAuthorizationCode({
        server,
        client: { clientId: 'client-1', clientSecret: 'secret-1' },
        redirectUri: REDIRECT_URI,
        callbackParameters: new URLSearchParams({ state: 'state-1' }),
        expectedState: 'state-1',
        codeVerifier: 'verifier',
        fetch: unusedFetch,
      }),
    );

    expect(error).toBeInstanceOf(OAuthCallbackError);
    expect((error as OAuthCallbackError).code).toBe('oauth_invalid_callback');
    expect((error as OAuthCallbackError).message).toBe('The authorization response has no code parameter.');
  });
});

describe('exchangeAuthorizationCode token response quirks', () => {
  const CODE = 'code-7f3a9c';
  const CLIENT_SECRET = 'client-secret-5d1e';
  const ACCESS_TOKEN = 'access-token-91b2';
  let quirkyServer: RunningQuirkyTokenServer | undefined;

  afterEach(async () => {
    await quirkyServer?.close();
    quirkyServer = undefined;
  });

  async function exchangeWith(
    reply: QuirkyTokenResponse,
    overrides: { server?: Partial<OAuthServerEndpoints>; redirectUri?: string; requestedScopes?: string[] } = {},
  ) {
    const running = await startQuirkyTokenServer(() => reply);
    quirkyServer = running;
    const server: OAuthServerEndpoints = {
      authorizationUrl: new URL('http://127.0.0.1:1/authorize'),
      tokenUrl: new URL(running.tokenUrl),
      pkce: true,
      scopes: ['contacts.read'],
      scopeSeparator: ' ',
      authorizationParams: {},
      clientAuth: 'client_secret_basic',
      allowPrivateNetwork: true,
      ...overrides.server,
    };
    const promise = exchangeAuthorizationCode({
      server,
      client: { clientId: 'client-1', clientSecret: CLIENT_SECRET },
      redirectUri: overrides.redirectUri ?? REDIRECT_URI,
      callbackParameters: new URLSearchParams({ code: CODE, state: 'state-1' }),
      expectedState: 'state-1',
      codeVerifier: 'verifier-0123456789-0123456789-0123456789',
      requestedScopes: overrides.requestedScopes,
      now: () => NOW,
    });
    return { running, promise };
  }

  function json(body: Record<string, unknown>, status = 200): QuirkyTokenResponse {
    return { status, body: JSON.stringify(body) };
  }

  async function expectTokenError(promise: Promise<unknown>, code: OAuthTokenError['code']): Promise<OAuthTokenError> {
    const error = await captureError(promise);
    expect(error).toBeInstanceOf(OAuthTokenError);
    const tokenError = error as OAuthTokenError;
    expect(tokenError.code).toBe(code);
    expect(tokenError.message).not.toContain(CODE);
    expect(tokenError.message).not.toContain(CLIENT_SECRET);
    expect(tokenError.message).not.toContain(ACCESS_TOKEN);
    return tokenError;
  }

  it('sends redirect_uri, code and verifier byte for byte', async () => {
    const redirectUri = 'http://LOCALHOST:80/connect/oauth/callback?from=latchkey&x=%2F';
    const { running, promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' }), { redirectUri });

    await promise;

    expect(running.requests).toHaveLength(1);
    const received = running.requests[0]!;
    expect(received.method).toBe('POST');
    expect(received.body.get('grant_type')).toBe('authorization_code');
    expect(received.body.get('redirect_uri')).toBe(redirectUri);
    expect(received.body.get('code')).toBe(CODE);
    expect(received.body.get('code_verifier')).toBe('verifier-0123456789-0123456789-0123456789');
    expect(received.body.has('client_secret')).toBe(false);
    expect(received.headers.authorization).toBe(`Basic ${Buffer.from(`client-1:${CLIENT_SECRET}`).toString('base64')}`);
  });

  it('sends the client secret in the body for client_secret_post', async () => {
    const { running, promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'Bearer' }), {
      server: { clientAuth: 'client_secret_post' },
    });

    await promise;

    const received = running.requests[0]!;
    expect(received.headers.authorization).toBeUndefined();
    expect(received.body.get('client_id')).toBe('client-1');
    expect(received.body.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('accepts expires_in as a numeric string', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: '3600' }));

    const tokens = await promise;

    expect(tokens.expiresAt).toEqual(new Date(NOW.getTime() + 3_600_000));
  });

  it('treats a missing token_type as Bearer', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN }));

    const tokens = await promise;

    expect(tokens).toEqual({
      accessToken: ACCESS_TOKEN,
      tokenType: 'Bearer',
      expiresAt: null,
      refreshToken: null,
      scopes: ['contacts.read'],
    });
  });

  it('accepts a lower-case bearer token_type', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'bearer' }));

    const tokens = await promise;

    expect(tokens.tokenType).toBe('Bearer');
  });

  it('splits scopes joined by commas', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'repo,read:user, gist' }));

    const tokens = await promise;

    expect(tokens.scopes).toEqual(['repo', 'read:user', 'gist']);
  });

  it('reports requested scopes when scope is absent', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN }), { requestedScopes: ['a', 'b'] });

    const tokens = await promise;

    expect(tokens.scopes).toEqual(['a', 'b']);
  });

  it('rejects an error inside HTTP 200', async () => {
    const { promise } = await exchangeWith(json({ error: 'invalid_grant', error_description: 'Code expired' }));

    const error = await expectTokenError(promise, 'oauth_token_error');

    expect(error.providerError).toBe('invalid_grant');
    expect(error.providerErrorDescription).toBe('Code expired');
    expect(error.status).toBe(200);
    expect(error.message).toBe(`Token endpoint at ${new URL(quirkyServer!.tokenUrl).host} returned the error invalid_grant.`);
  });

  it('rejects a missing access_token', async () => {
    const { promise } = await exchangeWith(json({ token_type: 'Bearer', expires_in: 3600 }));

    const error = await expectTokenError(promise, 'oauth_invalid_token_response');

    expect(error.message).toContain('access_token is missing');
  });

  it('rejects an HTML body', async () => {
    const { promise } = await exchangeWith({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<html><body>Sign in again (${ACCESS_TOKEN})</body></html>`,
    });

    const error = await expectTokenError(promise, 'oauth_invalid_token_response');

    expect(error.message).toContain('is not a JSON object (content-type text/html)');
  });

  it('rejects a JSON array body', async () => {
    const { promise } = await exchangeWith({ status: 200, body: JSON.stringify([ACCESS_TOKEN]) });

    await expectTokenError(promise, 'oauth_invalid_token_response');
  });

  it('rejects an oversized body', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, padding: 'x'.repeat(300 * 1024) }));

    const error = await expectTokenError(promise, 'oauth_invalid_token_response');

    expect(error.message).toContain('is larger than 262144 bytes');
  });

  it('rejects expires_in that is not a number', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, expires_in: 'one hour' }));

    const error = await expectTokenError(promise, 'oauth_invalid_token_response');

    expect(error.message).toContain('expires_in is not a number');
  });

  it('rejects a token_type other than Bearer', async () => {
    const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, token_type: 'mac' }));

    await expectTokenError(promise, 'oauth_invalid_token_response');
  });

  it('reports an HTTP 400 OAuth error', async () => {
    const { promise } = await exchangeWith(json({ error: 'invalid_client' }, 400));

    const error = await expectTokenError(promise, 'oauth_token_error');

    expect(error.providerError).toBe('invalid_client');
    expect(error.status).toBe(400);
  });

  it('reports an HTTP 500 HTML page as failed', async () => {
    const { promise } = await exchangeWith({ status: 500, headers: { 'content-type': 'text/html' }, body: '<h1>Oops</h1>' });

    const error = await expectTokenError(promise, 'oauth_token_request_failed');

    expect(error.status).toBe(500);
  });

  it('does not follow a redirect from the token endpoint', async () => {
    const { running, promise } = await exchangeWith({ status: 302, headers: { location: '/elsewhere' }, body: '' });

    const error = await expectTokenError(promise, 'oauth_token_request_failed');

    expect(error.status).toBe(302);
    expect(running.requests).toHaveLength(1);
  });

  describe('instance URL', () => {
    const instanceServer = { tokenResponse: { instanceUrlField: 'instance_url', allowedInstanceHosts: ['*.my.salesforce.com'] } };

    it('accepts an https URL on an allowed host', async () => {
      const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, instance_url: 'https://acme.my.salesforce.com/' }), {
        server: instanceServer,
      });

      const tokens = await promise;

      expect(tokens.instanceUrl).toBe('https://acme.my.salesforce.com');
    });

    it.each([
      ['http://acme.my.salesforce.com', 'must use https'],
      [
        'https://acme.my.salesforce.com.attacker.example',
        'has the host acme.my.salesforce.com.attacker.example, which matches none of the allowed instance hosts',
      ],
      ['https://my.salesforce.com', 'has the host my.salesforce.com, which matches none of the allowed instance hosts'],
      ['https://127.0.0.1', 'has the IP address 127.0.0.1 as host'],
      ['https://user:pass@acme.my.salesforce.com', 'must not contain credentials'],
      ['not a url', 'is not a valid URL'],
    ])('rejects %s', async (instanceUrl, reason) => {
      const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN, instance_url: instanceUrl }), { server: instanceServer });

      const error = await expectTokenError(promise, 'oauth_invalid_token_response');

      expect(error.message).toContain(`instance_url ${reason}`);
    });

    it('rejects a missing instance URL', async () => {
      const { promise } = await exchangeWith(json({ access_token: ACCESS_TOKEN }), { server: instanceServer });

      const error = await expectTokenError(promise, 'oauth_invalid_token_response');

      expect(error.message).toContain('instance_url is missing');
    });
  });
});

describe('exchangeAuthorizationCode outbound guard', () => {
  it('rejects a token endpoint on loopback by default', async () => {
    const error = await captureError(
      exchangeAuthorizationCode({
        server: {
          authorizationUrl: new URL('https://localhost:39999/authorize'),
          tokenUrl: new URL('https://localhost:39999/token'),
          pkce: true,
          scopes: [],
          scopeSeparator: ' ',
          authorizationParams: {},
          clientAuth: 'client_secret_basic',
          allowPrivateNetwork: false,
        },
        client: { clientId: 'client-1', clientSecret: 'secret-1' },
        redirectUri: REDIRECT_URI,
        callbackParameters: new URLSearchParams({ code: 'code-1', state: 'state-1' }),
        expectedState: 'state-1',
        codeVerifier: null,
      }),
    );

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_request_failed');
    expect((error as OAuthTokenError).cause).toBeInstanceOf(OutboundRequestError);
    expect(((error as OAuthTokenError).cause as OutboundRequestError).code).toBe('outbound_address_refused');
  });

  it('rejects a plain http token endpoint without allowPrivateNetwork', async () => {
    const error = await captureError(
      exchangeAuthorizationCode({
        server: {
          authorizationUrl: new URL('https://127.0.0.1:1/authorize'),
          tokenUrl: new URL('http://127.0.0.1:1/token'),
          pkce: true,
          scopes: [],
          scopeSeparator: ' ',
          authorizationParams: {},
          clientAuth: 'client_secret_basic',
          allowPrivateNetwork: false,
        },
        client: { clientId: 'client-1', clientSecret: 'secret-1' },
        redirectUri: REDIRECT_URI,
        callbackParameters: new URLSearchParams({ code: 'code-1', state: 'state-1' }),
        expectedState: 'state-1',
        codeVerifier: null,
        fetch: (() => {
          throw new Error('No request may be sent.');
        }) as unknown as typeof fetch,
      }),
    );

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect((error as OAuthTokenError).code).toBe('oauth_token_request_failed');
    expect((error as OAuthTokenError).message).toContain('must use https');
  });
});

import { request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BrowserClient, hiddenValue } from '../support/browser-client.ts';
import { findFreePort } from '../support/free-port.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import {
  completeAuthorization,
  startAuthorizationServer,
  startQuirkyTokenServer,
  type QuirkyTokenResponse,
  type RunningAuthorizationServer,
  type RunningQuirkyTokenServer,
} from '../support/oidc-server.ts';

/** Token endpoint responses, one per request, in order. */
const TOKEN_RESPONSES: QuirkyTokenResponse[] = [
  { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Sign in again</body></html>' },
  { status: 200, body: JSON.stringify({ error: 'invalid_grant', error_description: 'code expired' }) },
  {
    status: 200,
    body: JSON.stringify({ access_token: 'quirky-access-token', token_type: 'bearer', expires_in: '3600', scope: 'read,write' }),
  },
];

let authorizationServer: RunningAuthorizationServer;
let tokenServer: RunningQuirkyTokenServer;
let server: TestServer;

beforeAll(async () => {
  const port = await findFreePort();
  authorizationServer = await startAuthorizationServer({ redirectUris: [`http://127.0.0.1:${port}/connect/oauth/callback`] });
  let calls = 0;
  tokenServer = await startQuirkyTokenServer(() => TOKEN_RESPONSES[Math.min(calls++, TOKEN_RESPONSES.length - 1)]!);
  server = await startTestServer({
    port,
    redeemRateLimit: 1000,
    connectors: {
      'test-quirky.yaml': `id: test-quirky
name: Quirky Books
auth:
  mode: oauth2
  authorizationUrl: ${authorizationServer.issuer}/auth
  tokenUrl: ${tokenServer.tokenUrl}
  scopes: [openid]
  pkce: true
fields: []
api:
  baseUrl: ${authorizationServer.issuer}/api
  inject: { header: Authorization, value: "Bearer {accessToken}" }
allowPrivateNetwork: true
`,
    },
  });
  await server.api('PUT', '/v1/connectors/test-quirky/oauth-app', {
    clientId: authorizationServer.clientId,
    clientSecret: authorizationServer.clientSecret,
  });
});

afterAll(async () => {
  await server?.close();
  await tokenServer?.close();
  await authorizationServer?.close();
});

/** Sends a form post with arbitrary Host and X-Forwarded-* headers, which fetch does not allow. */
function postWithHeaders(
  path: string,
  form: Record<string, string>,
  headers: Record<string, string>,
): Promise<{ status: number; location: string }> {
  const url = new URL(path, server.url);
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? '' });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('OAuth token exchange failures', () => {
  it('failed exchange stores nothing, retry succeeds', async () => {
    const account = await server.api('POST', '/v1/accounts', { name: 'Globex' });
    const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'ann@example.com' });
    const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-quirky' });
    const token = await server.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
      accountUserId: user.body.id,
    });
    const browser = new BrowserClient(server.url);
    const landing = await browser.get(token.body.link);
    await browser.post('/connect', { token: token.body.token, csrf: hiddenValue(landing.text, 'csrf') });
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    const path = `/v1/accounts/${account.body.id}/connectors/${connector.body.id}`;

    // Host and X-Forwarded-* headers must not change the redirect URI.
    const start = await postWithHeaders(
      '/connect/session/oauth',
      { csrf },
      {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        cookie: `lk_session=${browser.cookie('lk_session')}`,
      },
    );
    expect(start.status).toBe(303);
    expect(new URL(start.location).searchParams.get('redirect_uri')).toBe(`${server.url}/connect/oauth/callback`);

    for (const expected of ['HTML body', 'error inside HTTP 200']) {
      const callback = await completeAuthorization(start.location);
      const redirect = await browser.get(`${callback.pathname}${callback.search}`);
      const page = await browser.get(redirect.location!);
      expect(page.text, expected).toContain('Quirky Books was not connected');
      expect((await server.api('GET', path)).body.status, expected).toBe('unauthenticated');
      expect((await server.api('GET', `${path}/credentials`)).status, expected).toBe(409);
      const retry = await browser.post('/connect/session/oauth', { csrf: hiddenValue(page.text, 'csrf') });
      expect(retry.status).toBe(303);
      start.location = retry.location!;
    }

    const callback = await completeAuthorization(start.location);
    const redirect = await browser.get(`${callback.pathname}${callback.search}`);
    expect((await browser.get(redirect.location!)).text).toContain('Quirky Books is connected');
    expect(tokenServer.requests).toHaveLength(3);
    expect(tokenServer.requests[2]!.body.get('redirect_uri')).toBe(`${server.url}/connect/oauth/callback`);
    expect(tokenServer.requests[2]!.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);

    const credentials = await server.api('GET', `${path}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.body.accessToken).toBe('quirky-access-token');
    expect(credentials.body.tokenType).toBe('Bearer');
    expect(credentials.body.scopes).toEqual(['read', 'write']);
    expect(Date.parse(credentials.body.expiresAt) - server.clock.now().getTime()).toBe(3_600_000);
  });
});

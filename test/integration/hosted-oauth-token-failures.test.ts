import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sealCredentials } from '../../src/domain/credentials-envelope.ts';
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

describe('refresh that loses to another writer', () => {
  it('uses the tokens the other writer stored', async () => {
    let onRefresh: () => Promise<void> = async () => undefined;
    const refreshServer = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        void onRefresh().then(() => {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'invalid_grant' }));
        });
      });
    });
    await new Promise<void>((resolve) => refreshServer.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(refreshServer.address() as AddressInfo).port}/token`;
    const other = await startTestServer({
      connectors: {
        'test-rotating.yaml': `id: test-rotating
name: Rotating Books
auth:
  mode: oauth2
  authorizationUrl: http://127.0.0.1:9/auth
  tokenUrl: ${tokenUrl}
fields: []
api:
  baseUrl: http://127.0.0.1:9/api
  inject: { header: Authorization, value: "Bearer {accessToken}" }
allowPrivateNetwork: true
`,
      },
    });
    try {
      await other.api('PUT', '/v1/connectors/test-rotating/oauth-app', { clientId: 'client', clientSecret: 'secret' });
      const account = await other.api('POST', '/v1/accounts', { name: 'Globex' });
      const connector = await other.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-rotating' });
      const context = other.runtime.context;
      const db = other.runtime.database.db;
      const store = (accessToken: string, refreshToken: string, expiresAt: Date) =>
        db
          .updateTable('account_connectors')
          .set({
            status: 'authenticated',
            credentials_sealed: sealCredentials(context, connector.body.id, {
              mode: 'oauth2',
              values: {},
              oauth: { accessToken, tokenType: 'Bearer', expiresAt: expiresAt.toISOString(), refreshToken, scopes: [] },
            }),
          })
          .where('id', '=', connector.body.id)
          .execute();
      await store('expired-access-token', 'spent-refresh-token', new Date(0));
      // Another instance finishes its refresh while this one's request is at the provider.
      onRefresh = async () => {
        await store('access-token-from-other-instance', 'rotated-refresh-token', new Date(Date.now() + 3_600_000));
      };

      const path = `/v1/accounts/${account.body.id}/connectors/${connector.body.id}`;
      const response = await other.api('GET', `${path}/credentials`);
      expect(response.status).toBe(200);
      expect(response.body.accessToken).toBe('access-token-from-other-instance');
      expect((await other.api('GET', path)).body.status).toBe('authenticated');
    } finally {
      await other.close();
      refreshServer.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sealCredentials, openCredentials } from '../../src/domain/credentials-envelope.ts';
import { BrowserClient, hiddenValue } from '../support/browser-client.ts';
import { findFreePort } from '../support/free-port.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import { oauthConnectorFile } from '../support/oauth-connector.ts';
import { completeAuthorization, startAuthorizationServer, type RunningAuthorizationServer } from '../support/oidc-server.ts';

let authorizationServer: RunningAuthorizationServer;
let server: TestServer;

beforeAll(async () => {
  const port = await findFreePort();
  authorizationServer = await startAuthorizationServer({
    redirectUris: [`http://127.0.0.1:${port}/connect/oauth/callback`],
    accessTokenTtlSeconds: 120,
  });
  server = await startTestServer({ port, connectors: oauthConnectorFile(authorizationServer.issuer), redeemRateLimit: 1000 });
  const app = await server.api('PUT', '/v1/connectors/test-oauth/oauth-app', {
    clientId: authorizationServer.clientId,
    clientSecret: authorizationServer.clientSecret,
  });
  expect(app.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await authorizationServer?.close();
});

interface Started {
  accountId: string;
  accountConnectorId: string;
  accountUserId: string;
  tokenId: string;
  browser: BrowserClient;
  csrf: string;
}

/** Issues a token, redeems it in a new browser and opens the session page. */
async function openSession(connectorId = 'test-oauth'): Promise<Started> {
  const account = await server.api('POST', '/v1/accounts', { name: 'Globex' });
  const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: `ann+${account.body.id}@example.com` });
  const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId });
  const token = await server.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
    accountUserId: user.body.id,
  });
  const browser = new BrowserClient(server.url);
  const landing = await browser.get(token.body.link);
  const redeemed = await browser.post('/connect', { token: token.body.token, csrf: hiddenValue(landing.text, 'csrf') });
  expect(redeemed.status).toBe(303);
  const page = await browser.get('/connect/session');
  expect(page.status).toBe(200);
  return {
    accountId: account.body.id,
    accountConnectorId: connector.body.id,
    accountUserId: user.body.id,
    tokenId: token.body.id,
    browser,
    csrf: hiddenValue(page.text, 'csrf'),
  };
}

async function startFlow(started: Started): Promise<URL> {
  const response = await started.browser.post('/connect/session/oauth', { csrf: started.csrf });
  expect(response.status).toBe(303);
  return new URL(response.location!);
}

/** Follows the callback URL in the browser and returns the result page. */
async function returnToLatchkey(browser: BrowserClient, callback: URL) {
  const redirect = await browser.get(`${callback.pathname}${callback.search}`);
  expect(redirect.status).toBe(303);
  const location = redirect.location!;
  expect(location).not.toContain('code=');
  expect(location).not.toContain('state=');
  return { location, page: await browser.get(location) };
}

describe('OAuth 2 authorization code flow', () => {
  it('shows a Continue to button and sends PKCE S256 with a fresh state', async () => {
    const started = await openSession();
    const page = await started.browser.get('/connect/session');
    expect(page.text).toContain('<button type="submit">Continue to Test Books</button>');
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(authorizationServer.issuer).origin}`);

    const url = await startFlow(started);
    expect(`${url.origin}${url.pathname}`).toBe(authorizationServer.authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(`${server.url}/connect/oauth/callback`);
    expect(url.searchParams.get('scope')).toBe('openid offline_access contacts.read');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('completes, stores tokens and returns a fresh access token without the refresh token', async () => {
    const started = await openSession();
    const callback = await completeAuthorization((await startFlow(started)).href);
    const { page } = await returnToLatchkey(started.browser, callback);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Test Books is connected</h1>');

    const path = `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}`;
    const connector = await server.api('GET', path);
    expect(connector.body).toMatchObject({
      status: 'authenticated',
      authenticatedBy: started.accountUserId,
      setupTokenId: started.tokenId,
    });
    const credentials = await server.api('GET', `${path}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.body.mode).toBe('oauth2');
    expect(credentials.body.tokenType).toBe('Bearer');
    expect(typeof credentials.body.accessToken).toBe('string');
    expect(Date.parse(credentials.body.expiresAt)).toBeGreaterThan(server.clock.now().getTime());
    expect(credentials.body.scopes).toEqual(expect.arrayContaining(['contacts.read']));
    expect(JSON.stringify(credentials.body)).not.toMatch(/refresh/i);
  });

  it('sends no second token request for a replayed callback', async () => {
    const started = await openSession();
    const callback = await completeAuthorization((await startFlow(started)).href);
    const first = await returnToLatchkey(started.browser, callback);
    const requestsAfterFirst = authorizationServer.tokenRequests();

    const replay = await returnToLatchkey(new BrowserClient(server.url), callback);
    expect(replay.location).toBe(first.location);
    expect(replay.page.text).toContain('Test Books is connected');
    expect(authorizationServer.tokenRequests()).toBe(requestsAfterFirst);
  });

  it('completes in a browser that withholds cookies on the return', async () => {
    const started = await openSession();
    const callback = await completeAuthorization((await startFlow(started)).href);
    const { page } = await returnToLatchkey(new BrowserClient(server.url), callback);
    expect(page.text).toContain('Test Books is connected');
    const connector = await server.api('GET', `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}`);
    expect(connector.body.status).toBe('authenticated');
  });

  it('refuses an unknown state with the 403 page and no token request', async () => {
    const before = authorizationServer.tokenRequests();
    const response = await new BrowserClient(server.url).get('/connect/oauth/callback?code=abc&state=unknown-state-value');
    expect(response.status).toBe(403);
    expect(response.text).toContain('403 – Forbidden: Access is denied.');
    expect(authorizationServer.tokenRequests()).toBe(before);
  });

  it('explains access_denied and lets the customer try again in the session', async () => {
    const started = await openSession();
    const denied = await completeAuthorization((await startFlow(started)).href, { deny: true });
    expect(denied.searchParams.get('error')).toBe('access_denied');
    const { page } = await returnToLatchkey(started.browser, denied);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Test Books was not connected');
    expect(page.text).toContain('Access was not granted');
    expect(page.text).toContain('<button type="submit">Continue to Test Books</button>');

    const retry = await started.browser.post('/connect/session/oauth', { csrf: hiddenValue(page.text, 'csrf') });
    expect(retry.status).toBe(303);
    const callback = await completeAuthorization(retry.location!);
    const { page: success } = await returnToLatchkey(started.browser, callback);
    expect(success.text).toContain('Test Books is connected');
  });

  it('lets two tabs each run their own flow', async () => {
    const started = await openSession();
    const first = await startFlow(started);
    const second = await startFlow(started);
    expect(first.searchParams.get('state')).not.toBe(second.searchParams.get('state'));
    expect(first.searchParams.get('code_challenge')).not.toBe(second.searchParams.get('code_challenge'));

    // The first tab finishes first, which fails if the second start replaced its PKCE verifier.
    const firstCallback = await completeAuthorization(first.href);
    const { page: firstPage } = await returnToLatchkey(started.browser, firstCallback);
    expect(firstPage.text).toContain('Test Books is connected');
    const requests = authorizationServer.tokenRequests();

    const secondCallback = await completeAuthorization(second.href);
    const { page: secondPage } = await returnToLatchkey(started.browser, secondCallback);
    expect(secondPage.text).toContain('Test Books is connected');
    expect(authorizationServer.tokenRequests()).toBe(requests);
  });

  it('refreshes an expired access token and stores the rotated refresh token', async () => {
    const started = await openSession();
    await returnToLatchkey(started.browser, await completeAuthorization((await startFlow(started)).href));
    const path = `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}/credentials`;
    const before = await server.api('GET', path);
    const db = server.runtime.database.db;
    const sealedBefore = (
      await db
        .selectFrom('account_connectors')
        .select('credentials_sealed')
        .where('id', '=', started.accountConnectorId)
        .executeTakeFirstOrThrow()
    ).credentials_sealed!;
    const refreshBefore = openCredentials(server.runtime.context, started.accountConnectorId, sealedBefore).oauth?.refreshToken;

    server.clock.advance(5 * 60 * 1000);
    const requests = authorizationServer.tokenRequests();
    const after = await server.api('GET', path);
    expect(after.status).toBe(200);
    expect(authorizationServer.tokenRequests()).toBe(requests + 1);
    expect(after.body.accessToken).not.toBe(before.body.accessToken);
    expect(Date.parse(after.body.expiresAt)).toBeGreaterThan(server.clock.now().getTime());

    const sealedAfter = (
      await db
        .selectFrom('account_connectors')
        .select('credentials_sealed')
        .where('id', '=', started.accountConnectorId)
        .executeTakeFirstOrThrow()
    ).credentials_sealed!;
    const refreshAfter = openCredentials(server.runtime.context, started.accountConnectorId, sealedAfter).oauth?.refreshToken;
    expect(refreshAfter).toBeTruthy();
    expect(refreshAfter).not.toBe(refreshBefore);
  });

  it('shares one refresh among concurrent reads', async () => {
    const started = await openSession();
    await returnToLatchkey(started.browser, await completeAuthorization((await startFlow(started)).href));
    const path = `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}/credentials`;
    server.clock.advance(5 * 60 * 1000);
    const requests = authorizationServer.tokenRequests();

    const responses = await Promise.all(Array.from({ length: 5 }, () => server.api('GET', path)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(responses.map((response) => response.body.accessToken)).size).toBe(1);
    expect(authorizationServer.tokenRequests()).toBe(requests + 1);
    const connector = await server.api('GET', `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}`);
    expect(connector.body.status).toBe('authenticated');
  });

  it('marks the account connector needs_reauth when the refresh token is rejected', async () => {
    const started = await openSession();
    await returnToLatchkey(started.browser, await completeAuthorization((await startFlow(started)).href));
    const context = server.runtime.context;
    const db = server.runtime.database.db;
    const row = await db
      .selectFrom('account_connectors')
      .select('credentials_sealed')
      .where('id', '=', started.accountConnectorId)
      .executeTakeFirstOrThrow();
    const credentials = openCredentials(context, started.accountConnectorId, row.credentials_sealed!);
    const broken = {
      ...credentials,
      oauth: { ...credentials.oauth!, refreshToken: 'revoked-refresh-token', expiresAt: new Date(0).toISOString() },
    };
    await db
      .updateTable('account_connectors')
      .set({ credentials_sealed: sealCredentials(context, started.accountConnectorId, broken) })
      .where('id', '=', started.accountConnectorId)
      .execute();

    const path = `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}`;
    const response = await server.api('GET', `${path}/credentials`);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('account_connector_needs_reauth');
    expect((await server.api('GET', path)).body.status).toBe('needs_reauth');
  });

  it('requires the OAuth app before a flow can start', async () => {
    const response = await server.api('PUT', '/v1/connectors/test-oauth/oauth-app', { clientId: '', clientSecret: 'x' });
    expect(response.status).toBe(400);
    const apiKeyConnector = await server.api('PUT', '/v1/connectors/stripe/oauth-app', { clientId: 'a', clientSecret: 'b' });
    expect(apiKeyConnector.status).toBe(422);
    expect(apiKeyConnector.body.code).toBe('connector_mode_mismatch');
  });
});

describe('OAuth 2 client credentials', () => {
  it('client credentials token fetched and renewed', async () => {
    const started = await openSession('test-client-credentials');
    const page = await started.browser.get('/connect/session');
    expect(page.text).toContain('<label for="field-clientId">Client ID');
    expect(page.text).toContain('<button type="submit">Save</button>');

    const refused = await started.browser.post('/connect/session', {
      csrf: started.csrf,
      clientId: authorizationServer.clientId,
      clientSecret: 'wrong-secret',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Test Ledger did not issue an access token');
    expect(refused.text).not.toContain('wrong-secret');

    const accepted = await started.browser.post('/connect/session', {
      csrf: started.csrf,
      clientId: authorizationServer.clientId,
      clientSecret: authorizationServer.clientSecret,
    });
    expect(accepted.status).toBe(303);
    const path = `/v1/accounts/${started.accountId}/connectors/${started.accountConnectorId}/credentials`;
    const first = await server.api('GET', path);
    expect(first.status).toBe(200);
    expect(first.body.mode).toBe('oauth2_client_credentials');
    expect(typeof first.body.accessToken).toBe('string');

    server.clock.advance(10 * 60 * 1000);
    const requests = authorizationServer.tokenRequests();
    const renewed = await server.api('GET', path);
    expect(renewed.status).toBe(200);
    expect(authorizationServer.tokenRequests()).toBe(requests + 1);
    expect(renewed.body.accessToken).not.toBe(first.body.accessToken);
  });
});

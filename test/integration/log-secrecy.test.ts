import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openCredentials } from '../../src/domain/credentials-envelope.ts';
import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { BrowserClient, hiddenValue } from '../support/browser-client.ts';
import { findFreePort } from '../support/free-port.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import { oauthConnectorFile } from '../support/oauth-connector.ts';
import { completeAuthorization, startAuthorizationServer, type RunningAuthorizationServer } from '../support/oidc-server.ts';

const CANARY_API_KEY = 'canary-apikey-7f3a9c';
const CANARY_WRONG_KEY = 'canary-wrongkey-51be2d';
const CANARY_PASSWORD = 'canary-password-c0ffee';

let provider: TestProvider;
let authorizationServer: RunningAuthorizationServer;
let server: TestServer;
/** Every secret value seen during the flows; none may appear in a log line. */
const secrets = new Set<string>();

beforeAll(async () => {
  const port = await findFreePort();
  provider = await startTestProvider({ apiKey: CANARY_API_KEY, username: 'ann@example.com', passwords: [CANARY_PASSWORD] });
  authorizationServer = await startAuthorizationServer({
    redirectUris: [`http://127.0.0.1:${port}/connect/oauth/callback`],
    accessTokenTtlSeconds: 60,
  });
  server = await startTestServer({
    port,
    connectors: { ...testConnectorFiles(provider.url), ...oauthConnectorFile(authorizationServer.issuer) },
  });
  await server.api('PUT', '/v1/connectors/test-oauth/oauth-app', {
    clientId: authorizationServer.clientId,
    clientSecret: authorizationServer.clientSecret,
  });
  for (const value of [server.apiKey, authorizationServer.clientSecret, CANARY_API_KEY, CANARY_WRONG_KEY, CANARY_PASSWORD]) {
    secrets.add(value);
  }
});

afterAll(async () => {
  await server?.close();
  await authorizationServer?.close();
  await provider?.close();
});

async function issue(connectorId: string) {
  const account = await server.api('POST', '/v1/accounts', { name: 'Canary Co' });
  const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: `canary+${account.body.id}@example.com` });
  const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId });
  const token = await server.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
    accountUserId: user.body.id,
  });
  secrets.add(token.body.token);
  const browser = new BrowserClient(server.url);
  const landing = await browser.get(token.body.link);
  await browser.get(token.body.link, { method: 'HEAD' });
  const csrfCookie = hiddenValue(landing.text, 'csrf');
  secrets.add(csrfCookie);
  await browser.post('/connect', { token: token.body.token, csrf: csrfCookie });
  secrets.add(browser.cookie('lk_session')!);
  const page = await browser.get('/connect/session');
  const csrf = hiddenValue(page.text, 'csrf');
  secrets.add(csrf);
  return {
    accountId: account.body.id as string,
    accountConnectorId: connector.body.id as string,
    browser,
    csrf,
    link: token.body.link as string,
  };
}

describe('log output', () => {
  it('contains no secret from full API key, Basic and OAuth flows', async () => {
    const apiKeyFlow = await issue('test-apikey');
    await apiKeyFlow.browser.post('/connect/session', { csrf: apiKeyFlow.csrf, apiKey: CANARY_WRONG_KEY });
    await apiKeyFlow.browser.post('/connect/session', { csrf: apiKeyFlow.csrf, apiKey: `${CANARY_API_KEY}\u200B` });
    await apiKeyFlow.browser.post('/connect/session', { csrf: apiKeyFlow.csrf, apiKey: CANARY_API_KEY });
    await server.api('GET', `/v1/accounts/${apiKeyFlow.accountId}/connectors/${apiKeyFlow.accountConnectorId}/credentials`);
    await new BrowserClient(server.url).get(apiKeyFlow.link);

    const basicFlow = await issue('test-basic');
    await basicFlow.browser.post('/connect/session', {
      csrf: basicFlow.csrf,
      workspace: 'canary',
      username: 'ann@example.com',
      password: CANARY_PASSWORD,
    });

    const oauthFlow = await issue('test-oauth');
    const start = await oauthFlow.browser.post('/connect/session/oauth', { csrf: oauthFlow.csrf });
    const authorizationUrl = new URL(start.location!);
    secrets.add(authorizationUrl.searchParams.get('state')!);
    secrets.add(authorizationUrl.searchParams.get('code_challenge')!);
    const callback = await completeAuthorization(authorizationUrl.href);
    secrets.add(callback.searchParams.get('code')!);
    await oauthFlow.browser.get(`${callback.pathname}${callback.search}`);
    await oauthFlow.browser.get(`${callback.pathname}${callback.search}`);

    const row = await server.runtime.database.db
      .selectFrom('account_connectors')
      .select('credentials_sealed')
      .where('id', '=', oauthFlow.accountConnectorId)
      .executeTakeFirstOrThrow();
    const stored = openCredentials(server.runtime.context, oauthFlow.accountConnectorId, row.credentials_sealed!);
    secrets.add(stored.oauth!.accessToken);
    secrets.add(stored.oauth!.refreshToken!);
    secrets.add(row.credentials_sealed!);

    server.clock.advance(10 * 60 * 1000);
    const refreshed = await server.api('GET', `/v1/accounts/${oauthFlow.accountId}/connectors/${oauthFlow.accountConnectorId}/credentials`);
    expect(refreshed.status).toBe(200);
    secrets.add(refreshed.body.accessToken);

    await new BrowserClient(server.url).get(`/connect/oauth/callback?code=${callback.searchParams.get('code')}&state=unknown-canary-state`);
    secrets.add('unknown-canary-state');

    const log = server.logLines.join('\n');
    expect(server.logLines.length).toBeGreaterThan(20);
    expect(log).toContain('/connect/[redacted]');
    expect(log).toContain('code=[redacted]');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(log.includes(secret), `log contains a secret starting ${secret.slice(0, 6)}`).toBe(false);
    }
  });
});

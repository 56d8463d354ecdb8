import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rotateKeys } from '../../src/cli/rotate-keys.ts';
import { parseKeyring } from '../../src/crypto/keyring.ts';
import { Sealer } from '../../src/crypto/sealer.ts';
import { credentialsSealContext } from '../../src/domain/credentials-envelope.ts';
import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { BrowserClient, hiddenValue } from '../support/browser-client.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import { oauthConnectorFile } from '../support/oauth-connector.ts';

let provider: TestProvider;
let server: TestServer;

beforeAll(async () => {
  provider = await startTestProvider({ apiKey: 'good-key', username: 'ann@example.com', passwords: ['pw'] });
  server = await startTestServer({ connectors: testConnectorFiles(provider.url), redeemRateLimit: 1000 });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
});

async function issueToken() {
  const account = await server.api('POST', '/v1/accounts', { name: 'Globex' });
  const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: `ann+${account.body.id}@example.com` });
  const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-apikey' });
  const token = await server.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
    accountUserId: user.body.id,
  });
  return {
    accountId: account.body.id as string,
    accountConnectorId: connector.body.id as string,
    token: token.body.token as string,
    link: token.body.link as string,
  };
}

describe('hosted page protections', () => {
  it('refuses a redemption whose Origin is another site, leaving the token unspent', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const csrf = hiddenValue((await browser.get(issued.link)).text, 'csrf');
    const response = await fetch(`${server.url}/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://attacker.example',
        cookie: `lk_csrf=${browser.cookie('lk_csrf')}`,
      },
      body: new URLSearchParams({ token: issued.token, csrf }).toString(),
    });
    expect(response.status).toBe(403);
    expect((await browser.get(issued.link)).status).toBe(200);
  });

  it('accepts the Origin null that no-referrer pages make browsers send', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const csrf = hiddenValue((await browser.get(issued.link)).text, 'csrf');
    const response = await fetch(`${server.url}/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', cookie: `lk_csrf=${browser.cookie('lk_csrf')}` },
      body: new URLSearchParams({ token: issued.token, csrf }).toString(),
    });
    expect(response.status).toBe(303);
  });

  it('rejects a CSRF cookie it did not set', async () => {
    const issued = await issueToken();
    const response = await fetch(`${server.url}/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'lk_csrf=short' },
      body: new URLSearchParams({ token: issued.token, csrf: 'short' }).toString(),
    });
    expect(response.status).toBe(403);
    expect((await new BrowserClient(server.url).get(issued.link)).status).toBe(200);
  });

  it('rejects a cross-site post even with Origin null', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const csrf = hiddenValue((await browser.get(issued.link)).text, 'csrf');
    const response = await fetch(`${server.url}/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'null',
        'sec-fetch-site': 'cross-site',
        cookie: `lk_csrf=${browser.cookie('lk_csrf')}`,
      },
      body: new URLSearchParams({ token: issued.token, csrf }).toString(),
    });
    expect(response.status).toBe(403);
    expect((await browser.get(issued.link)).status).toBe(200);
  });

  it('rejects an over-long value next to the field without a server error', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const landing = await browser.get(issued.link);
    await browser.post('/connect', { token: issued.token, csrf: hiddenValue(landing.text, 'csrf') });
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    const response = await browser.post('/connect/session', { csrf, apiKey: 'k'.repeat(20_000) });
    expect(response.status).toBe(422);
    expect(response.text).toContain('16384');
  });

  it('answers an oversized form with 413 and no server error', async () => {
    const browser = new BrowserClient(server.url);
    const response = await browser.post('/connect', { token: 'x'.repeat(2 * 1024 * 1024), csrf: 'x' });
    expect(response.status).toBe(413);
  });

  it('limits redemption attempts per client address', async () => {
    const limited = await startTestServer({ redeemRateLimit: 5 });
    try {
      const browser = new BrowserClient(limited.url);
      const csrf = hiddenValue((await browser.get('/connect')).text, 'csrf');
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 7; attempt += 1) {
        statuses.push((await browser.post('/connect', { token: `lkst_${'0'.repeat(49)}`, csrf })).status);
      }
      expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('unknown API route gives JSON 404', async () => {
    const response = await fetch(`${server.url}/v2/lkst_${'1'.repeat(49)}`);
    const body = await response.json();
    expect(response.status).toBe(404);
    expect(body.code).toBe('not_found');
    expect(JSON.stringify(body)).not.toContain('1'.repeat(49));
  });
});

describe('OAuth connector without an OAuth app', () => {
  it('shows a failure page with 503', async () => {
    // The issuer is never contacted, because the missing OAuth app stops the flow first.
    const unconfigured = await startTestServer({ connectors: oauthConnectorFile('http://127.0.0.1:9') });
    try {
      const account = await unconfigured.api('POST', '/v1/accounts', { name: 'Globex' });
      const user = await unconfigured.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'ann@example.com' });
      const connector = await unconfigured.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-oauth' });
      const token = await unconfigured.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
        accountUserId: user.body.id,
      });
      const browser = new BrowserClient(unconfigured.url);
      const landing = await browser.get(token.body.link);
      await browser.post('/connect', { token: token.body.token, csrf: hiddenValue(landing.text, 'csrf') });
      const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
      const response = await browser.post('/connect/session/oauth', { csrf });
      expect(response.status).toBe(503);
      expect(response.text).toContain('Something went wrong');
      expect(unconfigured.logLines.join('\n')).toContain('oauth_app_missing');
    } finally {
      await unconfigured.close();
    }
  });
});

describe('cookies behind HTTPS', () => {
  it('HTTPS cookies use the __Host- prefix', async () => {
    const https = await startTestServer({ env: { LATCHKEY_PUBLIC_URL: 'https://connect.partner.example' } });
    try {
      const response = await new BrowserClient(https.url).get('/connect');
      const cookie = response.headers.getSetCookie().find((header) => header.startsWith('__Host-lk_csrf='));
      expect(cookie).toBeDefined();
      expect(cookie).toContain('Secure');
      expect(cookie).toContain('Path=/');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).not.toContain('Domain=');
    } finally {
      await https.close();
    }
  });
});

describe('embedding', () => {
  it('allowed origins may frame and receive postMessage', async () => {
    const embedded = await startTestServer({
      connectors: testConnectorFiles(provider.url),
      env: { LATCHKEY_EMBED_ORIGINS: 'https://app.partner.example' },
    });
    try {
      const account = await embedded.api('POST', '/v1/accounts', { name: 'Globex' });
      const user = await embedded.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'ann@example.com' });
      const connector = await embedded.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-apikey' });
      const token = await embedded.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
        accountUserId: user.body.id,
      });
      const browser = new BrowserClient(embedded.url);
      const landing = await browser.get(token.body.link);
      expect(landing.headers.get('content-security-policy')).toContain('frame-ancestors https://app.partner.example');
      expect(landing.headers.get('x-frame-options')).toBeNull();
      expect(landing.text).not.toContain('notify.js');

      await browser.post('/connect', { token: token.body.token, csrf: hiddenValue(landing.text, 'csrf') });
      const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
      await browser.post('/connect/session', { csrf, apiKey: 'good-key' });
      const success = await browser.get('/connect/session');
      expect(success.text).toContain('<script src="/connect/assets/notify.js"></script>');
      expect(success.text).toContain('data-embed-origins="https://app.partner.example"');
      expect(success.text).toContain(`data-account-connector-id="${connector.body.id}"`);
      expect(success.headers.get('content-security-policy')).toContain("script-src 'self'");
      const script = await browser.get('/connect/assets/notify.js');
      expect(script.status).toBe(200);
      expect(script.text).toContain('postMessage');
    } finally {
      await embedded.close();
    }
  });

  it('denies framing when no origin is allowed', async () => {
    const response = await new BrowserClient(server.url).get('/connect');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('key rotation', () => {
  it('re-encrypts credentials under a new key that opens them after a restart', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const landing = await browser.get(issued.link);
    await browser.post('/connect', { token: issued.token, csrf: hiddenValue(landing.text, 'csrf') });
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    expect((await browser.post('/connect/session', { csrf, apiKey: 'good-key' })).status).toBe(303);
    const db = server.runtime.database.db;
    const before = (
      await db
        .selectFrom('account_connectors')
        .select('credentials_sealed')
        .where('id', '=', issued.accountConnectorId)
        .executeTakeFirstOrThrow()
    ).credentials_sealed!;

    const counts = await rotateKeys(server.runtime);
    expect(counts.credentials).toBeGreaterThanOrEqual(1);

    const after = (
      await db
        .selectFrom('account_connectors')
        .select('credentials_sealed')
        .where('id', '=', issued.accountConnectorId)
        .executeTakeFirstOrThrow()
    ).credentials_sealed!;
    expect(after.split('.')[1]).toBe(counts.keyId);
    expect(after.split('.')[1]).not.toBe(before.split('.')[1]);
    const restarted = new Sealer(parseKeyring(readFileSync(server.runtime.keyFile!, 'utf8'), 'key file'));
    expect(JSON.parse(restarted.open(after, credentialsSealContext(issued.accountConnectorId))).values.apiKey).toBe('good-key');
  });
});

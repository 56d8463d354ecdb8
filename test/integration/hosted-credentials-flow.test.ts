import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashSecret } from '../../src/crypto/prefixed-secret.ts';
import { generateSetupTokenValue } from '../../src/crypto/setup-token-secret.ts';
import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { BrowserClient, hiddenValue, withoutRequestId } from '../support/browser-client.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';

/** A password of 8 KiB with characters that JSON and form encoding both escape. */
const LONG_PASSWORD = 'p&a=s s%"\\'.repeat(820).slice(0, 8192);

let provider: TestProvider;
let server: TestServer;

beforeAll(async () => {
  provider = await startTestProvider({ apiKey: 'good-key', username: 'ann@example.com', passwords: [' pass word ', LONG_PASSWORD] });
  server = await startTestServer({
    connectors: testConnectorFiles(provider.url),
    env: { LATCHKEY_SUCCESS_URL_ORIGINS: 'https://app.partner.example' },
    redeemRateLimit: 1000,
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
});

interface Issued {
  accountId: string;
  accountUserId: string;
  accountConnectorId: string;
  tokenId: string;
  token: string;
  link: string;
}

async function issueToken(
  options: {
    connectorId?: string;
    settings?: Record<string, string>;
    successUrl?: string;
    reuse?: Omit<Issued, 'tokenId' | 'token' | 'link'>;
  } = {},
): Promise<Issued> {
  let base = options.reuse;
  if (base === undefined) {
    const account = await server.api('POST', '/v1/accounts', { name: 'Globex' });
    const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: `ann+${account.body.id}@example.com` });
    const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, {
      connectorId: options.connectorId ?? 'test-apikey',
      ...(options.settings ? { settings: options.settings } : {}),
    });
    expect(connector.status).toBe(201);
    base = { accountId: account.body.id, accountUserId: user.body.id, accountConnectorId: connector.body.id };
  }
  const token = await server.api('POST', `/v1/accounts/${base.accountId}/connectors/${base.accountConnectorId}/setup-tokens`, {
    accountUserId: base.accountUserId,
    ...(options.successUrl ? { successUrl: options.successUrl } : {}),
  });
  expect(token.status).toBe(201);
  return { ...base, tokenId: token.body.id, token: token.body.token, link: token.body.link };
}

async function tokenStatus(issued: Issued): Promise<string> {
  const list = await server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}/setup-tokens`);
  return list.body.items.find((item: { id: string }) => item.id === issued.tokenId).status;
}

/** Opens the link and presses Continue; returns the browser holding the session. */
async function redeem(issued: Issued): Promise<BrowserClient> {
  const browser = new BrowserClient(server.url);
  const landing = await browser.get(issued.link);
  expect(landing.status).toBe(200);
  const redeemed = await browser.post('/connect', { token: issued.token, csrf: hiddenValue(landing.text, 'csrf') });
  expect(redeemed.status).toBe(303);
  return browser;
}

describe('landing page', () => {
  it('shows who asks, which app and which account, with a Continue button', async () => {
    const issued = await issueToken();
    const response = await new BrowserClient(server.url).get(issued.link);
    expect(response.status).toBe(200);
    expect(response.text).toContain('Acme Partner');
    expect(response.text).toContain('Test CRM');
    expect(response.text).toContain('Globex');
    expect(response.text).toContain('<button type="submit">Continue</button>');
  });

  it('sets the hosted-page security headers', async () => {
    const issued = await issueToken();
    const response = await new BrowserClient(server.url).get(issued.link);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-robots-tag')).toBe('noindex');
    const cookie = response.headers.getSetCookie().join('\n');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
  });

  it('GET, HEAD, GET then POST redeems exactly once', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    expect((await browser.get(issued.link)).status).toBe(200);
    const head = await browser.get(issued.link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const landing = await browser.get(issued.link);
    expect(landing.status).toBe(200);
    expect(await tokenStatus(issued)).toBe('issued');

    const redeemed = await browser.post('/connect', { token: issued.token, csrf: hiddenValue(landing.text, 'csrf') });
    expect(redeemed.status).toBe(303);
    expect(redeemed.location).toBe('/connect/session');
    expect(await tokenStatus(issued)).toBe('redeemed');

    const other = new BrowserClient(server.url);
    const otherLanding = await other.get('/connect');
    const second = await other.post('/connect', { token: issued.token, csrf: hiddenValue(otherLanding.text, 'csrf') });
    expect(second.status).toBe(403);
  });

  it('redeems by the paste form', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const form = await browser.get('/connect');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
    const redeemed = await browser.post('/connect', { token: ` ${issued.token} `, csrf: hiddenValue(form.text, 'csrf') });
    expect(redeemed.status).toBe(303);
  });

  it('redeems a whole link pasted into the form', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const form = await browser.get('/connect');
    const redeemed = await browser.post('/connect', { token: ` ${issued.link}\n`, csrf: hiddenValue(form.text, 'csrf') });
    expect(redeemed.status).toBe(303);
    expect(redeemed.location).toBe('/connect/session');
  });

  it('refuses a POST without the CSRF value and leaves the token unspent', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    await browser.get(issued.link);
    const response = await browser.post('/connect', { token: issued.token, csrf: 'forged' });
    expect(response.status).toBe(403);
    expect(await tokenStatus(issued)).toBe('issued');
  });

  it('lets exactly one of 20 concurrent redemptions win', async () => {
    const issued = await issueToken();
    const browsers = Array.from({ length: 20 }, () => new BrowserClient(server.url));
    const csrfValues = await Promise.all(browsers.map(async (browser) => hiddenValue((await browser.get(issued.link)).text, 'csrf')));
    const responses = await Promise.all(
      browsers.map((browser, index) => browser.post('/connect', { token: issued.token, csrf: csrfValues[index]! })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 303)).toHaveLength(1);
    expect(statuses.filter((status) => status === 403)).toHaveLength(19);
    const sessions = await server.runtime.database.db
      .selectFrom('setup_sessions')
      .selectAll()
      .where('setup_token_id', '=', issued.tokenId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('lands a double click in the same session', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const landing = await browser.get(issued.link);
    const csrf = hiddenValue(landing.text, 'csrf');
    const first = await browser.post('/connect', { token: issued.token, csrf });
    const sessionCookie = browser.cookie('lk_session');
    const second = await browser.post('/connect', { token: issued.token, csrf });
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.location).toBe('/connect/session');
    expect(browser.cookie('lk_session')).toBe(sessionCookie);
    expect((await browser.get('/connect/session')).status).toBe(200);
  });

  it('lands two simultaneous posts from one browser in one session', async () => {
    const issued = await issueToken();
    const browser = new BrowserClient(server.url);
    const csrf = hiddenValue((await browser.get(issued.link)).text, 'csrf');
    const [first, second] = await Promise.all([
      browser.post('/connect', { token: issued.token, csrf }),
      browser.post('/connect', { token: issued.token, csrf }),
    ]);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    const cookies = [first, second].map((response) => response.headers.getSetCookie().find((cookie) => cookie.startsWith('lk_session=')));
    expect(cookies[0]).toBeDefined();
    expect(cookies[1]).toBe(cookies[0]);
    expect((await browser.get('/connect/session')).status).toBe(200);
    const sessions = await server.runtime.database.db
      .selectFrom('setup_sessions')
      .selectAll()
      .where('setup_token_id', '=', issued.tokenId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('gives the same 403 page for every unusable token', async () => {
    const expired = await issueToken();
    const revoked = await issueToken();
    const used = await issueToken();
    await server.api('POST', `/v1/setup-tokens/${revoked.tokenId}/revoke`);
    await redeem(used);
    const typo = `${used.token.slice(0, -1)}${used.token.endsWith('a') ? 'b' : 'a'}`;
    const unknown = generateSetupTokenValue();

    const bodies: string[] = [];
    const pageFor = async (path: string) => {
      const response = await new BrowserClient(server.url).get(path);
      expect(response.status, path).toBe(403);
      expect(response.text).toContain('403 – Forbidden: Access is denied.');
      bodies.push(withoutRequestId(response.text));
    };
    await pageFor(revoked.link);
    await pageFor(used.link);
    await pageFor(`/connect/${typo}`);
    await pageFor(`/connect/${unknown}`);
    await pageFor('/connect/not-a-token');
    await pageFor(`/connect/${'x'.repeat(400)}`);
    server.clock.advance(301_000);
    await pageFor(expired.link);

    for (const body of bodies) {
      expect(body).toBe(bodies[0]);
    }
    const refusals = server.logLines.filter((line) => line.includes('"setup link rejected"')).map((line) => JSON.parse(line).reason);
    expect(refusals).toEqual(expect.arrayContaining(['revoked', 'redeemed', 'malformed', 'unknown', 'expired']));
    const postResponse = await new BrowserClient(server.url).post('/connect', { token: unknown, csrf: 'x' });
    expect(withoutRequestId(postResponse.text)).toBe(bodies[0]);
  });
});

describe('credentials form', () => {
  it('shows the refusal, keeps the session, and saves corrected credentials', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    const page = await browser.get('/connect/session');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<label for="field-apiKey">API key');
    expect(page.text).toContain('type="password"');
    expect(page.text).toContain('<button type="submit">Save</button>');
    const csrf = hiddenValue(page.text, 'csrf');

    const refused = await browser.post('/connect/session', { csrf, apiKey: 'bad-key-123' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Test CRM refused these credentials (HTTP 401: Invalid API key provided)');
    expect(refused.text).not.toContain('bad-key-123');

    const accepted = await browser.post('/connect/session', { csrf, apiKey: '\uFEFF good-key \n' });
    expect(accepted.status).toBe(303);
    const success = await browser.get('/connect/session');
    expect(success.text).toContain('<h1>Test CRM is connected</h1>');
    expect(success.text).toContain('You can close this window.');

    const connector = await server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}`);
    expect(connector.body).toMatchObject({
      status: 'authenticated',
      authenticatedBy: issued.accountUserId,
      setupTokenId: issued.tokenId,
    });
    expect(await tokenStatus(issued)).toBe('completed');

    const credentials = await server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.body).toEqual({ mode: 'api_key', values: { apiKey: 'good-key' } });

    const events = await server.runtime.database.db
      .selectFrom('audit_events')
      .select(['type', 'api_key_id'])
      .where('account_connector_id', '=', issued.accountConnectorId)
      .orderBy('created_at')
      .execute();
    const types = events.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'setup_token.created',
        'setup_token.opened',
        'setup_token.redeemed',
        'credentials.verification_failed',
        'setup_token.completed',
        'credentials.read',
      ]),
    );
    expect(events.find((event) => event.type === 'credentials.read')?.api_key_id).toMatch(/^key_/);
  });

  it('reports a zero-width character by position without echoing the value', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    const response = await browser.post('/connect/session', { csrf, apiKey: 'good\u200B-key' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('U+200B');
    expect(response.text).toContain('5');
    expect(response.text).not.toContain('good');
  });

  it('stores credentials in the database only encrypted', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    await browser.post('/connect/session', { csrf, apiKey: 'good-key' });
    const row = await server.runtime.database.db
      .selectFrom('account_connectors')
      .selectAll()
      .where('id', '=', issued.accountConnectorId)
      .executeTakeFirstOrThrow();
    expect(row.credentials_sealed).toMatch(/^v1\./);
    expect(row.credentials_sealed).not.toContain('good-key');
    const token = await server.runtime.database.db
      .selectFrom('setup_tokens')
      .selectAll()
      .where('id', '=', issued.tokenId)
      .executeTakeFirstOrThrow();
    expect(token.token_hash).toBe(hashSecret(issued.token));
  });

  it('locks the session after 10 failed submissions and marks the token failed', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      const response = await browser.post('/connect/session', { csrf, apiKey: `wrong-${attempt}` });
      expect(response.status).toBe(422);
      if (attempt < 5) {
        expect(response.text).not.toContain('attempts left');
      } else {
        const left = 10 - attempt;
        expect(response.text).toContain(`${left} ${left === 1 ? 'attempt' : 'attempts'} left before this link locks.`);
      }
    }
    const tenth = await browser.post('/connect/session', { csrf, apiKey: 'wrong-10' });
    expect(tenth.status).toBe(403);
    expect((await browser.post('/connect/session', { csrf, apiKey: 'good-key' })).status).toBe(403);
    expect(await tokenStatus(issued)).toBe('failed');
  });

  it('handles HTTP Basic with a workspace field, keeping entered values', async () => {
    const issued = await issueToken({ connectorId: 'test-basic' });
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');

    const invalid = await browser.post('/connect/session', {
      csrf,
      workspace: 'Bad Space',
      username: 'ann:x@example.com',
      password: ' pass word ',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('value="Bad Space"');
    expect(invalid.text).toContain('value="ann:x@example.com"');
    expect(invalid.text).not.toContain('pass word');
    expect(invalid.text).toMatch(/field-error" id="error-workspace"/);
    expect(invalid.text).toMatch(/field-error" id="error-username"/);

    const accepted = await browser.post('/connect/session', {
      csrf,
      workspace: 'globex',
      username: ' ann@example.com ',
      password: ' pass word ',
    });
    expect(accepted.status).toBe(303);
    const credentials = await server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}/credentials`);
    expect(credentials.body).toEqual({
      mode: 'basic',
      values: { workspace: 'globex', username: 'ann@example.com', password: ' pass word ' },
    });
  });

  it('shows preset settings read-only and uses them', async () => {
    const issued = await issueToken({ connectorId: 'test-basic', settings: { workspace: 'globex' } });
    const browser = await redeem(issued);
    const page = await browser.get('/connect/session');
    expect(page.text).toContain('value="globex" readonly');
    const csrf = hiddenValue(page.text, 'csrf');
    const accepted = await browser.post('/connect/session', {
      csrf,
      workspace: 'other',
      username: 'ann@example.com',
      password: ' pass word ',
    });
    expect(accepted.status).toBe(303);
    expect(provider.received.at(-1)?.path).toBe('/globex/api/myself');
  });

  it('rejects settings that break the field pattern', async () => {
    const account = await server.api('POST', '/v1/accounts', { name: 'Settings' });
    const response = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, {
      connectorId: 'test-basic',
      settings: { workspace: 'Not Valid' },
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('invalid_settings');
    const secret = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, {
      connectorId: 'test-basic',
      settings: { password: 'x' },
    });
    expect(secret.status).toBe(422);
  });

  it('redirects to the success URL when the token has one', async () => {
    const issued = await issueToken({ successUrl: 'https://app.partner.example/connected?x=1' });
    const browser = await redeem(issued);
    const page = await browser.get('/connect/session');
    expect(page.headers.get('content-security-policy')).toContain('https://app.partner.example');
    const accepted = await browser.post('/connect/session', { csrf: hiddenValue(page.text, 'csrf'), apiKey: 'good-key' });
    expect(accepted.status).toBe(303);
    const done = await browser.get('/connect/session');
    expect(done.status).toBe(303);
    expect(done.location).toBe('https://app.partner.example/connected?x=1');
  });

  it('ends the session when its completion window passes', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    server.clock.advance(30 * 60 * 1000 + 1000);
    expect((await browser.get('/connect/session')).status).toBe(403);
  });

  it('ends the session when the partner revokes the token', async () => {
    const issued = await issueToken();
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    await server.api('POST', `/v1/setup-tokens/${issued.tokenId}/revoke`);
    expect((await browser.get('/connect/session')).status).toBe(403);
    expect((await browser.post('/connect/session', { csrf, apiKey: 'good-key' })).status).toBe(403);
  });

  it('replaces credentials on re-authentication and erases them on de-authentication', async () => {
    const first = await issueToken({ connectorId: 'test-basic' });
    const firstBrowser = await redeem(first);
    await firstBrowser.post('/connect/session', {
      csrf: hiddenValue((await firstBrowser.get('/connect/session')).text, 'csrf'),
      workspace: 'one',
      username: 'ann@example.com',
      password: ' pass word ',
    });

    const second = await issueToken({ reuse: first });
    const secondBrowser = await redeem(second);
    await secondBrowser.post('/connect/session', {
      csrf: hiddenValue((await secondBrowser.get('/connect/session')).text, 'csrf'),
      workspace: 'two',
      username: 'ann@example.com',
      password: ' pass word ',
    });
    const path = `/v1/accounts/${first.accountId}/connectors/${first.accountConnectorId}`;
    expect((await server.api('GET', `${path}/credentials`)).body.values.workspace).toBe('two');
    expect((await server.api('GET', path)).body.setupTokenId).toBe(second.tokenId);

    const deauthenticated = await server.api('POST', `${path}/deauthenticate`);
    expect(deauthenticated.body.status).toBe('unauthenticated');
    const credentials = await server.api('GET', `${path}/credentials`);
    expect(credentials.status).toBe(409);
    expect(credentials.body.code).toBe('account_connector_unauthenticated');
  });

  it('marks credentials moved to another row undecryptable and keeps other connectors working', async () => {
    const first = await issueToken();
    const second = await issueToken();
    for (const issued of [first, second]) {
      const browser = await redeem(issued);
      await browser.post('/connect/session', {
        csrf: hiddenValue((await browser.get('/connect/session')).text, 'csrf'),
        apiKey: 'good-key',
      });
    }
    const db = server.runtime.database.db;
    const source = await db
      .selectFrom('account_connectors')
      .select('credentials_sealed')
      .where('id', '=', first.accountConnectorId)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('account_connectors')
      .set({ credentials_sealed: source.credentials_sealed })
      .where('id', '=', second.accountConnectorId)
      .execute();

    const moved = await server.api('GET', `/v1/accounts/${second.accountId}/connectors/${second.accountConnectorId}/credentials`);
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('credentials_undecryptable');
    expect((await server.api('GET', `/v1/accounts/${second.accountId}/connectors/${second.accountConnectorId}`)).body.status).toBe(
      'undecryptable',
    );
    expect((await server.api('GET', `/v1/accounts/${first.accountId}/connectors/${first.accountConnectorId}/credentials`)).status).toBe(
      200,
    );
  });

  it('round-trips a secret of several kilobytes exactly', async () => {
    const issued = await issueToken({ connectorId: 'test-basic' });
    const browser = await redeem(issued);
    const csrf = hiddenValue((await browser.get('/connect/session')).text, 'csrf');
    const response = await browser.post('/connect/session', { csrf, workspace: 'w', username: 'ann@example.com', password: LONG_PASSWORD });
    expect(response.status).toBe(303);
    const credentials = await server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}/credentials`);
    expect(credentials.body.values.password).toBe(LONG_PASSWORD);
    expect(credentials.body.values.password).toHaveLength(8192);
  });
});

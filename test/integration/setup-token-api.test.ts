import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';

let provider: TestProvider;
let server: TestServer;

beforeAll(async () => {
  provider = await startTestProvider({ apiKey: 'good-key', username: 'ann@example.com', passwords: ['pw'] });
  server = await startTestServer({
    connectors: testConnectorFiles(provider.url),
    env: { LATCHKEY_SUCCESS_URL_ORIGINS: 'https://app.partner.example' },
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
});

async function createAccountWithConnector(options: { parentAccountId?: string } = {}) {
  const account = await server.api('POST', '/v1/accounts', { name: 'Globex', externalId: 'globex-1', ...options });
  const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, {
    email: `ann+${account.body.id}@example.com`,
    name: 'Ann',
  });
  const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-apikey' });
  return { account: account.body, user: user.body, accountConnector: connector.body };
}

describe('partner API authentication', () => {
  it('rejects a missing API key with 401 and a code', async () => {
    const response = await fetch(`${server.url}/v1/accounts`);
    const body = await response.json();
    expect(response.status).toBe(401);
    expect(body.code).toBe('unauthorized');
    expect(body.requestId).toMatch(/^req_/);
  });

  it('rejects a malformed API key', async () => {
    const response = await server.api('GET', '/v1/accounts', undefined, { apiKey: 'lkak_wrong' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('unauthorized');
  });
});

describe('accounts and users', () => {
  it('creates, reads, updates and lists accounts', async () => {
    const created = await server.api('POST', '/v1/accounts', { name: 'Initech' });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^acc_/);
    expect(created.body).toMatchObject({ name: 'Initech', externalId: null, parentAccountId: null });

    const child = await server.api('POST', '/v1/accounts', { name: 'Initech EU', parentAccountId: created.body.id });
    expect(child.status).toBe(201);
    expect(child.body.parentAccountId).toBe(created.body.id);

    const patched = await server.api('PATCH', `/v1/accounts/${created.body.id}`, { name: 'Initech Ltd' });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Initech Ltd');

    const read = await server.api('GET', `/v1/accounts/${created.body.id}`);
    expect(read.body.name).toBe('Initech Ltd');
  });

  it('paginates accounts with a cursor', async () => {
    for (let index = 0; index < 3; index += 1) {
      await server.api('POST', '/v1/accounts', { name: `Page ${index}` });
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const page = await server.api('GET', `/v1/accounts${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('rejects a cursor it did not produce', async () => {
    const response = await server.api('GET', '/v1/accounts?cursor=nonsense');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_cursor');
  });

  it('rejects an over-long name naming the maximum', async () => {
    const response = await server.api('POST', '/v1/accounts', { name: 'x'.repeat(201) });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('field_too_long');
    expect(response.body.message).toContain('200');
  });

  it('answers a body over the limit with 413', async () => {
    const response = await server.api('POST', '/v1/accounts', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('payload_too_large');
  });

  it('answers malformed JSON with 400', async () => {
    const response = await server.api('POST', '/v1/accounts', '{"name":');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
  });

  it('rejects unknown properties instead of dropping them', async () => {
    const response = await server.api('POST', '/v1/accounts', { name: 'Typo', externalID: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.message).toBe('body has the unknown property "externalID".');
  });

  it('rejects a number where a string is expected', async () => {
    const response = await server.api('POST', '/v1/accounts', { name: 42 });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('body.name must be string.');
  });

  it('names a missing property and the allowed roles', async () => {
    const account = await server.api('POST', '/v1/accounts', { name: 'Roles' });
    const missing = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { name: 'Ann' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('body.email is required.');
    const role = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'a@example.com', role: 'admin' });
    expect(role.status).toBe(400);
    expect(role.body.message).toBe('body.role must be one of: standard, administrator.');
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await fetch(`${server.url}/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Form',
    });
    const body = await response.json();
    expect(response.status).toBe(415);
    expect(body.code).toBe('unsupported_media_type');
  });

  it('rejects a JSON body that is not an object', async () => {
    const response = await server.api('POST', '/v1/accounts', '["Globex"]');
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('The request body must be a JSON object.');
  });

  it('rejects prototype pollution in JSON bodies', async () => {
    const response = await server.api('POST', '/v1/accounts', '{"name":"x","__proto__":{"admin":true}}');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
  });

  it('creates an account user once per email and lists them', async () => {
    const account = await server.api('POST', '/v1/accounts', { name: 'Users Inc' });
    const first = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'Bob@Example.com', role: 'administrator' });
    const second = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'bob@example.com' });
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/^usr_/);
    expect(second.body.id).toBe(first.body.id);
    const list = await server.api('GET', `/v1/accounts/${account.body.id}/users`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].email).toBe('bob@example.com');
  });

  it('returns 404 with a code for an unknown account', async () => {
    const response = await server.api('GET', '/v1/accounts/acc_missing');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('account_not_found');
  });
});

describe('setup tokens', () => {
  it('creates a token with the default expiry of 300 seconds', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const response = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['expiresAt', 'id', 'link', 'status', 'token']);
    expect(response.body.id).toMatch(/^stk_/);
    expect(response.body.token).toMatch(/^lkst_[0-9A-Za-z]{49}$/);
    expect(response.body.link).toBe(`${server.url}/connect/${response.body.token}`);
    expect(response.body.status).toBe('issued');
    expect(Date.parse(response.body.expiresAt) - server.clock.now().getTime()).toBe(300_000);
  });

  it.each([59, 604_801, 0, -5])('rejects an expiry of %i seconds naming the range', async (seconds) => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const response = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
      expiresInSeconds: seconds,
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('expiry_out_of_range');
    expect(response.body.message).toContain('60');
    expect(response.body.message).toContain('604800');
  });

  it.each([60, 604_800])('accepts an expiry of %i seconds', async (seconds) => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const response = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
      expiresInSeconds: seconds,
    });
    expect(response.status).toBe(201);
  });

  it('rejects a user with access only to the parent account, creating nothing', async () => {
    const parent = await createAccountWithConnector();
    const child = await server.api('POST', '/v1/accounts', { name: 'Child', parentAccountId: parent.account.id });
    const childConnector = await server.api('POST', `/v1/accounts/${child.body.id}/connectors`, { connectorId: 'test-apikey' });

    const response = await server.api('POST', `/v1/accounts/${child.body.id}/connectors/${childConnector.body.id}/setup-tokens`, {
      accountUserId: parent.user.id,
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('account_user_without_access');
    const list = await server.api('GET', `/v1/accounts/${child.body.id}/connectors/${childConnector.body.id}/setup-tokens`);
    expect(list.body.items).toEqual([]);
  });

  it('rejects a success URL outside the allow-list', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    const refused = await server.api('POST', path, { accountUserId: user.id, successUrl: 'https://elsewhere.example/done' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('success_url_not_allowed');
    const accepted = await server.api('POST', path, { accountUserId: user.id, successUrl: 'https://app.partner.example/done' });
    expect(accepted.status).toBe(201);
  });

  it('lists tokens with status and never their values, and revokes one', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    const first = await server.api('POST', path, { accountUserId: user.id });
    const second = await server.api('POST', path, { accountUserId: user.id });

    const revoked = await server.api('POST', `/v1/setup-tokens/${first.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect(revoked.body.reason).toBe('revoked_by_partner');

    const list = await server.api('GET', path);
    const serialized = JSON.stringify(list.body);
    expect(serialized).not.toContain(first.body.token);
    expect(serialized).not.toContain(second.body.token);
    const statuses = Object.fromEntries(list.body.items.map((item: { id: string; status: string }) => [item.id, item.status]));
    expect(statuses).toEqual({ [first.body.id]: 'revoked', [second.body.id]: 'issued' });
  });

  it('revokes with an empty JSON body', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const created = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
    });
    const response = await fetch(`${server.url}/v1/setup-tokens/${created.body.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect((await response.json()).status).toBe('revoked');
  });

  it('keeps expired tokens expired when access is removed', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    await server.api('POST', path, { accountUserId: user.id, expiresInSeconds: 60 });
    server.clock.advance(61_000);
    await server.api('DELETE', `/v1/accounts/${account.id}/users/${user.id}`);
    const list = await server.api('GET', path);
    expect(list.body.items[0].status).toBe('expired');
  });

  it('reports expired tokens as expired', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    const created = await server.api('POST', path, { accountUserId: user.id, expiresInSeconds: 60 });
    server.clock.advance(61_000);
    const list = await server.api('GET', path);
    expect(list.body.items.find((item: { id: string }) => item.id === created.body.id).status).toBe('expired');
  });

  it('revokes outstanding tokens when access is removed', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    await server.api('POST', path, { accountUserId: user.id });
    const removed = await server.api('DELETE', `/v1/accounts/${account.id}/users/${user.id}`);
    expect(removed.status).toBe(204);
    const list = await server.api('GET', path);
    expect(list.body.items[0].status).toBe('revoked');
    expect(list.body.items[0].reason).toBe('access_removed');
  });

  it('revokes outstanding tokens when the account connector is deleted', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const created = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
    });
    const deleted = await server.api('DELETE', `/v1/accounts/${account.id}/connectors/${accountConnector.id}`);
    expect(deleted.status).toBe(204);
    const landing = await fetch(created.body.link);
    expect(landing.status).toBe(403);
    const revoke = await server.api('POST', `/v1/setup-tokens/${created.body.id}/revoke`);
    expect(revoke.body.status).toBe('revoked');
    expect(revoke.body.reason).toBe('account_connector_deleted');
  });

  it('revokes outstanding tokens when the account is deleted', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const created = await server.api('POST', `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`, {
      accountUserId: user.id,
    });
    const deleted = await server.api('DELETE', `/v1/accounts/${account.id}`);
    expect(deleted.status).toBe(204);
    const landing = await fetch(created.body.link);
    expect(landing.status).toBe(403);
    const read = await server.api('GET', `/v1/accounts/${account.id}`);
    expect(read.status).toBe(404);
  });

  it('revokes older outstanding tokens when asked', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    const first = await server.api('POST', path, { accountUserId: user.id });
    const second = await server.api('POST', path, { accountUserId: user.id, revokeOutstanding: true });
    expect(second.status).toBe(201);
    const list = await server.api('GET', path);
    const byId = Object.fromEntries(list.body.items.map((item: { id: string; status: string; reason: string | null }) => [item.id, item]));
    expect(byId[first.body.id].status).toBe('revoked');
    expect(byId[first.body.id].reason).toBe('replaced');
    expect(byId[second.body.id].status).toBe('issued');
  });

  it('rejects a revoked API key', async () => {
    const { createApiKey, revokeApiKey } = await import('../../src/domain/api-keys.ts');
    const created = await createApiKey(server.runtime.context, 'short-lived');
    expect((await server.api('GET', '/v1/accounts', undefined, { apiKey: created.key })).status).toBe(200);
    expect(await revokeApiKey(server.runtime.context, created.id)).toBe(true);
    const response = await server.api('GET', '/v1/accounts', undefined, { apiKey: created.key });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('unauthorized');
  });

  it('keeps older tokens valid when a new one is issued', async () => {
    const { account, user, accountConnector } = await createAccountWithConnector();
    const path = `/v1/accounts/${account.id}/connectors/${accountConnector.id}/setup-tokens`;
    const first = await server.api('POST', path, { accountUserId: user.id });
    await server.api('POST', path, { accountUserId: user.id });
    const landing = await fetch(first.body.link);
    expect(landing.status).toBe(200);
  });
});

describe('catalog and OpenAPI', () => {
  it('lists the shipped and the extra connectors', async () => {
    const response = await server.api('GET', '/v1/connectors');
    const ids = response.body.items.map((item: { id: string }) => item.id);
    expect(ids).toContain('test-apikey');
    expect(ids).toContain('airtable');
  });

  it('serves an OpenAPI document listing every partner API path', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/accounts',
      '/v1/accounts/{accountId}',
      '/v1/accounts/{accountId}/users',
      '/v1/connectors',
      '/v1/connectors/{connectorId}',
      '/v1/connectors/{connectorId}/oauth-app',
      '/v1/accounts/{accountId}/connectors',
      '/v1/accounts/{accountId}/connectors/{accountConnectorId}',
      '/v1/accounts/{accountId}/connectors/{accountConnectorId}/setup-tokens',
      '/v1/setup-tokens/{setupTokenId}/revoke',
      '/v1/accounts/{accountId}/connectors/{accountConnectorId}/credentials',
    ]) {
      expect(document.paths[path], path).toBeDefined();
    }
    const created = document.paths['/v1/accounts/{accountId}/connectors/{accountConnectorId}/setup-tokens'].post;
    expect(Object.keys(created.responses)).toEqual(expect.arrayContaining(['201', '4XX']));
    expect(JSON.stringify(created.responses['4XX'])).toContain('$ref');
    expect(JSON.stringify(document.components.schemas)).toContain('requestId');
  });

  it('answers health checks', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('readyz reports a lost database with 503', async () => {
    const lost = await startTestServer();
    try {
      await lost.runtime.database.db.destroy();
      const response = await fetch(`${lost.url}/readyz`);
      const body = await response.json();
      expect(response.status).toBe(503);
      expect(body.code).toBe('service_unavailable');
      expect(body.requestId).toMatch(/^req_/);
    } finally {
      await lost.close();
    }
  });
});

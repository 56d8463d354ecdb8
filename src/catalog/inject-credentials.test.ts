import { describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from './connector-definition.ts';
import { AuthenticatedRequestError, buildAuthenticatedRequest, findRequestPathProblem } from './inject-credentials.ts';
import { parseConnectorDefinition } from './parse-connector-definition.ts';
import { TemplateError } from './render-template.ts';

function defineConnector(document: unknown): ConnectorDefinition {
  const result = parseConnectorDefinition(document, '/tmp/test.yaml');
  if (!result.ok) throw new Error(`invalid test definition: ${JSON.stringify(result.problems)}`);
  return result.definition;
}

const headerConnector = defineConnector({
  id: 'acme-header',
  name: 'Acme Header',
  auth: { mode: 'api_key' },
  fields: [{ name: 'apiKey', label: 'API key', secret: true }],
  api: { baseUrl: 'https://api.acme.example', inject: { header: 'Authorization', value: 'Bearer {apiKey}' } },
});

const queryConnector = defineConnector({
  id: 'acme-query',
  name: 'Acme Query',
  auth: { mode: 'api_key' },
  fields: [{ name: 'apiKey', label: 'API key', secret: true }],
  api: { baseUrl: 'https://api.acme.example/v1/', inject: { query: 'api_key', value: '{apiKey}' } },
});

const basicConnector = defineConnector({
  id: 'acme-basic',
  name: 'Acme Basic',
  auth: { mode: 'basic' },
  fields: [
    { name: 'subdomain', label: 'Site', pattern: '^[a-z0-9-]+$' },
    { name: 'email', label: 'Email' },
    { name: 'apiToken', label: 'API token', secret: true },
  ],
  api: { baseUrl: 'https://{subdomain}.acme.example/rest/api/3', inject: { basic: { username: '{email}', password: '{apiToken}' } } },
});

const oauthConnector = defineConnector({
  id: 'acme-oauth',
  name: 'Acme OAuth',
  auth: { mode: 'oauth2', authorizationUrl: 'https://acme.example/authorize', tokenUrl: 'https://acme.example/token' },
  api: { baseUrl: 'https://api.acme.example', inject: { header: 'Authorization', value: 'Bearer {accessToken}' } },
});

const basicValues = { subdomain: 'tenant', email: 'ann@acme.example', apiToken: 'tok:en' };

function catchRequestError(action: () => unknown): AuthenticatedRequestError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticatedRequestError);
    return error as AuthenticatedRequestError;
  }
  throw new Error('expected an AuthenticatedRequestError');
}

describe('buildAuthenticatedRequest', () => {
  it('injects a header', () => {
    const request = buildAuthenticatedRequest(
      headerConnector,
      { apiKey: 'sk_test_1' },
      { method: 'GET', path: '/v1/balance', query: { limit: '1' } },
    );

    expect(request.url.href).toBe('https://api.acme.example/v1/balance?limit=1');
    expect(request.headers).toEqual({ Authorization: 'Bearer sk_test_1' });
  });

  it('injects the OAuth access token', () => {
    const request = buildAuthenticatedRequest(oauthConnector, { accessToken: 'at-1' }, { method: 'GET', path: '/me' });

    expect(request.headers).toEqual({ Authorization: 'Bearer at-1' });
  });

  it('injects a query parameter', () => {
    const request = buildAuthenticatedRequest(queryConnector, { apiKey: 'k 1&x' }, { method: 'GET', path: '/items', query: { page: '2' } });

    expect(request.url.pathname).toBe('/v1/items');
    expect(request.url.searchParams.get('api_key')).toBe('k 1&x');
    expect(request.url.searchParams.get('page')).toBe('2');
    expect(request.headers).toEqual({});
  });

  it('rejects a request query that sets the credential parameter', () => {
    const error = catchRequestError(() =>
      buildAuthenticatedRequest(queryConnector, { apiKey: 'k' }, { method: 'GET', path: '/items', query: { api_key: 'other' } }),
    );

    expect(error.code).toBe('invalid_request_query');
  });

  it('injects HTTP Basic credentials under the base path', () => {
    const request = buildAuthenticatedRequest(basicConnector, basicValues, { method: 'GET', path: '/myself' });

    expect(request.url.href).toBe('https://tenant.acme.example/rest/api/3/myself');
    expect(request.headers).toEqual({ Authorization: `Basic ${Buffer.from('ann@acme.example:tok:en').toString('base64')}` });
  });

  it('rejects a colon in the Basic user name', () => {
    const error = catchRequestError(() =>
      buildAuthenticatedRequest(basicConnector, { ...basicValues, email: 'ann:x' }, { method: 'GET', path: '/myself' }),
    );

    expect(error.code).toBe('invalid_credential_value');
  });

  it('rejects a line break in tokens', () => {
    const error = catchRequestError(() =>
      buildAuthenticatedRequest(oauthConnector, { accessToken: 'at-1\nX-Evil: 1' }, { method: 'GET', path: '/me' }),
    );

    expect(error.code).toBe('invalid_credential_value');
    expect(error.message).toBe('The Authorization header contains a line break (U+000A) at position 12. Remove it and try again.');
  });

  it('names a missing credential value', () => {
    expect(() => buildAuthenticatedRequest(oauthConnector, {}, { method: 'GET', path: '/me' })).toThrow(TemplateError);
  });

  it.each([
    ['/../admin'],
    ['/rest/../../admin'],
    ['/%2e%2e/admin'],
    ['/%2E./admin'],
    ['/./me'],
    ['//evil.example/x'],
    ['https://evil.example/x'],
    ['myself'],
    ['/a\\..\\b'],
    ['/me?admin=1'],
    ['/me#x'],
    ['/me now'],
  ])('rejects the path %j', (path) => {
    const error = catchRequestError(() => buildAuthenticatedRequest(basicConnector, basicValues, { method: 'GET', path }));

    expect(error.code).toBe('invalid_request_path');
  });

  it('keeps dots that are part of a segment', () => {
    const request = buildAuthenticatedRequest(basicConnector, basicValues, { method: 'GET', path: '/users/me.json/..x' });

    expect(request.url.pathname).toBe('/rest/api/3/users/me.json/..x');
  });
});

describe('findRequestPathProblem', () => {
  it('accepts a plain path', () => {
    expect(findRequestPathProblem('/v1/customers/cus_123')).toBeUndefined();
  });

  it('explains a relative path', () => {
    expect(findRequestPathProblem('v1/customers')).toBe('must start with "/"');
  });
});

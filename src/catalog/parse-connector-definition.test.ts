import { describe, expect, it } from 'vitest';
import type { DefinitionProblem } from './connector-definition.ts';
import { parseConnectorDefinition } from './parse-connector-definition.ts';

type Document = Record<string, any>;

function oauthDocument(): Document {
  return {
    id: 'acme-crm',
    name: 'Acme CRM',
    docsUrl: 'https://developer.acme.example/docs',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://{subdomain}.acme.example/oauth/authorize',
      tokenUrl: 'https://{subdomain}.acme.example/oauth/token',
      scopes: ['contacts.read'],
      pkce: true,
    },
    fields: [{ name: 'subdomain', label: 'Acme subdomain', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }],
    api: {
      baseUrl: 'https://{subdomain}.acme.example/api/v2',
      inject: { header: 'Authorization', value: 'Bearer {accessToken}' },
    },
    verify: { path: '/me' },
  };
}

function apiKeyDocument(): Document {
  return {
    id: 'acme-keys',
    name: 'Acme Keys',
    auth: { mode: 'api_key' },
    fields: [{ name: 'apiKey', label: 'API key', secret: true }],
    api: { baseUrl: 'https://api.acme.example', inject: { header: 'X-Api-Key', value: '{apiKey}' } },
  };
}

function problemsOf(document: unknown): DefinitionProblem[] {
  const result = parseConnectorDefinition(document, '/tmp/acme.yaml');
  if (result.ok) throw new Error('expected the definition to be rejected');
  return result.problems;
}

function expectProblem(document: unknown, field: string, reason: string | RegExp): void {
  const problems = problemsOf(document);
  const match = problems.find((problem) => problem.field === field);
  expect(match, `no problem at ${field}; got ${JSON.stringify(problems)}`).toBeDefined();
  if (typeof reason === 'string') expect(match!.reason).toBe(reason);
  else expect(match!.reason).toMatch(reason);
}

describe('parseConnectorDefinition', () => {
  it('applies the defaults of an oauth2 definition', () => {
    const result = parseConnectorDefinition(oauthDocument(), '/tmp/acme.yaml');

    expect(result).toEqual({
      ok: true,
      definition: {
        id: 'acme-crm',
        name: 'Acme CRM',
        docsUrl: 'https://developer.acme.example/docs',
        auth: {
          mode: 'oauth2',
          authorizationUrl: 'https://{subdomain}.acme.example/oauth/authorize',
          tokenUrl: 'https://{subdomain}.acme.example/oauth/token',
          scopes: ['contacts.read'],
          scopeSeparator: ' ',
          pkce: true,
          clientAuth: 'client_secret_basic',
          authorizationParams: {},
          tokenResponse: {},
        },
        fields: [{ name: 'subdomain', label: 'Acme subdomain', secret: false, pattern: '^[a-z0-9][a-z0-9-]{0,62}$', optional: false }],
        api: {
          baseUrl: 'https://{subdomain}.acme.example/api/v2',
          inject: { header: 'Authorization', value: 'Bearer {accessToken}' },
        },
        verify: { method: 'GET', path: '/me', expectStatus: 200 },
        allowPrivateNetwork: false,
        source: '/tmp/acme.yaml',
      },
    });
  });

  it('keeps only the mode for api_key auth', () => {
    const result = parseConnectorDefinition(apiKeyDocument(), '/tmp/keys.yaml');

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.definition.auth).toEqual({ mode: 'api_key' });
    expect(result.definition.fields).toEqual([{ name: 'apiKey', label: 'API key', secret: true, optional: false }]);
    expect(result.definition.verify).toBeUndefined();
  });

  it('freezes the definition deeply', () => {
    const result = parseConnectorDefinition(oauthDocument(), '/tmp/acme.yaml');
    if (!result.ok) throw new Error('expected a valid definition');

    expect(Object.isFrozen(result.definition)).toBe(true);
    expect(Object.isFrozen(result.definition.auth.scopes)).toBe(true);
    expect(Object.isFrozen(result.definition.fields[0])).toBe(true);
    expect(() => (result.definition.auth.scopes as string[]).push('x')).toThrow(TypeError);
  });

  it('rejects an unknown key and names it', () => {
    const document = { ...oauthDocument(), colour: 'blue' };

    expect(problemsOf(document)).toEqual([{ field: '/colour', reason: 'unknown key "colour" (check its spelling or remove it)' }]);
  });

  it('rejects an unknown key inside a field', () => {
    const document = oauthDocument();
    document.fields[0].lable = 'typo';

    expectProblem(document, '/fields/0/lable', 'unknown key "lable" (check its spelling or remove it)');
  });

  it('rejects an unknown key inside inject', () => {
    const document = apiKeyDocument();
    document.api.inject.prefix = 'Token';

    expectProblem(document, '/api/inject/prefix', 'unknown key "prefix" (check its spelling or remove it)');
  });

  it('rejects a value of the wrong type', () => {
    const document = oauthDocument();
    document.auth.tokenUrl = 42;

    expectProblem(document, '/auth/tokenUrl', 'must be a string');
  });

  it('rejects a missing required key', () => {
    const document = oauthDocument();
    delete document.name;

    expectProblem(document, '/name', 'is required');
  });

  it('rejects an unknown auth mode', () => {
    const document = oauthDocument();
    document.auth.mode = 'oauth1';

    expectProblem(document, '/auth/mode', /^must be one of: "oauth2", "oauth2_client_credentials"/);
  });

  it.each(['Acme', '-acme', 'acme_crm', 'a'.repeat(64), ''])('rejects the id %j', (id) => {
    expectProblem({ ...oauthDocument(), id }, '/id', /lowercase letters, digits and hyphens|must not be empty/);
  });

  it('requires authorizationUrl and tokenUrl for oauth2', () => {
    const document = oauthDocument();
    delete document.auth.authorizationUrl;
    delete document.auth.tokenUrl;

    expect(problemsOf(document)).toEqual([
      { field: '/auth/authorizationUrl', reason: 'is required when auth.mode is oauth2' },
      { field: '/auth/tokenUrl', reason: 'is required when auth.mode is oauth2' },
    ]);
  });

  it('checks client credentials keys', () => {
    const document = oauthDocument();
    document.auth.mode = 'oauth2_client_credentials';
    delete document.auth.tokenUrl;

    const problems = problemsOf(document);
    expect(problems).toContainEqual({ field: '/auth/tokenUrl', reason: 'is required when auth.mode is oauth2_client_credentials' });
    expect(problems).toContainEqual({ field: '/auth/authorizationUrl', reason: 'is used only when auth.mode is oauth2' });
    expect(problems).toContainEqual({ field: '/auth/pkce', reason: 'is used only when auth.mode is oauth2' });
  });

  it('rejects OAuth keys in api_key mode', () => {
    const document = apiKeyDocument();
    document.auth.scopes = ['read'];

    expectProblem(document, '/auth/scopes', 'is used only when auth.mode is oauth2 or oauth2_client_credentials');
  });

  it('requires a secret field for api_key', () => {
    const document = apiKeyDocument();
    document.fields[0].secret = false;

    expectProblem(document, '/fields', 'must contain at least one field with secret: true when auth.mode is api_key');
  });

  it('requires basic injection in basic mode', () => {
    const document = apiKeyDocument();
    document.auth.mode = 'basic';

    expectProblem(document, '/api/inject', 'must be { basic: { username, password } } when auth.mode is basic');
  });

  it('requires {accessToken} in the injection of oauth2', () => {
    const document = oauthDocument();
    document.api.inject.value = 'Bearer static';

    expectProblem(document, '/api/inject', 'must use {accessToken}, or the access token is never sent');
  });

  it('rejects {accessToken} outside the OAuth modes', () => {
    const document = apiKeyDocument();
    document.api.inject.value = '{accessToken}';

    expectProblem(document, '/api/inject/value', /^uses \{accessToken\}, which exists only when auth.mode is oauth2/);
  });

  it('rejects an inject placeholder that is not a field', () => {
    const document = apiKeyDocument();
    document.api.inject.value = '{apiKey} {tenant}';

    expectProblem(document, '/api/inject/value', 'uses {tenant}, which is not a declared field');
  });

  it('rejects an inject with none of header, query or basic', () => {
    const document = apiKeyDocument();
    document.api.inject = { cookie: 'session', value: '{apiKey}' };

    expectProblem(document, '/api/inject', 'must have one of the keys header, query or basic');
  });

  it('rejects a colon in the literal Basic username', () => {
    const document = apiKeyDocument();
    document.auth.mode = 'basic';
    document.api.inject = { basic: { username: 'user:{apiKey}', password: '' } };

    expectProblem(document, '/api/inject/basic/username', /^must not contain ":"/);
  });

  it('rejects a URL placeholder that is not a field', () => {
    const document = oauthDocument();
    document.api.baseUrl = 'https://{region}.acme.example/api';

    expectProblem(document, '/api/baseUrl', 'uses {region}, which is not a declared field');
  });

  it('rejects a secret field in a URL', () => {
    const document = oauthDocument();
    document.fields[0].secret = true;

    expectProblem(document, '/api/baseUrl', 'uses the secret field {subdomain}, but secret values must not appear in URLs');
  });

  it('rejects an optional field in a URL', () => {
    const document = oauthDocument();
    document.fields[0].optional = true;

    expectProblem(document, '/auth/tokenUrl', 'uses the optional field {subdomain}, but fields used in URLs must be required');
  });

  it('requires a pattern or enum on a field used in a URL', () => {
    const document = oauthDocument();
    delete document.fields[0].pattern;

    expect(problemsOf(document)).toEqual([
      { field: '/fields/0', reason: 'needs a pattern or an enum, because {subdomain} is used in a URL' },
    ]);
  });

  it('accepts an enum in place of a pattern for a URL field', () => {
    const document = oauthDocument();
    delete document.fields[0].pattern;
    document.fields[0].enum = ['eu', 'us'];

    expect(parseConnectorDefinition(document, '/tmp/acme.yaml').ok).toBe(true);
  });

  it('requires an anchored pattern on a field used in a URL', () => {
    const document = oauthDocument();
    document.fields[0].pattern = '[a-z]+';

    expectProblem(document, '/fields/0/pattern', 'must start with "^" and end with "$", because {subdomain} is used in a URL');
  });

  it('rejects a pattern that does not compile', () => {
    const document = apiKeyDocument();
    document.fields[0].pattern = '^(sk_';

    expectProblem(document, '/fields/0/pattern', /^is not a valid regular expression: /);
  });

  it('rejects duplicate field names', () => {
    const document = apiKeyDocument();
    document.fields.push({ name: 'apiKey', label: 'Second key', secret: true });

    expectProblem(document, '/fields/1/name', 'duplicate field name "apiKey", already used by /fields/0');
  });

  it('rejects a field name that is not an identifier', () => {
    const document = apiKeyDocument();
    document.fields[0].name = 'api-key';

    expectProblem(document, '/fields/0/name', 'must be a letter followed by up to 63 letters, digits or underscores');
  });

  it('rejects a host placeholder without a literal domain after it', () => {
    const document = oauthDocument();
    document.api.baseUrl = 'https://{subdomain}/api';

    expectProblem(document, '/api/baseUrl', /^A host with placeholders must end with a literal domain/);
  });

  it('rejects http without allowPrivateNetwork', () => {
    const document = apiKeyDocument();
    document.api.baseUrl = 'http://api.acme.example';

    expectProblem(document, '/api/baseUrl', 'must use https, because http is allowed only with allowPrivateNetwork: true');
  });

  it('rejects an IP literal host without allowPrivateNetwork', () => {
    const document = apiKeyDocument();
    document.api.baseUrl = 'https://10.0.0.5/api';

    expectProblem(document, '/api/baseUrl', /is an IP address, which is allowed only when the connector sets allowPrivateNetwork: true/);
  });

  it('accepts a loopback http URL with allowPrivateNetwork', () => {
    const document: Document = { ...apiKeyDocument(), allowPrivateNetwork: true };
    document.api.baseUrl = 'http://127.0.0.1:8080/api';

    const result = parseConnectorDefinition(document, '/tmp/local.yaml');
    expect(result.ok).toBe(true);
  });

  it('rejects a query in the base URL', () => {
    const document = apiKeyDocument();
    document.api.baseUrl = 'https://api.acme.example/v1?format=json';

    expectProblem(document, '/api/baseUrl', 'must not contain a query, because requests add their own query parameters');
  });

  it('rejects reserved authorization parameters', () => {
    const document = oauthDocument();
    document.auth.authorizationParams = { access_type: 'offline', redirect_uri: 'https://evil.example' };

    expect(problemsOf(document)).toEqual([
      {
        field: '/auth/authorizationParams/redirect_uri',
        reason: 'is reserved, because Latchkey sets it or it changes how the response arrives',
      },
    ]);
  });

  it('rejects response-changing authorization parameters', () => {
    const document = oauthDocument();
    document.auth.authorizationParams = { response_mode: 'form_post' };

    expect(problemsOf(document)).toEqual([
      {
        field: '/auth/authorizationParams/response_mode',
        reason: 'is reserved, because Latchkey sets it or it changes how the response arrives',
      },
    ]);
  });

  it('requires allowedInstanceHosts with instanceUrlField', () => {
    const document = oauthDocument();
    document.auth.tokenResponse = { instanceUrlField: 'instance_url' };

    expectProblem(document, '/auth/tokenResponse/allowedInstanceHosts', 'is required when instanceUrlField is set');
  });

  it.each(['me', '/a/../b', '//evil.example/x', '/me?x=1'])('rejects the verify path %j', (path) => {
    const document = oauthDocument();
    document.verify.path = path;

    expectProblem(document, '/verify/path', /^must /);
  });

  it('rejects a logo that is not https', () => {
    const document = { ...apiKeyDocument(), logo: 'http://acme.example/logo.png' };

    expectProblem(document, '/logo', 'must use https');
  });

  it('reports every problem of one document together', () => {
    const document = apiKeyDocument();
    document.fields[0].pattern = '(';
    document.verify = { path: 'no-slash' };
    document.docsUrl = 'ftp://acme.example';

    const fields = problemsOf(document).map((problem) => problem.field);
    expect(fields).toEqual(['/fields/0/pattern', '/verify/path', '/docsUrl']);
  });

  it('rejects a document that is not a mapping', () => {
    expect(problemsOf(['id', 'name'])).toEqual([{ field: '', reason: 'must be a mapping of keys to values' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseTemplate, parseUrlTemplate, renderUrlTemplate, renderValueTemplate, TemplateError } from './render-template.ts';

const PUBLIC = { allowPrivateNetwork: false };
const PRIVATE = { allowPrivateNetwork: true };

function catchTemplateError(action: () => unknown): TemplateError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('renderUrlTemplate', () => {
  it('substitutes host and path placeholders', () => {
    const url = renderUrlTemplate('https://{subdomain}.acme.example/api/{version}/items', { subdomain: 'tenant-1', version: 'v2' }, PUBLIC);

    expect(url.href).toBe('https://tenant-1.acme.example/api/v2/items');
  });

  it('percent-encodes path values', () => {
    const url = renderUrlTemplate('https://api.acme.example/orgs/{org}', { org: 'a b/c?d' }, PUBLIC);

    expect(url.pathname).toBe('/orgs/a%20b%2Fc%3Fd');
    expect(url.search).toBe('');
  });

  it.each(['.', '..', ''])('rejects the path value %j', (value) => {
    const error = catchTemplateError(() => renderUrlTemplate('https://api.acme.example/orgs/{org}/x', { org: value }, PUBLIC));

    expect(error.code).toBe('invalid_template_value');
    expect(error.placeholder).toBe('org');
  });

  it('keeps a suffix that continues the label', () => {
    const url = renderUrlTemplate('https://{region}-api.acme.example/v1', { region: 'eu.evil.example' }, PUBLIC);

    expect(url.hostname).toBe('eu.evil.example-api.acme.example');
  });

  it('keeps the host suffix when a value contains dots', () => {
    const url = renderUrlTemplate('https://{subdomain}.acme.example/api', { subdomain: 'evil.example.com' }, PUBLIC);

    expect(url.hostname).toBe('evil.example.com.acme.example');
  });

  it.each(['evil.example#', 'evil.example/x', 'user@evil', 'evil:8080', 'a b', 'tenant\u200b', 'é'])(
    'rejects the host value %j without echoing it',
    (value) => {
      const error = catchTemplateError(() => renderUrlTemplate('https://{subdomain}.acme.example/api', { subdomain: value }, PUBLIC));

      expect(error.code).toBe('invalid_template_value');
      expect(error.placeholder).toBe('subdomain');
      expect(error.message).toContain('{subdomain}');
      expect(error.message).not.toContain(value);
    },
  );

  it.each(['.tenant', 'tenant.', 'a..b'])('rejects the host value %j with empty labels', (value) => {
    const error = catchTemplateError(() => renderUrlTemplate('https://{subdomain}.acme.example', { subdomain: value }, PUBLIC));

    expect(error.placeholder).toBe('subdomain');
  });

  it('names a missing placeholder value', () => {
    const error = catchTemplateError(() => renderUrlTemplate('https://{subdomain}.acme.example', {}, PUBLIC));

    expect(error.code).toBe('invalid_template_value');
    expect(error.message).toBe('No value was given for {subdomain}.');
  });

  it.each([
    'http://127.0.0.1:8080/api',
    'http://[::1]:8080/api',
    'https://10.1.2.3',
    'http://2130706433/',
    'http://localhost:3000',
    'https://api.localhost',
  ])('rejects the private host of %s', (template) => {
    const error = catchTemplateError(() => renderUrlTemplate(template, {}, PUBLIC));

    expect(error.message).toMatch(/allowPrivateNetwork: true/);
  });

  it('allows an IP literal with allowPrivateNetwork', () => {
    expect(renderUrlTemplate('http://127.0.0.1:8080/api', {}, PRIVATE).href).toBe('http://127.0.0.1:8080/api');
    expect(renderUrlTemplate('http://[::1]:8080/api', {}, PRIVATE).host).toBe('[::1]:8080');
    expect(renderUrlTemplate('http://localhost:3000', {}, PRIVATE).hostname).toBe('localhost');
  });
});

describe('parseUrlTemplate', () => {
  it('splits scheme, host, suffix, port and path', () => {
    const parsed = parseUrlTemplate('https://api-{region}.acme.example:8443/v1/{tenant}');

    expect(parsed).toEqual({
      scheme: 'https',
      host: [
        { kind: 'literal', text: 'api-' },
        { kind: 'placeholder', name: 'region' },
        { kind: 'literal', text: '.acme.example' },
      ],
      hostSuffix: '.acme.example',
      port: '8443',
      rest: [
        { kind: 'literal', text: '/v1/' },
        { kind: 'placeholder', name: 'tenant' },
      ],
    });
  });

  it.each([
    ['ftp://files.acme.example', /must use http or https/],
    ['acme.example/api', /must be an absolute http or https URL/],
    ['https://{user}@api.acme.example', /must not contain a user name or password/],
    ['https://api.acme.example:{port}', /port of a URL template must be literal digits/],
    ['https://{subdomain}/api', /must end with a literal domain of at least two labels/],
    ['https://{subdomain}.example/api', /must end with a literal domain of at least two labels/],
    ['https://api.acme.example/search?q={term}', /is in the query/],
    ['https://api.acme.example/#{section}', /must not contain a fragment/],
  ])('rejects %s', (template, message) => {
    const error = catchTemplateError(() => parseUrlTemplate(template));

    expect(error.code).toBe('invalid_template');
    expect(error.message).toMatch(message);
  });
});

describe('parseTemplate', () => {
  it('splits literals and placeholders', () => {
    expect(parseTemplate('Bearer {accessToken}')).toEqual([
      { kind: 'literal', text: 'Bearer ' },
      { kind: 'placeholder', name: 'accessToken' },
    ]);
  });

  it.each([
    ['Bearer {accessToken', /without a matching "}" at position 8/],
    ['Bearer accessToken}', /"}" without a matching "{" at position 19/],
    ['{1st}', /invalid placeholder at position 1/],
    ['{a{b}}', /invalid placeholder at position 1/],
  ])('rejects %j', (template, message) => {
    const error = catchTemplateError(() => parseTemplate(template));

    expect(error.code).toBe('invalid_template');
    expect(error.message).toMatch(message);
  });
});

describe('renderValueTemplate', () => {
  it('substitutes every placeholder', () => {
    expect(renderValueTemplate('{email}/token', { email: 'ann@acme.example' })).toBe('ann@acme.example/token');
    expect(renderValueTemplate('Bearer {accessToken}', { accessToken: 'abc' })).toBe('Bearer abc');
  });

  it('names a missing value', () => {
    const error = catchTemplateError(() => renderValueTemplate('Bearer {accessToken}', { apiKey: 'secret-value' }));

    expect(error.code).toBe('invalid_template_value');
    expect(error.placeholder).toBe('accessToken');
    expect(error.message).not.toContain('secret-value');
  });

  it('ignores inherited properties of the values', () => {
    const error = catchTemplateError(() => renderValueTemplate('{toString}', {}));

    expect(error.placeholder).toBe('toString');
  });
});

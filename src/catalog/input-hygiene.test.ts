import { describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from './connector-definition.ts';
import { checkHeaderSafe, cleanFieldValues, MAX_FIELD_VALUE_LENGTH } from './input-hygiene.ts';
import { parseConnectorDefinition } from './parse-connector-definition.ts';

function defineConnector(document: unknown): ConnectorDefinition {
  const result = parseConnectorDefinition(document, '/tmp/test.yaml');
  if (!result.ok) throw new Error(`invalid test definition: ${JSON.stringify(result.problems)}`);
  return result.definition;
}

const apiKeyConnector = defineConnector({
  id: 'acme-keys',
  name: 'Acme Keys',
  auth: { mode: 'api_key' },
  fields: [
    { name: 'apiKey', label: 'API key', secret: true },
    { name: 'region', label: 'Region', enum: ['eu', 'us'] },
    { name: 'note', label: 'Note', optional: true },
    { name: 'accountId', label: 'Account ID', pattern: '^[0-9]+$', optional: true },
  ],
  api: { baseUrl: 'https://{region}.acme.example', inject: { header: 'Authorization', value: 'Bearer {apiKey}' } },
});

const basicConnector = defineConnector({
  id: 'acme-basic',
  name: 'Acme Basic',
  auth: { mode: 'basic' },
  fields: [
    { name: 'username', label: 'User name' },
    { name: 'password', label: 'Password', secret: true },
  ],
  api: { baseUrl: 'https://api.acme.example', inject: { basic: { username: '{username}', password: '{password}' } } },
});

const tokenAsPasswordConnector = defineConnector({
  id: 'acme-token',
  name: 'Acme Token',
  auth: { mode: 'basic' },
  fields: [
    { name: 'email', label: 'Email' },
    { name: 'apiToken', label: 'API token', secret: true },
  ],
  api: { baseUrl: 'https://api.acme.example', inject: { basic: { username: '{email}', password: '{apiToken}' } } },
});

describe('cleanFieldValues', () => {
  it('trims white space and a byte-order mark from an API key', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: '\uFEFF  sk_live_123 \n', region: ' eu ' });

    expect(result).toEqual({ values: { apiKey: 'sk_live_123', region: 'eu' }, errors: {} });
  });

  it('keeps a Basic password exactly as typed', () => {
    const result = cleanFieldValues(basicConnector, { username: ' ann ', password: '  pass word  ' });

    expect(result).toEqual({ values: { username: 'ann', password: '  pass word  ' }, errors: {} });
  });

  it('keeps any field injected as the Basic password exactly', () => {
    const result = cleanFieldValues(tokenAsPasswordConnector, { email: 'ann@acme.example', apiToken: ' token ' });

    expect(result.values['apiToken']).toBe(' token ');
  });

  it('reports zero-width space position', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'sk_l\u200Bive', region: 'eu' });

    expect(result.errors).toEqual({
      apiKey: 'API key contains a zero-width space (U+200B) at position 5. Remove it and try again.',
    });
    expect(result.values).toEqual({ region: 'eu' });
  });

  it('reports a control character', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'sk\u0007live', region: 'eu' });

    expect(result.errors['apiKey']).toBe('API key contains a control character (U+0007) at position 3. Remove it and try again.');
  });

  it('reports a line break inside a kept password', () => {
    const result = cleanFieldValues(basicConnector, { username: 'ann', password: 'secret\n' });

    expect(result.errors['password']).toBe('Password contains a line break (U+000A) at position 7. Remove it and try again.');
  });

  it('reports a non-ASCII character in a header value', () => {
    const result = cleanFieldValues(basicConnector, { username: 'ann', password: 'pässword' });

    expect(result.errors['password']).toBe('Password contains a non-ASCII character (U+00E4) at position 2. Remove it and try again.');
    expect(result.errors['password']).not.toContain('pässword');
  });

  it('rejects a colon in the Basic username', () => {
    const result = cleanFieldValues(basicConnector, { username: 'ann:admin', password: 'secret' });

    expect(result.errors['username']).toBe(
      'User name contains a colon (:) at position 4, which HTTP Basic authentication does not allow in a user name.',
    );
  });

  it('allows a colon in the Basic password', () => {
    const result = cleanFieldValues(basicConnector, { username: 'ann', password: 'se:cret' });

    expect(result.values['password']).toBe('se:cret');
  });

  it('requires non-optional fields', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: '   ' });

    expect(result.errors).toEqual({ apiKey: 'API key is required.', region: 'Region is required.' });
  });

  it('leaves out empty optional fields', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'key', region: 'us', note: '  ' });

    expect(result).toEqual({ values: { apiKey: 'key', region: 'us' }, errors: {} });
  });

  it('checks enum and pattern', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'key', region: 'asia', accountId: '12a' });

    expect(result.errors).toEqual({
      region: 'Region must be one of: eu, us.',
      accountId: 'Account ID is not in the expected format. Check it and try again.',
    });
  });

  it('rejects a value that is not text', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: ['a', 'b'], region: 'eu' });

    expect(result.errors['apiKey']).toBe('API key must be text.');
  });

  it('accepts an 8 KB secret exactly', () => {
    const secret = Array.from({ length: 8192 }, (_, index) => 'abcdefghijklmnopqrstuvwxyz0123456789'[index % 36]).join('');

    const result = cleanFieldValues(apiKeyConnector, { apiKey: secret, region: 'eu' });

    expect(result.errors).toEqual({});
    expect(result.values['apiKey']).toBe(secret);
  });

  it('accepts a value of the maximum length', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'k'.repeat(MAX_FIELD_VALUE_LENGTH), region: 'eu' });

    expect(result.values['apiKey']).toHaveLength(16_384);
  });

  it('rejects an over-long value naming the maximum', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'k'.repeat(MAX_FIELD_VALUE_LENGTH + 1), region: 'eu' });

    expect(result.errors['apiKey']).toBe('API key is longer than the maximum of 16384 characters.');
  });

  it('ignores keys that are not fields', () => {
    const result = cleanFieldValues(apiKeyConnector, { apiKey: 'key', region: 'eu', _csrf: 'token' });

    expect(result).toEqual({ values: { apiKey: 'key', region: 'eu' }, errors: {} });
  });
});

describe('checkHeaderSafe', () => {
  it('accepts printable ASCII', () => {
    expect(checkHeaderSafe('Bearer abc-DEF_123.~+/=')).toBeUndefined();
  });

  it.each([
    ['\u200C', 'a zero-width non-joiner (U+200C)'],
    ['\u200D', 'a zero-width joiner (U+200D)'],
    ['\u2060', 'a word joiner (U+2060)'],
    ['\uFEFF', 'a byte-order mark (U+FEFF)'],
    ['\u0000', 'a null character (U+0000)'],
    ['\t', 'a tab (U+0009)'],
    ['\r', 'a carriage return (U+000D)'],
    ['\u007F', 'a control character (U+007F)'],
    ['\u0085', 'a control character (U+0085)'],
    ['\u00A0', 'a non-breaking space (U+00A0)'],
    ['\u{1F511}', 'a non-ASCII character (U+1F511)'],
  ])('names %j', (character, description) => {
    expect(checkHeaderSafe(`ab${character}cd`, 'Token')).toBe(`Token contains ${description} at position 3. Remove it and try again.`);
  });

  it('counts positions in code points', () => {
    expect(checkHeaderSafe('\u{1F511}x')).toBe(
      'The value contains a non-ASCII character (U+1F511) at position 1. Remove it and try again.',
    );
    expect(checkHeaderSafe('ab\u{1F511}')).toMatch(/at position 3\./);
  });
});

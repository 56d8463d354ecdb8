import { describe, expect, it } from 'vitest';

import { authorizationOrigin } from './form-action.ts';

describe('authorizationOrigin', () => {
  it.each([
    ['https://airtable.com/oauth2/v1/authorize', 'https://airtable.com'],
    ['https://{subdomain}.acme.example/oauth/authorize', 'https://*.acme.example'],
    ['https://{region}-api.acme.example/authorize', 'https://*.acme.example'],
    ['https://api.{region}.acme.example/authorize', 'https://*.acme.example'],
    ['http://127.0.0.1:4010/auth', 'http://127.0.0.1:4010'],
    ['not a url', "'none'"],
  ])('%s becomes %s', (template, expected) => {
    expect(authorizationOrigin(template)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';

import { createClientAuthentication } from './client-authentication.ts';

function authenticate(method: 'client_secret_basic' | 'client_secret_post', clientId: string, clientSecret: string) {
  const body = new URLSearchParams();
  const headers = new Headers();
  const authentication = createClientAuthentication(method, clientSecret);
  void authentication({ issuer: 'https://acme.example' }, { client_id: clientId }, body, headers);
  return { body, headers };
}

function decodeBasic(header: string | null): string {
  expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  return Buffer.from(header!.slice('Basic '.length), 'base64').toString('utf8');
}

describe('createClientAuthentication', () => {
  it('keeps unreserved characters in Basic credentials', () => {
    const { body, headers } = authenticate('client_secret_basic', '123-abc.apps.example_id', 'Secret_value-1.x');

    expect(decodeBasic(headers.get('authorization'))).toBe('123-abc.apps.example_id:Secret_value-1.x');
    expect([...body]).toEqual([]);
  });

  it('form-urlencodes other characters in Basic credentials', () => {
    const { headers } = authenticate('client_secret_basic', 'id:with colon', 'a+b/c%d~é');

    expect(decodeBasic(headers.get('authorization'))).toBe('id%3Awith+colon:a%2Bb%2Fc%25d%7E%C3%A9');
  });

  it('puts the secret in the body for client_secret_post', () => {
    const { body, headers } = authenticate('client_secret_post', 'client-1', 'secret-1');

    expect(headers.has('authorization')).toBe(false);
    expect(body.get('client_id')).toBe('client-1');
    expect(body.get('client_secret')).toBe('secret-1');
  });
});

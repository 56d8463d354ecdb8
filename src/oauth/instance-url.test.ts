import { describe, expect, it } from 'vitest';

import { checkInstanceUrl, matchesHostPattern } from './instance-url.ts';

describe('matchesHostPattern', () => {
  it.each([
    ['acme.my.salesforce.com', '*.my.salesforce.com', true],
    ['ACME.My.Salesforce.com', '*.my.salesforce.com', true],
    ['acme.my.salesforce.com.', '*.my.salesforce.com', true],
    ['login.salesforce.com', 'login.salesforce.com', true],
    ['my.salesforce.com', '*.my.salesforce.com', false],
    ['a.b.my.salesforce.com', '*.my.salesforce.com', false],
    ['acme.my.salesforce.com.attacker.example', '*.my.salesforce.com', false],
    ['acmemy.salesforce.com', '*.my.salesforce.com', false],
  ])('matches %s against %s as %s', (hostname, pattern, expected) => {
    expect(matchesHostPattern(hostname, pattern)).toBe(expected);
  });
});

describe('checkInstanceUrl', () => {
  const allowed = ['*.my.salesforce.com'];

  it('keeps a path without the trailing slash', () => {
    expect(checkInstanceUrl('https://acme.my.salesforce.com/services/', allowed)).toEqual({
      url: 'https://acme.my.salesforce.com/services',
    });
  });

  it('rejects a query string', () => {
    expect(checkInstanceUrl('https://acme.my.salesforce.com/?next=x', allowed)).toEqual({
      reason: 'must not contain credentials, a query or a fragment',
    });
  });

  it('rejects every host without allowed hosts', () => {
    expect(checkInstanceUrl('https://acme.my.salesforce.com', [])).toEqual({
      reason: 'has the host acme.my.salesforce.com, which matches none of the allowed instance hosts',
    });
  });

  it('rejects a value that is not a string', () => {
    expect(checkInstanceUrl(42, allowed)).toEqual({ reason: 'is missing or not a string' });
  });
});

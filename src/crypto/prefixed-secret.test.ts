import { describe, expect, it } from 'vitest';

import { generateApiKeyValue, isWellFormedApiKey } from './api-key-secret.ts';
import { hashSecret, safeEqual } from './prefixed-secret.ts';
import { generateSetupTokenValue, isWellFormedSetupToken, SETUP_TOKEN_PREFIX } from './setup-token-secret.ts';

describe('setup token values', () => {
  it('have the prefix, 49 base62 characters and pass their own check', () => {
    const token = generateSetupTokenValue();
    expect(token.startsWith(SETUP_TOKEN_PREFIX)).toBe(true);
    expect(token).toMatch(/^lkst_[0-9A-Za-z]{49}$/);
    expect(isWellFormedSetupToken(token)).toBe(true);
  });

  it('differ between calls', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateSetupTokenValue));
    expect(tokens.size).toBe(1000);
  });

  it('carry 256 random bits in the body', () => {
    // 43 base62 digits can hold 62^43 > 2^256 values; a body decoding above 2^255 shows the top bit is used.
    const bodies = Array.from({ length: 200 }, () => generateSetupTokenValue().slice(5, 48));
    const decode = (body: string) =>
      [...body].reduce(
        (value, character) => value * 62n + BigInt('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.indexOf(character)),
        0n,
      );
    expect(bodies.some((body) => decode(body) >= 2n ** 255n)).toBe(true);
    expect(bodies.every((body) => decode(body) < 2n ** 256n)).toBe(true);
  });

  it('reject a one-character typo by checksum', () => {
    const token = generateSetupTokenValue();
    for (const index of [5, 20, 47, 50, 53]) {
      const replacement = token[index] === 'a' ? 'b' : 'a';
      const typo = token.slice(0, index) + replacement + token.slice(index + 1);
      expect(isWellFormedSetupToken(typo), `position ${index}`).toBe(false);
    }
  });

  it('reject wrong prefix, length and alphabet', () => {
    const token = generateSetupTokenValue();
    expect(isWellFormedSetupToken(token.replace('lkst_', 'lkak_'))).toBe(false);
    expect(isWellFormedSetupToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedSetupToken(`${token}0`)).toBe(false);
    expect(isWellFormedSetupToken(token.slice(0, 10) + '-' + token.slice(11))).toBe(false);
    expect(isWellFormedSetupToken('')).toBe(false);
  });

  it('are not accepted as API keys', () => {
    expect(isWellFormedApiKey(generateSetupTokenValue())).toBe(false);
    expect(isWellFormedApiKey(generateApiKeyValue())).toBe(true);
  });
});

describe('hashSecret', () => {
  it('returns the SHA-256 hex digest', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('safeEqual', () => {
  it('compares equal and unequal strings of any length', () => {
    expect(safeEqual('same', 'same')).toBe(true);
    expect(safeEqual('same', 'sam')).toBe(false);
    expect(safeEqual('same', 'samf')).toBe(false);
  });
});

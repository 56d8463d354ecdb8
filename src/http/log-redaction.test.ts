import { describe, expect, it } from 'vitest';

import { redactUrl } from './log-redaction.ts';

describe('redactUrl', () => {
  it.each([
    ['/connect/lkst_abc123', '/connect/[redacted]'],
    ['/connect/not-even-a-token', '/connect/[redacted]'],
    ['/connect/session', '/connect/session'],
    ['/connect/oauth/callback?code=secret-code&state=secret-state', '/connect/oauth/callback?code=[redacted]&state=[redacted]'],
    ['/connect/oauth/callback?error=access_denied&state=s', '/connect/oauth/callback?error=access_denied&state=[redacted]'],
    ['/v1/accounts?limit=5&cursor=abc', '/v1/accounts?limit=5&cursor=[redacted]'],
    ['/v2/lkak_ABCdef/x', '/v2/[redacted]/x'],
  ])('%s becomes %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('truncates long allowed values', () => {
    expect(redactUrl(`/x?error=${'e'.repeat(500)}`)).toBe(`/x?error=${'e'.repeat(64)}`);
  });
});

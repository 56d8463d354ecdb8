import { describe, expect, it } from 'vitest';

import type { SetupTokenRow } from '../storage/schema.ts';
import { LatchkeyError } from './errors.ts';
import { computeExpiry, deriveSetupTokenStatus } from './setup-tokens.ts';

const now = new Date('2026-01-01T00:00:00.000Z');

describe('computeExpiry', () => {
  it('defaults to 300 seconds', () => {
    expect(computeExpiry(now).toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });

  it('accepts the bounds of 60 seconds and 7 days', () => {
    expect(computeExpiry(now, 60).toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(computeExpiry(now, 604_800).toISOString()).toBe('2026-01-08T00:00:00.000Z');
  });

  it.each([59, 604_801, 1.5, Number.NaN])('rejects %s seconds with the range in the message', (seconds) => {
    expect(() => computeExpiry(now, seconds)).toThrow(LatchkeyError);
    expect(() => computeExpiry(now, seconds)).toThrow(/between 60 \(1 minute\) and 604800 \(7 days\)/);
  });
});

describe('deriveSetupTokenStatus', () => {
  const base: SetupTokenRow = {
    id: 'stk_1',
    token_hash: 'h',
    account_id: 'acc_1',
    account_connector_id: 'acn_1',
    account_user_id: 'usr_1',
    created_by: 'key_1',
    success_url: null,
    created_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2026-01-01T00:05:00.000Z',
    opened_at: null,
    redeemed_at: null,
    completed_at: null,
    revoked_at: null,
    revoked_reason: null,
    failed_at: null,
    failed_reason: null,
  };

  it('is issued before expiry and expired at it', () => {
    expect(deriveSetupTokenStatus(base, new Date('2026-01-01T00:04:59.999Z'))).toBe('issued');
    expect(deriveSetupTokenStatus(base, new Date('2026-01-01T00:05:00.000Z'))).toBe('expired');
  });

  it('stays redeemed after expiry, because starting counts as using', () => {
    expect(deriveSetupTokenStatus({ ...base, redeemed_at: base.created_at }, new Date('2026-02-01T00:00:00.000Z'))).toBe('redeemed');
  });

  it('lets completed, failed and revoked win', () => {
    const later = new Date('2026-02-01T00:00:00.000Z');
    expect(deriveSetupTokenStatus({ ...base, redeemed_at: 'x', completed_at: 'x' }, later)).toBe('completed');
    expect(deriveSetupTokenStatus({ ...base, redeemed_at: 'x', failed_at: 'x' }, later)).toBe('failed');
    expect(deriveSetupTokenStatus({ ...base, revoked_at: 'x' }, later)).toBe('revoked');
  });
});

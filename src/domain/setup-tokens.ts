import { hashSecret } from '../crypto/prefixed-secret.ts';
import { createId } from '../crypto/random-id.ts';
import { generateSetupTokenValue } from '../crypto/setup-token-secret.ts';
import type { Page } from '../storage/pagination.ts';
import type { SetupTokenRow } from '../storage/schema.ts';
import { getAccountConnectorRow } from './account-connectors.ts';
import { recordAuditEvent } from './audit.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

export const DEFAULT_SETUP_TOKEN_EXPIRY_SECONDS = 300;
export const MIN_SETUP_TOKEN_EXPIRY_SECONDS = 60;
export const MAX_SETUP_TOKEN_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/** Lifecycle status of a setup token, derived from its timestamps and the clock. */
export type SetupTokenStatus = 'issued' | 'redeemed' | 'completed' | 'expired' | 'revoked' | 'failed';

/** A setup token as the partner API lists it; the value is never part of it. */
export interface SetupToken {
  id: string;
  accountId: string;
  accountConnectorId: string;
  accountUserId: string;
  status: SetupTokenStatus;
  /** Reason the token was revoked or failed, or null. */
  reason: string | null;
  successUrl: string | null;
  createdAt: string;
  expiresAt: string;
  openedAt: string | null;
  redeemedAt: string | null;
  completedAt: string | null;
  revokedAt: string | null;
  failedAt: string | null;
}

/** A newly created setup token: the only time its value and link are returned. */
export interface CreatedSetupToken {
  id: string;
  token: string;
  link: string;
  expiresAt: string;
  status: SetupTokenStatus;
}

/**
 * Derives the status of a token.
 *
 * Terminal states win over `redeemed`, and expiry applies only to tokens never redeemed:
 * a redeemed token is spent whether or not the customer finished.
 */
export function deriveSetupTokenStatus(row: SetupTokenRow, now: Date): SetupTokenStatus {
  if (row.completed_at !== null) return 'completed';
  if (row.failed_at !== null) return 'failed';
  if (row.revoked_at !== null) return 'revoked';
  if (row.redeemed_at !== null) return 'redeemed';
  if (row.expires_at <= now.toISOString()) return 'expired';
  return 'issued';
}

/** Computes the expiry time of a token, rejecting values outside 60 seconds to 7 days. */
export function computeExpiry(now: Date, expiresInSeconds: number = DEFAULT_SETUP_TOKEN_EXPIRY_SECONDS): Date {
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < MIN_SETUP_TOKEN_EXPIRY_SECONDS ||
    expiresInSeconds > MAX_SETUP_TOKEN_EXPIRY_SECONDS
  ) {
    throw new LatchkeyError(
      'expiry_out_of_range',
      `expiresInSeconds must be a whole number between ${MIN_SETUP_TOKEN_EXPIRY_SECONDS} (1 minute) and ${MAX_SETUP_TOKEN_EXPIRY_SECONDS} (7 days); got ${expiresInSeconds}.`,
    );
  }
  return new Date(now.getTime() + expiresInSeconds * 1000);
}

export function toSetupToken(row: SetupTokenRow, now: Date): SetupToken {
  const status = deriveSetupTokenStatus(row, now);
  let reason: string | null = null;
  if (status === 'revoked') {
    reason = row.revoked_reason;
  } else if (status === 'failed') {
    reason = row.failed_reason;
  }
  return {
    id: row.id,
    accountId: row.account_id,
    accountConnectorId: row.account_connector_id,
    accountUserId: row.account_user_id,
    status,
    reason,
    successUrl: row.success_url,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    openedAt: row.opened_at,
    redeemedAt: row.redeemed_at,
    completedAt: row.completed_at,
    revokedAt: row.revoked_at,
    failedAt: row.failed_at,
  };
}

/** Builds the setup link that carries a token value to the hosted landing page. */
export function buildSetupLink(publicUrl: string, token: string): string {
  return `${publicUrl}/connect/${token}`;
}

/**
 * Issues a setup token for one account connector, attributed to an account user.
 *
 * The user must have access to the token's account itself; access to a parent or sub
 * account does not count. Older tokens stay valid.
 */
export async function createSetupToken(
  context: DomainContext,
  input: {
    accountId: string;
    accountConnectorId: string;
    accountUserId: string;
    expiresInSeconds?: number;
    successUrl?: string;
    /** Revokes the other outstanding tokens of the account connector; older tokens stay valid otherwise. */
    revokeOutstanding?: boolean;
    createdBy: string;
  },
): Promise<CreatedSetupToken> {
  const now = context.clock.now();
  const expiresAt = computeExpiry(now, input.expiresInSeconds);
  const successUrl = input.successUrl === undefined ? null : checkSuccessUrl(context, input.successUrl);
  await getAccountConnectorRow(context, input.accountId, input.accountConnectorId);
  const member = await context.repositories.accountUsers.findMember(input.accountId, input.accountUserId);
  if (member === undefined) {
    throw new LatchkeyError(
      'account_user_without_access',
      `The account user "${input.accountUserId}" has no access to the account "${input.accountId}"; access to a parent or sub account does not count.`,
    );
  }

  const token = generateSetupTokenValue();
  const row: SetupTokenRow = {
    id: createId('stk'),
    token_hash: hashSecret(token),
    account_id: input.accountId,
    account_connector_id: input.accountConnectorId,
    account_user_id: input.accountUserId,
    created_by: input.createdBy,
    success_url: successUrl,
    created_at: now.toISOString(),
    expires_at: expiresAt.toISOString(),
    opened_at: null,
    redeemed_at: null,
    completed_at: null,
    revoked_at: null,
    revoked_reason: null,
    failed_at: null,
    failed_reason: null,
  };
  await context.repositories.setupTokens.insert(row);
  await recordAuditEvent(context, 'setup_token.created', {
    accountId: row.account_id,
    accountConnectorId: row.account_connector_id,
    setupTokenId: row.id,
    accountUserId: row.account_user_id,
    apiKeyId: input.createdBy,
    data: { expiresAt: row.expires_at },
  });

  if (input.revokeOutstanding === true) {
    const revoked = await context.repositories.setupTokens.revokeOutstanding(row.account_connector_id, row.id, row.created_at, 'replaced');
    for (const other of revoked) {
      await recordAuditEvent(context, 'setup_token.revoked', {
        accountId: other.account_id,
        accountConnectorId: other.account_connector_id,
        setupTokenId: other.id,
        apiKeyId: input.createdBy,
        data: { reason: 'replaced', replacedBy: row.id },
      });
    }
  }

  return { id: row.id, token, link: buildSetupLink(context.config.publicUrl, token), expiresAt: row.expires_at, status: 'issued' };
}

export async function listSetupTokens(
  context: DomainContext,
  accountId: string,
  accountConnectorId: string,
  options: { limit: number; cursor?: string },
): Promise<Page<SetupToken>> {
  await getAccountConnectorRow(context, accountId, accountConnectorId);
  const page = await context.repositories.setupTokens.listForAccountConnector(accountConnectorId, options);
  const now = context.clock.now();
  return { items: page.items.map((row) => toSetupToken(row, now)), nextCursor: page.nextCursor };
}

/** Revokes a token that has not completed; revoking a revoked, failed or expired token changes nothing and returns it. */
export async function revokeSetupToken(context: DomainContext, setupTokenId: string, apiKeyId: string): Promise<SetupToken> {
  const existing = await context.repositories.setupTokens.findById(setupTokenId);
  if (existing === undefined) {
    throw new LatchkeyError('setup_token_not_found', `No setup token has the id "${setupTokenId}".`);
  }
  if (existing.completed_at !== null) {
    throw new LatchkeyError('setup_token_completed');
  }

  const now = context.clock.now();
  const revoked = await context.repositories.setupTokens.revoke(setupTokenId, now.toISOString(), 'revoked_by_partner');
  if (revoked !== undefined) {
    await recordAuditEvent(context, 'setup_token.revoked', {
      accountId: revoked.account_id,
      accountConnectorId: revoked.account_connector_id,
      setupTokenId,
      apiKeyId,
    });
    return toSetupToken(revoked, now);
  }
  const current = await context.repositories.setupTokens.findById(setupTokenId);
  if (current?.completed_at != null) {
    throw new LatchkeyError('setup_token_completed');
  }
  return toSetupToken(current ?? existing, now);
}

function checkSuccessUrl(context: DomainContext, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new LatchkeyError('success_url_not_allowed', 'successUrl must be an absolute URL.');
  }
  if (!context.config.successUrlOrigins.includes(url.origin)) {
    throw new LatchkeyError(
      'success_url_not_allowed',
      `successUrl has the origin ${url.origin}, which is not in LATCHKEY_SUCCESS_URL_ORIGINS.`,
    );
  }
  return url.href;
}

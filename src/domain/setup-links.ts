import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { hashSecret } from '../crypto/prefixed-secret.ts';
import { createId, createOpaqueSecret } from '../crypto/random-id.ts';
import { isWellFormedSetupToken } from '../crypto/setup-token-secret.ts';
import type { AccountConnectorRow, AccountRow, SetupTokenRow } from '../storage/schema.ts';
import { recordAuditEvent } from './audit.ts';
import type { DomainContext } from './context.ts';
import { deriveSetupTokenStatus } from './setup-tokens.ts';

/** A usable setup token with the account, account connector and definition that its landing page shows. */
export interface SetupLinkTarget {
  token: SetupTokenRow;
  account: AccountRow;
  accountConnector: AccountConnectorRow;
  definition: ConnectorDefinition;
}

/** Result of a successful redemption: the secret of the setup session cookie. */
export interface Redemption {
  sessionSecret: string;
}

/** The account, account connector and definition that a setup token points to. */
export type TokenTarget = Omit<SetupLinkTarget, 'token'>;

/**
 * Looks up a token for the landing page without spending it.
 *
 * Returns undefined for every unusable token alike (malformed, unknown, expired, revoked,
 * redeemed), so callers cannot reveal which. The first view is written to the audit log.
 */
export async function inspectSetupToken(context: DomainContext, tokenValue: string): Promise<SetupLinkTarget | undefined> {
  const found = await loadUsableToken(context, tokenValue);
  if (!found.ok) {
    logRejection(context, found);
    return undefined;
  }

  const { target } = found;
  if (await context.repositories.setupTokens.markOpened(target.token.id, context.clock.now().toISOString())) {
    await recordAuditEvent(context, 'setup_token.opened', {
      accountId: target.token.account_id,
      accountConnectorId: target.token.account_connector_id,
      setupTokenId: target.token.id,
      accountUserId: target.token.account_user_id,
    });
  }
  return target;
}

/**
 * Redeems a token and opens a setup session.
 *
 * The atomic update in the repository decides, so only one of any number of concurrent
 * redemptions succeeds. The session secret is derived from the browser's CSRF cookie and
 * the token. A double click, whose second POST may leave before the first response sets
 * the session cookie, therefore computes the same secret and lands in the same session.
 */
export async function redeemSetupToken(context: DomainContext, tokenValue: string, csrfCookie: string): Promise<Redemption | undefined> {
  const found = await loadUsableToken(context, tokenValue);
  const now = context.clock.now();
  const tokenHash = hashSecret(tokenValue);
  const sessionSecret = context.sealer.keyedHash('setup-session', `${csrfCookie}:${tokenHash}`);
  if (!found.ok && found.reason === 'malformed') {
    // A typo is rejected by its checksum, without a database lookup.
    logRejection(context, found);
    return undefined;
  }
  if (!found.ok) {
    return findSessionOfSameBrowser(context, tokenHash, sessionSecret, now, found);
  }

  const redeemed = await context.repositories.setupTokens.redeem(tokenHash, now.toISOString(), {
    id: createId('sss'),
    secret_hash: hashSecret(sessionSecret),
    csrf_token: createOpaqueSecret(),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + context.config.sessionWindowSeconds * 1000).toISOString(),
    ended_at: null,
    failed_attempts: 0,
  });
  if (redeemed === undefined) {
    return findSessionOfSameBrowser(context, tokenHash, sessionSecret, now, {
      ok: false,
      reason: 'redeemed',
      setupTokenId: found.target.token.id,
    });
  }

  await recordAuditEvent(context, 'setup_token.redeemed', {
    accountId: redeemed.token.account_id,
    accountConnectorId: redeemed.token.account_connector_id,
    setupTokenId: redeemed.token.id,
    accountUserId: redeemed.token.account_user_id,
  });
  context.logger.info({ setupTokenId: redeemed.token.id, setupSessionId: redeemed.session.id }, 'setup token redeemed');
  return { sessionSecret };
}

/** Loads the account, account connector and definition of a token; undefined when any is gone. */
export async function loadTokenTarget(context: DomainContext, token: SetupTokenRow): Promise<TokenTarget | undefined> {
  const account = await context.repositories.accounts.find(token.account_id);
  const accountConnector = await context.repositories.accountConnectors.find(token.account_id, token.account_connector_id);
  const definition = accountConnector === undefined ? undefined : context.catalog.find(accountConnector.connector_id);
  if (account === undefined || accountConnector === undefined || definition === undefined) {
    return undefined;
  }
  return { account, accountConnector, definition };
}

/** Reason a setup token cannot be used, for the log; customers never see it. */
type Rejection = { ok: false; reason: string; setupTokenId?: string };

/**
 * Returns the active session that this browser opened for this token, as a double click
 * needs, or logs the rejection and returns undefined.
 */
async function findSessionOfSameBrowser(
  context: DomainContext,
  tokenHash: string,
  sessionSecret: string,
  now: Date,
  rejection: Rejection,
): Promise<Redemption | undefined> {
  const existing = await context.repositories.setupTokens.findSessionBySecretHash(hashSecret(sessionSecret));
  if (
    existing !== undefined &&
    existing.token.token_hash === tokenHash &&
    existing.session.ended_at === null &&
    existing.session.expires_at > now.toISOString()
  ) {
    return { sessionSecret };
  }
  logRejection(context, rejection);
  return undefined;
}

/** Loads a token that can still be redeemed, or the reason it cannot. */
async function loadUsableToken(context: DomainContext, tokenValue: string): Promise<{ ok: true; target: SetupLinkTarget } | Rejection> {
  if (!isWellFormedSetupToken(tokenValue)) {
    return { ok: false, reason: 'malformed' };
  }
  const token = await context.repositories.setupTokens.findByHash(hashSecret(tokenValue));
  if (token === undefined) {
    return { ok: false, reason: 'unknown' };
  }
  const status = deriveSetupTokenStatus(token, context.clock.now());
  if (status !== 'issued') {
    return { ok: false, reason: status, setupTokenId: token.id };
  }
  const target = await loadTokenTarget(context, token);
  if (target === undefined) {
    return { ok: false, reason: 'target_missing', setupTokenId: token.id };
  }
  return { ok: true, target: { token, ...target } };
}

/** Logs why a customer saw the 403 page, with the token id and never its value. */
function logRejection(context: DomainContext, rejection: Rejection): void {
  context.logger.info({ reason: rejection.reason, setupTokenId: rejection.setupTokenId }, 'setup link rejected');
}

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
  /** True when the browser already held the session of this token (a double click). */
  reused: boolean;
}

/**
 * Looks up a token for the landing page without spending it.
 *
 * Returns undefined for every unusable token alike (malformed, unknown, expired, revoked,
 * redeemed), so callers cannot reveal which. The first view is written to the audit log.
 */
export async function inspectSetupToken(context: DomainContext, tokenValue: string): Promise<SetupLinkTarget | undefined> {
  const target = await loadUsableToken(context, tokenValue);
  if (target === undefined) {
    return undefined;
  }

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
 * the token, so a double click, whose second POST leaves before the first response sets the
 * session cookie, computes the same secret and lands in the session the first POST opened.
 */
export async function redeemSetupToken(
  context: DomainContext,
  tokenValue: string,
  browser: { sessionSecret: string | undefined; csrfCookie: string },
): Promise<Redemption | undefined> {
  const currentSessionSecret = browser.sessionSecret;
  if (!isWellFormedSetupToken(tokenValue)) {
    return undefined;
  }
  const tokenHash = hashSecret(tokenValue);
  const now = context.clock.now();

  if (currentSessionSecret !== undefined) {
    const existing = await context.repositories.setupTokens.findSessionBySecretHash(hashSecret(currentSessionSecret));
    if (
      existing !== undefined &&
      existing.token.token_hash === tokenHash &&
      existing.session.ended_at === null &&
      existing.session.expires_at > now.toISOString()
    ) {
      return { sessionSecret: currentSessionSecret, reused: true };
    }
  }

  const sessionSecret = context.sealer.keyedHash('setup-session', `${browser.csrfCookie}:${tokenHash}`);
  if ((await loadUsableToken(context, tokenValue)) === undefined) {
    return findSessionOfSameBrowser(context, tokenHash, sessionSecret, now);
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
    return findSessionOfSameBrowser(context, tokenHash, sessionSecret, now);
  }

  await recordAuditEvent(context, 'setup_token.redeemed', {
    accountId: redeemed.token.account_id,
    accountConnectorId: redeemed.token.account_connector_id,
    setupTokenId: redeemed.token.id,
    accountUserId: redeemed.token.account_user_id,
  });
  context.logger.info({ setupTokenId: redeemed.token.id, setupSessionId: redeemed.session.id }, 'setup token redeemed');
  return { sessionSecret, reused: false };
}

/** Returns the active session of this token that the same browser opened, if any. */
async function findSessionOfSameBrowser(
  context: DomainContext,
  tokenHash: string,
  sessionSecret: string,
  now: Date,
): Promise<Redemption | undefined> {
  const existing = await context.repositories.setupTokens.findSessionBySecretHash(hashSecret(sessionSecret));
  if (
    existing === undefined ||
    existing.token.token_hash !== tokenHash ||
    existing.session.ended_at !== null ||
    existing.session.expires_at <= now.toISOString()
  ) {
    return undefined;
  }
  return { sessionSecret, reused: false };
}

/**
 * Loads a token that can still be redeemed, or logs why not and returns undefined.
 *
 * The log line carries the reason and the token id, never the value, so operators can
 * tell why a customer saw the 403 page.
 */
async function loadUsableToken(context: DomainContext, tokenValue: string): Promise<SetupLinkTarget | undefined> {
  if (!isWellFormedSetupToken(tokenValue)) {
    context.logger.info({ reason: 'malformed' }, 'setup link rejected');
    return undefined;
  }
  const token = await context.repositories.setupTokens.findByHash(hashSecret(tokenValue));
  if (token === undefined) {
    context.logger.info({ reason: 'unknown' }, 'setup link rejected');
    return undefined;
  }
  const status = deriveSetupTokenStatus(token, context.clock.now());
  if (status !== 'issued') {
    context.logger.info({ reason: status, setupTokenId: token.id }, 'setup link rejected');
    return undefined;
  }

  const account = await context.repositories.accounts.find(token.account_id);
  const accountConnector = await context.repositories.accountConnectors.find(token.account_id, token.account_connector_id);
  const definition = accountConnector === undefined ? undefined : context.catalog.find(accountConnector.connector_id);
  if (account === undefined || accountConnector === undefined || definition === undefined) {
    context.logger.warn({ reason: 'target_missing', setupTokenId: token.id }, 'setup link rejected');
    return undefined;
  }
  return { token, account, accountConnector, definition };
}

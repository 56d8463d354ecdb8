import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { cleanFieldValues } from '../catalog/input-hygiene.ts';
import { hashSecret } from '../crypto/prefixed-secret.ts';
import type { AccountConnectorRow, AccountRow, SetupSessionRow, SetupTokenRow } from '../storage/schema.ts';
import { recordAuditEvent } from './audit.ts';
import { loadTokenTarget } from './setup-links.ts';
import type { DomainContext } from './context.ts';
import { fetchClientCredentialsTokens } from './client-credentials-grant.ts';
import { sealCredentials, type StoredCredentials, type StoredOAuthTokens } from './credentials-envelope.ts';
import { verifyCredentials } from './verify-credentials.ts';

/** Failed credential submissions after which a setup session locks and its token becomes `failed`. */
export const MAX_FAILED_SUBMISSIONS = 10;

/** A setup session and everything its pages show. */
export interface SetupSessionView {
  session: SetupSessionRow;
  token: SetupTokenRow;
  account: AccountRow;
  accountConnector: AccountConnectorRow;
  definition: ConnectorDefinition;
  /** `active` accepts credentials; `completed` only shows the success page. */
  state: 'active' | 'completed';
}

/** Outcome of a credentials form submission. */
export type SubmissionResult =
  | { ok: true }
  | {
      ok: false;
      /** Messages by field name, shown next to the fields. */
      fieldErrors: Record<string, string>;
      /** A message for the whole form, such as the provider's refusal. */
      formError: string | null;
      /** Non-secret values the customer entered, shown again in the form. */
      enteredValues: Record<string, string>;
      /** True when this failure locked the session. */
      locked: boolean;
    };

/**
 * Finds the setup session of a cookie secret.
 *
 * Returns undefined when the session is unknown, expired, locked or revoked. A session
 * that ended because authentication completed is returned with state `completed`.
 */
export async function findSetupSession(context: DomainContext, sessionSecret: string | undefined): Promise<SetupSessionView | undefined> {
  if (sessionSecret === undefined || sessionSecret === '') {
    return undefined;
  }
  const found = await context.repositories.setupTokens.findSessionBySecretHash(hashSecret(sessionSecret));
  return found === undefined ? undefined : loadSessionView(context, found.session, found.token);
}

/** Builds the view of a session found by id, with the same rules as `findSetupSession`. */
export async function loadSessionView(
  context: DomainContext,
  session: SetupSessionRow,
  token: SetupTokenRow,
): Promise<SetupSessionView | undefined> {
  const now = context.clock.now().toISOString();
  let state: SetupSessionView['state'];
  if (token.completed_at !== null) {
    state = 'completed';
  } else if (session.ended_at === null && session.expires_at > now && token.revoked_at === null && token.failed_at === null) {
    state = 'active';
  } else {
    return undefined;
  }

  const target = await loadTokenTarget(context, token);
  return target === undefined ? undefined : { session, token, ...target, state };
}

/** Returns the field values that the partner preset on the account connector. */
export function presetValues(view: Pick<SetupSessionView, 'accountConnector'>): Record<string, string> {
  return JSON.parse(view.accountConnector.settings) as Record<string, string>;
}

/**
 * Checks, verifies and stores the credentials entered in the hosted form.
 *
 * Steps run in this order: clean and validate the input, fetch a token in the client
 * credentials mode, call the definition's verification request, seal the result to the
 * row, then store it and complete the token in one transaction. A failure at any step
 * stores nothing and counts towards the lock.
 */
export async function submitCredentials(
  context: DomainContext,
  view: SetupSessionView,
  rawValues: Record<string, unknown>,
): Promise<SubmissionResult> {
  const { definition } = view;
  const input = { ...rawValues, ...presetValues(view) };
  const { values, errors } = cleanFieldValues(definition, input);
  const enteredValues = nonSecretValues(definition, values, input);

  if (Object.keys(errors).length > 0) {
    return fail(context, view, { fieldErrors: errors, formError: null, enteredValues }, 'invalid_input');
  }

  let oauth: StoredOAuthTokens | undefined;
  if (definition.auth.mode === 'oauth2_client_credentials') {
    const grant = await fetchClientCredentialsTokens(context, definition, values);
    if (!grant.ok) {
      context.logger.info(
        { setupTokenId: view.token.id, accountConnectorId: view.accountConnector.id, reason: grant.reason },
        'client credentials grant failed',
      );
      return fail(context, view, { fieldErrors: {}, formError: grant.message, enteredValues }, grant.reason);
    }
    oauth = grant.tokens;
  }

  const verification = await verifyCredentials(definition, oauth === undefined ? values : { ...values, accessToken: oauth.accessToken });
  if (!verification.ok) {
    context.logger.info(
      { setupTokenId: view.token.id, accountConnectorId: view.accountConnector.id, reason: verification.reason },
      'credential verification failed',
    );
    return fail(context, view, { fieldErrors: {}, formError: verification.message, enteredValues }, verification.reason);
  }

  const credentials: StoredCredentials = { mode: definition.auth.mode, values, ...(oauth === undefined ? {} : { oauth }) };
  const stored = await completeSetupSession(context, view, credentials);
  if (!stored) {
    return { ok: false, fieldErrors: {}, formError: 'This setup link is no longer active.', enteredValues, locked: true };
  }
  return { ok: true };
}

/**
 * Stores credentials on the account connector and completes the session and its token.
 *
 * The old credentials stay in place until the new ones are committed. Returns false when
 * the session, the token or the account connector stopped being usable meanwhile.
 */
export async function completeSetupSession(
  context: DomainContext,
  view: SetupSessionView,
  credentials: StoredCredentials,
): Promise<boolean> {
  const now = context.clock.now().toISOString();
  const stored = await context.repositories.setupTokens.complete({
    sessionId: view.session.id,
    tokenId: view.token.id,
    accountConnectorId: view.accountConnector.id,
    accountUserId: view.token.account_user_id,
    credentialsSealed: sealCredentials(context, view.accountConnector.id, credentials),
    now,
  });
  if (!stored) {
    context.logger.warn(
      { setupTokenId: view.token.id, setupSessionId: view.session.id },
      'setup session ended before credentials were stored',
    );
    return false;
  }

  await recordAuditEvent(context, 'setup_token.completed', {
    accountId: view.token.account_id,
    accountConnectorId: view.accountConnector.id,
    setupTokenId: view.token.id,
    accountUserId: view.token.account_user_id,
    data: { mode: credentials.mode },
  });
  context.logger.info({ setupTokenId: view.token.id, accountConnectorId: view.accountConnector.id }, 'account connector authenticated');
  return true;
}

async function fail(
  context: DomainContext,
  view: SetupSessionView,
  result: { fieldErrors: Record<string, string>; formError: string | null; enteredValues: Record<string, string> },
  reason: string,
): Promise<SubmissionResult> {
  const now = context.clock.now().toISOString();
  const count = await context.repositories.setupTokens.recordFailedAttempt(view.session.id, view.token.id, MAX_FAILED_SUBMISSIONS, now);
  await recordAuditEvent(context, 'credentials.verification_failed', {
    accountId: view.token.account_id,
    accountConnectorId: view.accountConnector.id,
    setupTokenId: view.token.id,
    data: { reason, attempt: count },
  });

  const locked = count >= MAX_FAILED_SUBMISSIONS;
  if (locked) {
    await recordAuditEvent(context, 'setup_token.failed', {
      accountId: view.token.account_id,
      accountConnectorId: view.accountConnector.id,
      setupTokenId: view.token.id,
      data: { reason: 'too_many_failed_attempts' },
    });
    context.logger.warn({ setupTokenId: view.token.id, setupSessionId: view.session.id }, 'setup session locked after failed submissions');
  }
  return { ok: false, ...result, locked };
}

function nonSecretValues(
  definition: ConnectorDefinition,
  cleaned: Record<string, string>,
  raw: Record<string, unknown>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const field of definition.fields) {
    if (field.secret) continue;
    const value = cleaned[field.name] ?? raw[field.name];
    if (typeof value === 'string') kept[field.name] = value;
  }
  return kept;
}

import { cleanFieldValues } from '../catalog/input-hygiene.ts';
import { hashSecret } from '../crypto/prefixed-secret.ts';
import { createId } from '../crypto/random-id.ts';
import { createAuthorizationRequest } from '../oauth/authorization-request.ts';
import { exchangeAuthorizationCode } from '../oauth/token-exchange.ts';
import type { OAuthAttemptRow } from '../storage/schema.ts';
import { recordAuditEvent } from './audit.ts';
import { getOAuthApp } from './connectors.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';
import { oauthRedirectUri, resolveOAuthServer } from './oauth-server.ts';
import { toStoredTokens } from './credentials-envelope.ts';
import { completeSetupSession, loadSessionView, presetValues, type SetupSessionView } from './setup-sessions.ts';

/** How long the customer has at the provider before a `state` expires. */
export const OAUTH_ATTEMPT_SECONDS = 10 * 60;

/** Result of starting an authorization: the provider URL, or errors for the fields asked before it. */
export type AuthorizationStart =
  { ok: true; redirectUrl: URL } | { ok: false; fieldErrors: Record<string, string>; enteredValues: Record<string, string> };

/** Outcome of an authorization attempt, for the page the callback redirects to. */
export interface OAuthAttemptResult {
  attempt: OAuthAttemptRow;
  view: SetupSessionView | undefined;
  connectorName: string;
}

/**
 * Starts an authorization code flow from a setup session (RFC 6749 section 4.1).
 *
 * Each start gets its own `state` and PKCE verifier (RFC 7636), stored server-side, so two
 * tabs of one session each finish their own flow.
 */
export async function startAuthorization(
  context: DomainContext,
  view: SetupSessionView,
  rawValues: Record<string, unknown>,
): Promise<AuthorizationStart> {
  const { definition } = view;
  const input = { ...rawValues, ...presetValues(view) };
  const { values, errors } = cleanFieldValues(definition, input);
  if (Object.keys(errors).length > 0) {
    const enteredValues = Object.fromEntries(
      Object.entries(input).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return { ok: false, fieldErrors: errors, enteredValues };
  }

  const app = await getOAuthApp(context, definition.id);
  const server = resolveOAuthServer(definition, values, app.scopes);
  const request = await createAuthorizationRequest({
    server,
    client: { clientId: app.clientId },
    redirectUri: oauthRedirectUri(context.config.publicUrl),
  });

  const now = context.clock.now();
  const expiresAt = Math.min(now.getTime() + OAUTH_ATTEMPT_SECONDS * 1000, Date.parse(view.session.expires_at));
  const id = createId('oat');
  await context.repositories.oauthAttempts.insert({
    id,
    setup_session_id: view.session.id,
    state_hash: hashSecret(request.state),
    code_verifier_sealed: request.codeVerifier === null ? null : context.sealer.seal(request.codeVerifier, verifierSealContext(id)),
    field_values: JSON.stringify(values),
    created_at: now.toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
    consumed_at: null,
    outcome: null,
    error_code: null,
  });
  await recordAuditEvent(context, 'oauth.authorization_started', {
    accountId: view.token.account_id,
    accountConnectorId: view.accountConnector.id,
    setupTokenId: view.token.id,
    data: { oauthAttemptId: id },
  });
  return { ok: true, redirectUrl: request.url };
}

/**
 * Handles the provider's redirect back (RFC 6749 section 4.1.2).
 *
 * The `state` alone identifies the attempt, so a browser that withholds cookies on the
 * return still completes. The attempt is consumed before the token request, so a replay
 * gets the first outcome and never sends a second token request. Returns the attempt id
 * for the result page, or undefined for an unknown or expired `state`.
 */
export async function handleAuthorizationCallback(context: DomainContext, parameters: URLSearchParams): Promise<string | undefined> {
  const state = parameters.get('state');
  if (state === null || state === '' || state.length > 1000) {
    return undefined;
  }
  const stateHash = hashSecret(state);
  const now = context.clock.now().toISOString();

  const attempt = await context.repositories.oauthAttempts.consume(stateHash, now);
  if (attempt === undefined) {
    const replayed = await context.repositories.oauthAttempts.findByStateHash(stateHash);
    if (replayed?.consumed_at != null) {
      context.logger.info({ oauthAttemptId: replayed.id }, 'OAuth callback replayed; no token request sent');
      return replayed.id;
    }
    return undefined;
  }

  const errorCode = await exchangeAndStore(context, attempt, parameters, state);
  await context.repositories.oauthAttempts.recordOutcome(attempt.id, errorCode === null ? 'completed' : 'failed', errorCode);
  return attempt.id;
}

/** Loads the outcome of an attempt for the page the callback redirects to. */
export async function getAuthorizationResult(context: DomainContext, attemptId: string): Promise<OAuthAttemptResult | undefined> {
  const attempt = await context.repositories.oauthAttempts.find(attemptId);
  if (attempt === undefined || attempt.consumed_at === null || attempt.outcome === null) {
    return undefined;
  }
  const found = await context.repositories.setupTokens.findSessionById(attempt.setup_session_id);
  const view = found === undefined ? undefined : await loadSessionView(context, found.session, found.token);
  if (view !== undefined || found === undefined) {
    return { attempt, view, connectorName: view?.definition.name ?? 'the app' };
  }

  // The session is over, for example revoked, but the page still names the app.
  const accountConnector = await context.repositories.accountConnectors.findById(found.token.account_connector_id);
  const definition = accountConnector === undefined ? undefined : context.catalog.find(accountConnector.connector_id);
  return { attempt, view, connectorName: definition?.name ?? 'the app' };
}

async function exchangeAndStore(
  context: DomainContext,
  attempt: OAuthAttemptRow,
  parameters: URLSearchParams,
  state: string,
): Promise<string | null> {
  const found = await context.repositories.setupTokens.findSessionById(attempt.setup_session_id);
  const view = found === undefined ? undefined : await loadSessionView(context, found.session, found.token);
  if (view?.state === 'completed') {
    // Another tab of this session finished first; this callback sends no token request.
    return null;
  }
  if (view === undefined) {
    return 'setup_session_ended';
  }
  const logFields = { oauthAttemptId: attempt.id, setupTokenId: view.token.id, accountConnectorId: view.accountConnector.id };

  const values = JSON.parse(attempt.field_values) as Record<string, string>;
  const providerError = parameters.get('error');
  if (providerError !== null) {
    const errorCode = providerError === 'access_denied' ? 'oauth_access_denied' : 'oauth_authorization_error';
    await recordFailure(context, view, attempt, errorCode, providerError);
    context.logger.info({ ...logFields, providerError: sanitizeProviderError(providerError) }, 'OAuth authorization returned an error');
    return errorCode;
  }

  try {
    const app = await getOAuthApp(context, view.definition.id);
    const server = resolveOAuthServer(view.definition, values, app.scopes);
    const codeVerifier =
      attempt.code_verifier_sealed === null ? null : context.sealer.open(attempt.code_verifier_sealed, verifierSealContext(attempt.id));
    const tokens = await exchangeAuthorizationCode({
      server,
      client: { clientId: app.clientId, clientSecret: app.clientSecret },
      redirectUri: oauthRedirectUri(context.config.publicUrl),
      callbackParameters: parameters,
      expectedState: state,
      codeVerifier,
      now: () => context.clock.now(),
    });
    const stored = await completeSetupSession(context, view, {
      mode: view.definition.auth.mode,
      values,
      oauth: toStoredTokens(tokens),
    });
    return stored ? null : 'setup_session_ended';
  } catch (error) {
    const errorCode = (error as { code?: unknown }).code;
    const code = typeof errorCode === 'string' ? errorCode : 'oauth_token_request_failed';
    if (error instanceof LatchkeyError || typeof errorCode === 'string') {
      context.logger.warn({ ...logFields, err: { code, message: (error as Error).message } }, 'OAuth token exchange failed');
    } else {
      context.logger.error({ ...logFields, err: error }, 'OAuth token exchange failed unexpectedly');
    }
    await recordFailure(context, view, attempt, code, null);
    return code;
  }
}

async function recordFailure(
  context: DomainContext,
  view: SetupSessionView,
  attempt: OAuthAttemptRow,
  errorCode: string,
  providerError: string | null,
): Promise<void> {
  await recordAuditEvent(context, 'oauth.authorization_failed', {
    accountId: view.token.account_id,
    accountConnectorId: view.accountConnector.id,
    setupTokenId: view.token.id,
    data: { oauthAttemptId: attempt.id, errorCode, providerError: providerError === null ? null : sanitizeProviderError(providerError) },
  });
}

/** Keeps an `error` parameter only when it has the form RFC 6749 allows, so logs never carry arbitrary input. */
function sanitizeProviderError(value: string): string {
  return /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(value) ? value : 'invalid_error_parameter';
}

/** Associated data that binds a sealed PKCE verifier to its authorization attempt. */
export function verifierSealContext(attemptId: string): string {
  return `oauth_attempts:${attemptId}:code_verifier`;
}

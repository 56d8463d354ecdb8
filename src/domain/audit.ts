import { createId } from '../crypto/random-id.ts';
import type { DomainContext } from './context.ts';

/** Kinds of audit events. */
export type AuditEventType =
  | 'setup_token.created'
  | 'setup_token.opened'
  | 'setup_token.redeemed'
  | 'setup_token.failed'
  | 'setup_token.revoked'
  | 'setup_token.completed'
  | 'credentials.verification_failed'
  | 'credentials.read'
  | 'credentials.refreshed'
  | 'credentials.refresh_failed'
  | 'account_connector.deauthenticated'
  | 'oauth.authorization_started'
  | 'oauth.authorization_failed';

/** Subject ids and extra facts of an audit event; never secrets. */
export interface AuditEventInput {
  accountId?: string | null;
  accountConnectorId?: string | null;
  setupTokenId?: string | null;
  accountUserId?: string | null;
  apiKeyId?: string | null;
  data?: Record<string, string | number | boolean | null>;
}

/** Appends an event to the audit log. */
export async function recordAuditEvent(context: DomainContext, type: AuditEventType, input: AuditEventInput): Promise<void> {
  await context.repositories.audit.insert({
    id: createId('evt'),
    created_at: context.clock.now().toISOString(),
    type,
    account_id: input.accountId ?? null,
    account_connector_id: input.accountConnectorId ?? null,
    setup_token_id: input.setupTokenId ?? null,
    account_user_id: input.accountUserId ?? null,
    api_key_id: input.apiKeyId ?? null,
    data: JSON.stringify(input.data ?? {}),
  });
}

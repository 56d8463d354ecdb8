import type { Kysely } from 'kysely';

import type { Database, SetupTokenRow } from './schema.ts';

/** Filter of the outstanding setup tokens to revoke; every given field must match. */
export interface OutstandingTokenFilter {
  accountId?: string;
  accountConnectorId?: string;
  accountUserId?: string;
  /** A token to leave alone, such as the one just issued. */
  exceptId?: string;
}

/**
 * Revokes the outstanding setup tokens that match `filter` and ends their sessions.
 *
 * Outstanding means not completed, failed or revoked, and either redeemed or not yet
 * expired: a token that expired unredeemed keeps the status `expired`. Call it inside the
 * transaction of the change that causes it, so both commit together.
 */
export async function revokeOutstandingTokens(
  db: Kysely<Database>,
  filter: OutstandingTokenFilter,
  now: string,
  reason: string,
): Promise<SetupTokenRow[]> {
  let query = db
    .updateTable('setup_tokens')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('completed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('failed_at', 'is', null)
    .where((eb) => eb.or([eb('redeemed_at', 'is not', null), eb('expires_at', '>', now)]));
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.accountConnectorId !== undefined) query = query.where('account_connector_id', '=', filter.accountConnectorId);
  if (filter.accountUserId !== undefined) query = query.where('account_user_id', '=', filter.accountUserId);
  if (filter.exceptId !== undefined) query = query.where('id', '!=', filter.exceptId);

  const revoked = await query.returningAll().execute();
  if (revoked.length > 0) {
    await db
      .updateTable('setup_sessions')
      .set({ ended_at: now })
      .where(
        'setup_token_id',
        'in',
        revoked.map((row) => row.id),
      )
      .where('ended_at', 'is', null)
      .execute();
  }
  return revoked;
}

import type { Kysely } from 'kysely';

import { selectPage, type Page } from './pagination.ts';
import { revokeOutstandingTokens } from './revoke-outstanding-tokens.ts';
import type { Database, SetupSessionRow, SetupTokenRow } from './schema.ts';

/** A setup session together with the setup token it was opened with. */
export interface SessionWithToken {
  session: SetupSessionRow;
  token: SetupTokenRow;
}

/** Raised inside a transaction when a precondition no longer holds; the transaction rolls back. */
export class StaleStateError extends Error {
  readonly code = 'stale_state';
}

/** Setup tokens and the setup sessions that redeeming them opens. */
export class SetupTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SetupTokenRow): Promise<void> {
    await this.db.insertInto('setup_tokens').values(row).execute();
  }

  async findByHash(tokenHash: string): Promise<SetupTokenRow | undefined> {
    return this.db.selectFrom('setup_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async findById(id: string): Promise<SetupTokenRow | undefined> {
    return this.db.selectFrom('setup_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listForAccountConnector(accountConnectorId: string, options: { limit: number; cursor?: string }): Promise<Page<SetupTokenRow>> {
    const query = this.db.selectFrom('setup_tokens').selectAll().where('account_connector_id', '=', accountConnectorId);
    return selectPage(query, 'setup_tokens', options);
  }

  /** Records the first time the landing page was shown; returns true only for that first time. */
  async markOpened(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('setup_tokens')
      .set({ opened_at: now })
      .where('id', '=', id)
      .where('opened_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Revokes a token that has not completed, failed or been revoked; returns the updated row.
   *
   * A redeemed token can be revoked too, which ends its setup session.
   */
  async revoke(id: string, now: string, reason: string): Promise<SetupTokenRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('setup_tokens')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('id', '=', id)
        .where('completed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('failed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) {
        await trx
          .updateTable('setup_sessions')
          .set({ ended_at: now })
          .where('setup_token_id', '=', id)
          .where('ended_at', 'is', null)
          .execute();
      }
      return row;
    });
  }

  /**
   * Revokes the outstanding tokens of an account connector except one, ending their
   * sessions; returns the revoked rows. Tokens that expired unredeemed stay expired.
   */
  async revokeOutstanding(accountConnectorId: string, exceptId: string, now: string, reason: string): Promise<SetupTokenRow[]> {
    return this.db.transaction().execute((trx) => revokeOutstandingTokens(trx, { accountConnectorId, exceptId }, now, reason));
  }

  /**
   * Redeems a token and opens its setup session.
   *
   * The conditional update is the only gate: among any number of concurrent calls, on any
   * number of instances, exactly one finds the token unredeemed and changes it. Returns
   * undefined for the others and for unusable tokens.
   */
  async redeem(tokenHash: string, now: string, session: Omit<SetupSessionRow, 'setup_token_id'>): Promise<SessionWithToken | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const token = await trx
        .updateTable('setup_tokens')
        .set({ redeemed_at: now })
        .where('token_hash', '=', tokenHash)
        .where('redeemed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('failed_at', 'is', null)
        .where('completed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (token === undefined) {
        return undefined;
      }
      const sessionRow: SetupSessionRow = { ...session, setup_token_id: token.id };
      await trx.insertInto('setup_sessions').values(sessionRow).execute();
      return { session: sessionRow, token };
    });
  }

  async findSessionBySecretHash(secretHash: string): Promise<SessionWithToken | undefined> {
    return this.findSessionWhere('secret_hash', secretHash);
  }

  async findSessionById(id: string): Promise<SessionWithToken | undefined> {
    return this.findSessionWhere('id', id);
  }

  private async findSessionWhere(column: 'id' | 'secret_hash', value: string): Promise<SessionWithToken | undefined> {
    const session = await this.db.selectFrom('setup_sessions').selectAll().where(column, '=', value).executeTakeFirst();
    if (session === undefined) {
      return undefined;
    }
    const token = await this.findById(session.setup_token_id);
    return token === undefined ? undefined : { session, token };
  }

  /**
   * Counts one failed credential submission; at `limit` failures the session ends and the
   * token becomes `failed`. Returns the new count.
   */
  async recordFailedAttempt(sessionId: string, tokenId: string, limit: number, now: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('setup_sessions')
        .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
        .where('id', '=', sessionId)
        .returning('failed_attempts')
        .executeTakeFirstOrThrow();
      const count = Number(row.failed_attempts);
      if (count >= limit) {
        await trx.updateTable('setup_sessions').set({ ended_at: now }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
        await trx
          .updateTable('setup_tokens')
          .set({ failed_at: now, failed_reason: 'too_many_failed_attempts' })
          .where('id', '=', tokenId)
          .where('failed_at', 'is', null)
          .where('completed_at', 'is', null)
          .execute();
      }
      return count;
    });
  }

  /**
   * Stores new credentials and completes the session and its token, all or nothing.
   *
   * Each step is conditional on the state it expects, so a session that ended, a token that
   * was revoked or an account connector that was deleted in the meantime leaves the old
   * credentials in place. Returns false in those cases.
   */
  async complete(input: {
    sessionId: string;
    tokenId: string;
    accountConnectorId: string;
    accountUserId: string;
    credentialsSealed: string;
    now: string;
  }): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        const session = await trx
          .updateTable('setup_sessions')
          .set({ ended_at: input.now })
          .where('id', '=', input.sessionId)
          .where('ended_at', 'is', null)
          .where('expires_at', '>', input.now)
          .executeTakeFirst();
        if (session.numUpdatedRows === 0n) {
          throw new StaleStateError('setup session is no longer active');
        }
        const token = await trx
          .updateTable('setup_tokens')
          .set({ completed_at: input.now })
          .where('id', '=', input.tokenId)
          .where('completed_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('failed_at', 'is', null)
          .executeTakeFirst();
        if (token.numUpdatedRows === 0n) {
          throw new StaleStateError('setup token is no longer usable');
        }
        const connector = await trx
          .updateTable('account_connectors')
          .set({
            credentials_sealed: input.credentialsSealed,
            status: 'authenticated',
            authenticated_at: input.now,
            authenticated_by: input.accountUserId,
            setup_token_id: input.tokenId,
            updated_at: input.now,
          })
          .where('id', '=', input.accountConnectorId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (connector.numUpdatedRows === 0n) {
          throw new StaleStateError('account connector was deleted');
        }
      });
      return true;
    } catch (error) {
      if (error instanceof StaleStateError) {
        return false;
      }
      throw error;
    }
  }
}

import type { Kysely } from 'kysely';

import { selectPage, type Page } from './pagination.ts';
import { revokeOutstandingTokens } from './revoke-outstanding-tokens.ts';
import type { AccountConnectorRow, Database } from './schema.ts';

/** Connectors installed in accounts, with their sealed credentials. */
export class AccountConnectorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: AccountConnectorRow): Promise<void> {
    await this.db.insertInto('account_connectors').values(row).execute();
  }

  async find(accountId: string, id: string): Promise<AccountConnectorRow | undefined> {
    return this.db
      .selectFrom('account_connectors')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  }

  async findById(id: string): Promise<AccountConnectorRow | undefined> {
    return this.db.selectFrom('account_connectors').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async list(accountId: string, options: { limit: number; cursor?: string }): Promise<Page<AccountConnectorRow>> {
    const query = this.db.selectFrom('account_connectors').selectAll().where('account_id', '=', accountId).where('deleted_at', 'is', null);
    return selectPage(query, 'account_connectors', options);
  }

  /** Rows that hold sealed credentials, for re-encryption under a new key. */
  async listWithCredentials(): Promise<Pick<AccountConnectorRow, 'id' | 'credentials_sealed'>[]> {
    return this.db
      .selectFrom('account_connectors')
      .select(['id', 'credentials_sealed'])
      .where('credentials_sealed', 'is not', null)
      .execute();
  }

  async updateSettings(id: string, settings: string, updatedAt: string): Promise<void> {
    await this.db.updateTable('account_connectors').set({ settings, updated_at: updatedAt }).where('id', '=', id).execute();
  }

  async setStatus(id: string, status: string, updatedAt: string): Promise<void> {
    await this.db.updateTable('account_connectors').set({ status, updated_at: updatedAt }).where('id', '=', id).execute();
  }

  /**
   * Replaces the sealed credentials only if they are still `expectedSealed`.
   *
   * Returns false when another writer changed them first, so a refresh never overwrites a
   * newer authentication.
   */
  async replaceCredentialsIfUnchanged(id: string, expectedSealed: string, sealed: string, updatedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('account_connectors')
      .set({ credentials_sealed: sealed, updated_at: updatedAt })
      .where('id', '=', id)
      .where('credentials_sealed', '=', expectedSealed)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Erases the credentials and returns the account connector to `unauthenticated`. */
  async deauthenticate(id: string, updatedAt: string): Promise<void> {
    await this.db
      .updateTable('account_connectors')
      .set({
        credentials_sealed: null,
        status: 'unauthenticated',
        authenticated_at: null,
        authenticated_by: null,
        setup_token_id: null,
        updated_at: updatedAt,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Marks the account connector deleted, erases its credentials and revokes its outstanding setup tokens. */
  async softDelete(id: string, deletedAt: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await revokeOutstandingTokens(trx, { accountConnectorId: id }, deletedAt, 'account_connector_deleted');
      await trx
        .updateTable('account_connectors')
        .set({ deleted_at: deletedAt, updated_at: deletedAt, credentials_sealed: null })
        .where('id', '=', id)
        .execute();
    });
  }
}

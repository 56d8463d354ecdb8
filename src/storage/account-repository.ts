import type { Kysely } from 'kysely';

import { selectPage, type Page } from './pagination.ts';
import { revokeOutstandingTokens } from './revoke-outstanding-tokens.ts';
import type { AccountRow, Database } from './schema.ts';

/** Accounts; a deleted account keeps its row with `deleted_at` set, so audit events keep their subject. */
export class AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: AccountRow): Promise<void> {
    await this.db.insertInto('accounts').values(row).execute();
  }

  async find(id: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async list(options: { limit: number; cursor?: string; externalId?: string }): Promise<Page<AccountRow>> {
    let query = this.db.selectFrom('accounts').selectAll().where('deleted_at', 'is', null);
    if (options.externalId !== undefined) {
      query = query.where('external_id', '=', options.externalId);
    }
    return selectPage(query, 'accounts', options);
  }

  async update(id: string, changes: Partial<Pick<AccountRow, 'name' | 'external_id' | 'parent_account_id' | 'updated_at'>>): Promise<void> {
    await this.db.updateTable('accounts').set(changes).where('id', '=', id).execute();
  }

  async hasSubAccounts(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('accounts')
      .select('id')
      .where('parent_account_id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Returns the ids of the account's ancestors, nearest first, stopping at a cycle. */
  async ancestorIds(id: string): Promise<string[]> {
    const ancestors: string[] = [];
    let current = await this.find(id);
    while (current?.parent_account_id != null && !ancestors.includes(current.parent_account_id)) {
      ancestors.push(current.parent_account_id);
      current = await this.find(current.parent_account_id);
    }
    return ancestors;
  }

  /**
   * Deletes an account: erases the credentials of its account connectors, marks them and the
   * account deleted, removes user access and revokes every outstanding setup token, in one transaction.
   */
  async softDelete(id: string, deletedAt: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await revokeOutstandingTokens(trx, { accountId: id }, deletedAt, 'account_deleted');
      await trx
        .updateTable('account_connectors')
        .set({ deleted_at: deletedAt, updated_at: deletedAt, credentials_sealed: null })
        .where('account_id', '=', id)
        .where('deleted_at', 'is', null)
        .execute();
      await trx.deleteFrom('account_access').where('account_id', '=', id).execute();
      await trx.updateTable('accounts').set({ deleted_at: deletedAt, updated_at: deletedAt }).where('id', '=', id).execute();
    });
  }
}

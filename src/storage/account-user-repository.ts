import type { Kysely } from 'kysely';

import { selectPage, type Page } from './pagination.ts';
import { revokeOutstandingTokens } from './revoke-outstanding-tokens.ts';
import type { AccountUserRow, Database } from './schema.ts';

/** An account user as seen from one account, with the role held there. */
export interface AccountMemberRow extends AccountUserRow {
  role: string;
  access_created_at: string;
}

/** Account users and their access to accounts. */
export class AccountUserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByEmail(email: string): Promise<AccountUserRow | undefined> {
    return this.db.selectFrom('account_users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async find(id: string): Promise<AccountUserRow | undefined> {
    return this.db.selectFrom('account_users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Creates the account user when the email is new and grants or updates access to the account.
   *
   * Runs in one transaction so that a concurrent request for the same email finds the row
   * created by the other one through the unique email index.
   */
  async grantAccess(input: { user: AccountUserRow; accountId: string; role: string; now: string }): Promise<AccountMemberRow> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('account_users')
        .values(input.user)
        .onConflict((conflict) => conflict.column('email').doNothing())
        .execute();
      const user = await trx.selectFrom('account_users').selectAll().where('email', '=', input.user.email).executeTakeFirstOrThrow();
      if (input.user.name !== null && user.name === null) {
        await trx.updateTable('account_users').set({ name: input.user.name }).where('id', '=', user.id).execute();
        user.name = input.user.name;
      }
      await trx
        .insertInto('account_access')
        .values({ account_id: input.accountId, account_user_id: user.id, role: input.role, created_at: input.now })
        .onConflict((conflict) => conflict.columns(['account_id', 'account_user_id']).doUpdateSet({ role: input.role }))
        .execute();
      const access = await trx
        .selectFrom('account_access')
        .selectAll()
        .where('account_id', '=', input.accountId)
        .where('account_user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      return { ...user, role: access.role, access_created_at: access.created_at };
    });
  }

  async findMember(accountId: string, accountUserId: string): Promise<AccountMemberRow | undefined> {
    return this.db
      .selectFrom('account_access')
      .innerJoin('account_users', 'account_users.id', 'account_access.account_user_id')
      .selectAll('account_users')
      .select(['account_access.role as role', 'account_access.created_at as access_created_at'])
      .where('account_access.account_id', '=', accountId)
      .where('account_access.account_user_id', '=', accountUserId)
      .executeTakeFirst();
  }

  async listMembers(accountId: string, options: { limit: number; cursor?: string }): Promise<Page<AccountMemberRow>> {
    const query = this.db
      .selectFrom('account_access')
      .innerJoin('account_users', 'account_users.id', 'account_access.account_user_id')
      .selectAll('account_users')
      .select(['account_access.role as role', 'account_access.created_at as access_created_at'])
      .where('account_access.account_id', '=', accountId);
    return selectPage(query, 'account_users', options);
  }

  /** Removes access and revokes the user's outstanding setup tokens for the account; returns false when there was no access. */
  async removeAccess(accountId: string, accountUserId: string, now: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('account_access')
        .where('account_id', '=', accountId)
        .where('account_user_id', '=', accountUserId)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) {
        return false;
      }
      await revokeOutstandingTokens(trx, { accountId, accountUserId }, now, 'access_removed');
      return true;
    });
  }
}

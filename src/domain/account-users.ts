import { createId } from '../crypto/random-id.ts';
import type { AccountMemberRow } from '../storage/account-user-repository.ts';
import type { Page } from '../storage/pagination.ts';
import { getAccountRow } from './accounts.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

/** Roles an account user can hold in an account. */
export const ACCOUNT_USER_ROLES = ['standard', 'administrator'] as const;
export type AccountUserRole = (typeof ACCOUNT_USER_ROLES)[number];

/** An account user with the role held in the account being read. */
export interface AccountUser {
  id: string;
  email: string;
  name: string | null;
  role: AccountUserRole;
  createdAt: string;
}

function toAccountUser(row: AccountMemberRow): AccountUser {
  return { id: row.id, email: row.email, name: row.name, role: row.role as AccountUserRole, createdAt: row.created_at };
}

/**
 * Gives a person access to an account, creating the account user when the email is new.
 *
 * Emails compare case-insensitively, so `Ann@Example.com` and `ann@example.com` are one user.
 */
export async function grantAccountAccess(
  context: DomainContext,
  accountId: string,
  input: { email: string; name?: string | null; role?: AccountUserRole },
): Promise<AccountUser> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new LatchkeyError('invalid_request', 'email must be an email address such as ann@example.com.');
  }
  await getAccountRow(context, accountId);

  const now = context.clock.now().toISOString();
  const member = await context.repositories.accountUsers.grantAccess({
    user: { id: createId('usr'), email, name: input.name?.trim() || null, created_at: now },
    accountId,
    role: input.role ?? 'standard',
    now,
  });
  return toAccountUser(member);
}

export async function listAccountUsers(
  context: DomainContext,
  accountId: string,
  options: { limit: number; cursor?: string },
): Promise<Page<AccountUser>> {
  await getAccountRow(context, accountId);
  const page = await context.repositories.accountUsers.listMembers(accountId, options);
  return { items: page.items.map(toAccountUser), nextCursor: page.nextCursor };
}

/** Removes an account user's access to an account and revokes that user's outstanding setup tokens there. */
export async function removeAccountAccess(context: DomainContext, accountId: string, accountUserId: string): Promise<void> {
  await getAccountRow(context, accountId);

  const removed = await context.repositories.accountUsers.removeAccess(accountId, accountUserId, context.clock.now().toISOString());
  if (!removed) {
    throw new LatchkeyError('account_user_not_found', `The account user "${accountUserId}" has no access to this account.`);
  }
  context.logger.info({ accountId, accountUserId }, 'account access removed');
}

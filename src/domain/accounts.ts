import { createId } from '../crypto/random-id.ts';
import type { Page } from '../storage/pagination.ts';
import type { AccountRow } from '../storage/schema.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

/** An account as the partner API returns it. */
export interface Account {
  id: string;
  name: string;
  externalId: string | null;
  parentAccountId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Converts a stored account to its API form. */
export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    externalId: row.external_id,
    parentAccountId: row.parent_account_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Creates an account, optionally as a sub account of an existing one. */
export async function createAccount(
  context: DomainContext,
  input: { name: string; externalId?: string | null; parentAccountId?: string | null },
): Promise<Account> {
  const name = requireName(input.name);
  if (input.parentAccountId != null) {
    await requireParent(context, input.parentAccountId);
  }

  const now = context.clock.now().toISOString();
  const row: AccountRow = {
    id: createId('acc'),
    name,
    external_id: input.externalId ?? null,
    parent_account_id: input.parentAccountId ?? null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  await context.repositories.accounts.insert(row);
  return toAccount(row);
}

/** Returns the account or throws `account_not_found`. */
export async function getAccountRow(context: DomainContext, accountId: string): Promise<AccountRow> {
  const row = await context.repositories.accounts.find(accountId);
  if (row === undefined) {
    throw new LatchkeyError('account_not_found', `No account has the id "${accountId}".`);
  }
  return row;
}

export async function listAccounts(
  context: DomainContext,
  options: { limit: number; cursor?: string; externalId?: string },
): Promise<Page<Account>> {
  const page = await context.repositories.accounts.list(options);
  return { items: page.items.map(toAccount), nextCursor: page.nextCursor };
}

/** Changes the name, external id or parent of an account; a parent may not be the account or one of its sub accounts. */
export async function updateAccount(
  context: DomainContext,
  accountId: string,
  changes: { name?: string; externalId?: string | null; parentAccountId?: string | null },
): Promise<Account> {
  await getAccountRow(context, accountId);
  const update: Partial<Pick<AccountRow, 'name' | 'external_id' | 'parent_account_id' | 'updated_at'>> = {};
  if (changes.name !== undefined) {
    update.name = requireName(changes.name);
  }
  if (changes.externalId !== undefined) {
    update.external_id = changes.externalId;
  }
  if (changes.parentAccountId !== undefined) {
    if (changes.parentAccountId !== null) {
      await requireParent(context, changes.parentAccountId);
      const ancestors = await context.repositories.accounts.ancestorIds(changes.parentAccountId);
      if (changes.parentAccountId === accountId || ancestors.includes(accountId)) {
        throw new LatchkeyError('parent_account_invalid', 'An account cannot be its own parent or the parent of one of its ancestors.');
      }
    }
    update.parent_account_id = changes.parentAccountId;
  }

  update.updated_at = context.clock.now().toISOString();
  await context.repositories.accounts.update(accountId, update);
  return toAccount(await getAccountRow(context, accountId));
}

/** Deletes an account, its account connectors and their credentials, and revokes its outstanding setup tokens. */
export async function deleteAccount(context: DomainContext, accountId: string): Promise<void> {
  await getAccountRow(context, accountId);
  if (await context.repositories.accounts.hasSubAccounts(accountId)) {
    throw new LatchkeyError('account_has_sub_accounts');
  }

  await context.repositories.accounts.softDelete(accountId, context.clock.now().toISOString());
  context.logger.info({ accountId }, 'account deleted');
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') {
    throw new LatchkeyError('invalid_request', 'name must not be empty.');
  }
  return trimmed;
}

async function requireParent(context: DomainContext, parentAccountId: string): Promise<void> {
  if ((await context.repositories.accounts.find(parentAccountId)) === undefined) {
    throw new LatchkeyError('parent_account_invalid', `No account has the id "${parentAccountId}" to be the parent.`);
  }
}

import { cleanFieldValues } from '../catalog/input-hygiene.ts';
import { createId } from '../crypto/random-id.ts';
import type { Page } from '../storage/pagination.ts';
import type { AccountConnectorRow } from '../storage/schema.ts';
import { getAccountRow } from './accounts.ts';
import { recordAuditEvent } from './audit.ts';
import { getConnectorDefinition } from './connectors.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

/** Statuses of an account connector. */
export type AccountConnectorStatus = 'unauthenticated' | 'authenticated' | 'needs_reauth' | 'undecryptable';

/** An account connector as the partner API returns it. */
export interface AccountConnector {
  id: string;
  accountId: string;
  connectorId: string;
  name: string;
  status: AccountConnectorStatus;
  settings: Record<string, string>;
  authenticatedAt: string | null;
  authenticatedBy: string | null;
  setupTokenId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toAccountConnector(row: AccountConnectorRow): AccountConnector {
  return {
    id: row.id,
    accountId: row.account_id,
    connectorId: row.connector_id,
    name: row.name,
    status: row.status as AccountConnectorStatus,
    settings: JSON.parse(row.settings) as Record<string, string>,
    authenticatedAt: row.authenticated_at,
    authenticatedBy: row.authenticated_by,
    setupTokenId: row.setup_token_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Installs a connector in an account.
 *
 * Settings preset non-secret fields of the definition (such as a subdomain); the hosted
 * page then shows them without letting the customer change them.
 */
export async function installConnector(
  context: DomainContext,
  accountId: string,
  input: { connectorId: string; name?: string; settings?: Record<string, string> },
): Promise<AccountConnector> {
  await getAccountRow(context, accountId);
  const definition = getConnectorDefinition(context, input.connectorId);
  const settings = validateSettings(context, input.connectorId, input.settings ?? {});

  const now = context.clock.now().toISOString();
  const row: AccountConnectorRow = {
    id: createId('acn'),
    account_id: accountId,
    connector_id: definition.id,
    name: input.name?.trim() || definition.name,
    status: 'unauthenticated',
    settings: JSON.stringify(settings),
    credentials_sealed: null,
    authenticated_at: null,
    authenticated_by: null,
    setup_token_id: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  await context.repositories.accountConnectors.insert(row);
  return toAccountConnector(row);
}

/** Returns the account connector or throws `account_connector_not_found`. */
export async function getAccountConnectorRow(
  context: DomainContext,
  accountId: string,
  accountConnectorId: string,
): Promise<AccountConnectorRow> {
  await getAccountRow(context, accountId);
  const row = await context.repositories.accountConnectors.find(accountId, accountConnectorId);
  if (row === undefined) {
    throw new LatchkeyError('account_connector_not_found', `No account connector has the id "${accountConnectorId}" in this account.`);
  }
  return row;
}

export async function listAccountConnectors(
  context: DomainContext,
  accountId: string,
  options: { limit: number; cursor?: string },
): Promise<Page<AccountConnector>> {
  await getAccountRow(context, accountId);
  const page = await context.repositories.accountConnectors.list(accountId, options);
  return { items: page.items.map(toAccountConnector), nextCursor: page.nextCursor };
}

/** Erases the credentials of an account connector and returns it to `unauthenticated`. */
export async function deauthenticateAccountConnector(
  context: DomainContext,
  accountId: string,
  accountConnectorId: string,
  apiKeyId: string | null,
): Promise<AccountConnector> {
  await getAccountConnectorRow(context, accountId, accountConnectorId);

  await context.repositories.accountConnectors.deauthenticate(accountConnectorId, context.clock.now().toISOString());
  await recordAuditEvent(context, 'account_connector.deauthenticated', { accountId, accountConnectorId, apiKeyId });
  return toAccountConnector(await getAccountConnectorRow(context, accountId, accountConnectorId));
}

/** Deletes an account connector with its credentials and revokes its outstanding setup tokens. */
export async function deleteAccountConnector(context: DomainContext, accountId: string, accountConnectorId: string): Promise<void> {
  await getAccountConnectorRow(context, accountId, accountConnectorId);

  await context.repositories.accountConnectors.softDelete(accountConnectorId, context.clock.now().toISOString());
  context.logger.info({ accountId, accountConnectorId }, 'account connector deleted');
}

function validateSettings(context: DomainContext, connectorId: string, settings: Record<string, string>): Record<string, string> {
  const definition = getConnectorDefinition(context, connectorId);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    const field = definition.fields.find((candidate) => candidate.name === name);
    if (field === undefined) {
      problems.push(`"${name}" is not a field of ${definition.name}`);
    } else if (field.secret) {
      problems.push(`"${name}" is a secret field; only the customer enters it on the hosted page`);
    } else if (typeof value !== 'string') {
      problems.push(`"${name}" must be a string`);
    }
  }
  if (problems.length > 0) {
    throw new LatchkeyError('invalid_settings', `Invalid settings: ${problems.join('; ')}.`, { details: { problems } });
  }

  const { values, errors } = cleanFieldValues(definition, settings);
  const relevant = Object.entries(errors).filter(([name]) => name in settings);
  if (relevant.length > 0) {
    const messages = relevant.map(([name, message]) => `${name}: ${message}`);
    throw new LatchkeyError('invalid_settings', `Invalid settings: ${messages.join('; ')}`, { details: { problems: messages } });
  }
  return Object.fromEntries(Object.keys(settings).map((name) => [name, values[name] ?? '']));
}

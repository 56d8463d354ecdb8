import type { Kysely, Migration } from 'kysely';

/** Creates the tables of the first release. Column types are chosen to mean the same on SQLite and PostgreSQL. */
export const initialMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('key_hash', 'text', (column) => column.notNull().unique())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('external_id', 'text')
      .addColumn('parent_account_id', 'text', (column) => column.references('accounts.id'))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addColumn('deleted_at', 'text')
      .execute();
    await db.schema.createIndex('accounts_parent_idx').on('accounts').column('parent_account_id').execute();

    await db.schema
      .createTable('account_users')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('email', 'text', (column) => column.notNull().unique())
      .addColumn('name', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('account_access')
      .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
      .addColumn('account_user_id', 'text', (column) => column.notNull().references('account_users.id'))
      .addColumn('role', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addPrimaryKeyConstraint('account_access_pk', ['account_id', 'account_user_id'])
      .execute();

    await db.schema
      .createTable('oauth_apps')
      .addColumn('connector_id', 'text', (column) => column.primaryKey())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('client_secret_sealed', 'text', (column) => column.notNull())
      .addColumn('scopes', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('account_connectors')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
      .addColumn('connector_id', 'text', (column) => column.notNull())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('settings', 'text', (column) => column.notNull())
      .addColumn('credentials_sealed', 'text')
      .addColumn('authenticated_at', 'text')
      .addColumn('authenticated_by', 'text')
      .addColumn('setup_token_id', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addColumn('deleted_at', 'text')
      .execute();
    await db.schema.createIndex('account_connectors_account_idx').on('account_connectors').column('account_id').execute();

    await db.schema
      .createTable('setup_tokens')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('token_hash', 'text', (column) => column.notNull().unique())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('account_connector_id', 'text', (column) => column.notNull().references('account_connectors.id'))
      .addColumn('account_user_id', 'text', (column) => column.notNull().references('account_users.id'))
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('success_url', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'text', (column) => column.notNull())
      .addColumn('opened_at', 'text')
      .addColumn('redeemed_at', 'text')
      .addColumn('completed_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_reason', 'text')
      .addColumn('failed_at', 'text')
      .addColumn('failed_reason', 'text')
      .execute();
    await db.schema
      .createIndex('setup_tokens_account_connector_idx')
      .on('setup_tokens')
      .columns(['account_connector_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('setup_sessions')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('setup_token_id', 'text', (column) => column.notNull().unique().references('setup_tokens.id'))
      .addColumn('secret_hash', 'text', (column) => column.notNull().unique())
      .addColumn('csrf_token', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'text', (column) => column.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('failed_attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('oauth_attempts')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('setup_session_id', 'text', (column) => column.notNull().references('setup_sessions.id'))
      .addColumn('state_hash', 'text', (column) => column.notNull().unique())
      .addColumn('code_verifier_sealed', 'text')
      .addColumn('field_values', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'text', (column) => column.notNull())
      .addColumn('consumed_at', 'text')
      .addColumn('outcome', 'text')
      .addColumn('error_code', 'text')
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('type', 'text', (column) => column.notNull())
      .addColumn('account_id', 'text')
      .addColumn('account_connector_id', 'text')
      .addColumn('setup_token_id', 'text')
      .addColumn('account_user_id', 'text')
      .addColumn('api_key_id', 'text')
      .addColumn('data', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('audit_events_account_connector_idx').on('audit_events').column('account_connector_id').execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of [
      'audit_events',
      'oauth_attempts',
      'setup_sessions',
      'setup_tokens',
      'account_connectors',
      'oauth_apps',
      'account_access',
      'account_users',
      'accounts',
      'api_keys',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

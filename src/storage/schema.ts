/**
 * Row types of the Latchkey database, shared by SQLite and PostgreSQL.
 *
 * Timestamps are ISO 8601 strings in UTC from `Date.prototype.toISOString`, which have a
 * fixed width, so they sort and compare correctly as text on both engines. JSON values
 * are stored as text. Sealed values are AES-256-GCM envelopes bound to their row.
 */
export interface Database {
  api_keys: ApiKeyRow;
  accounts: AccountRow;
  account_users: AccountUserRow;
  account_access: AccountAccessRow;
  oauth_apps: OAuthAppRow;
  account_connectors: AccountConnectorRow;
  setup_tokens: SetupTokenRow;
  setup_sessions: SetupSessionRow;
  oauth_attempts: OAuthAttemptRow;
  audit_events: AuditEventRow;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface AccountRow {
  id: string;
  name: string;
  external_id: string | null;
  parent_account_id: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface AccountUserRow {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
}

export interface AccountAccessRow {
  account_id: string;
  account_user_id: string;
  role: string;
  created_at: string;
}

export interface OAuthAppRow {
  connector_id: string;
  client_id: string;
  client_secret_sealed: string;
  scopes: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountConnectorRow {
  id: string;
  account_id: string;
  connector_id: string;
  name: string;
  status: string;
  settings: string;
  credentials_sealed: string | null;
  authenticated_at: string | null;
  authenticated_by: string | null;
  setup_token_id: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface SetupTokenRow {
  id: string;
  token_hash: string;
  account_id: string;
  account_connector_id: string;
  account_user_id: string;
  created_by: string;
  success_url: string | null;
  created_at: string;
  expires_at: string;
  opened_at: string | null;
  redeemed_at: string | null;
  completed_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  failed_at: string | null;
  failed_reason: string | null;
}

export interface SetupSessionRow {
  id: string;
  setup_token_id: string;
  secret_hash: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  failed_attempts: number;
}

export interface OAuthAttemptRow {
  id: string;
  setup_session_id: string;
  state_hash: string;
  code_verifier_sealed: string | null;
  /** Non-secret field values entered before the redirect, such as a subdomain. */
  field_values: string;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  outcome: string | null;
  error_code: string | null;
}

export interface AuditEventRow {
  id: string;
  created_at: string;
  type: string;
  account_id: string | null;
  account_connector_id: string | null;
  setup_token_id: string | null;
  account_user_id: string | null;
  api_key_id: string | null;
  data: string;
}
